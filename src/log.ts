/**
 * One pino logger per broker; 'silent' for embedded use in tests. Lines go to stdout at `level`
 * and, when a file is given (rabbitmq.conf `log.file`), also to that file at its own level.
 */
import { pino, type DestinationStream, type Logger } from 'pino';

export type LogLevel = 'silent' | 'error' | 'warn' | 'info' | 'debug';
export type { Logger };

export interface LogFile {
  path: string;
  level: LogLevel;
}

/** The file streams of loggers that have one, so closeLogger can release the descriptor. */
const files = new WeakMap<Logger, ReturnType<typeof pino.destination>>();

export function createLogger(level: LogLevel, file?: LogFile): Logger {
  const base = { level, base: { name: 'warren' } };
  if (!file || file.level === 'silent') return pino(base);
  // Written synchronously: a broker logs little, and a line should be in the file before a crash.
  const dest = pino.destination({ dest: file.path, sync: true, mkdir: true });
  const streams: { level: pino.Level; stream: DestinationStream }[] = [{ level: file.level, stream: dest }];
  if (level !== 'silent') streams.push({ level, stream: process.stdout });
  const lowest = [level, file.level].filter((l) => l !== 'silent').sort(byVerbosity)[0] as LogLevel;
  const log = pino({ ...base, level: lowest }, pino.multistream(streams));
  files.set(log, dest);
  return log;
}

/** Flushes the logger and closes its file, if it has one. */
export function closeLogger(log: Logger): void {
  log.flush();
  files.get(log)?.end();
}

const ORDER: LogLevel[] = ['debug', 'info', 'warn', 'error', 'silent'];
function byVerbosity(a: LogLevel, b: LogLevel): number {
  return ORDER.indexOf(a) - ORDER.indexOf(b);
}
