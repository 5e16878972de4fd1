/** One pino logger per broker; 'silent' for embedded use in tests. */
import { pino, type Logger } from 'pino';

export type LogLevel = 'silent' | 'error' | 'warn' | 'info' | 'debug';
export type { Logger };

export function createLogger(level: LogLevel): Logger {
  return pino({ level, base: { name: 'warren' } });
}
