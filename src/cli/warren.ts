#!/usr/bin/env node
/**
 * `warren`: starts the broker. Flags override environment variables (WARREN_PORT, WARREN_HOST,
 * WARREN_DATA_DIR, WARREN_LOG_LEVEL, WARREN_CONSUMER_TIMEOUT), which override the defaults.
 */
import { Command, InvalidArgumentError } from 'commander';
import { Warren } from '../warren.js';
import { VERSION } from '../version.js';
import type { LogLevel } from '../log.js';

const env = process.env;

function port(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError(`not a port number: ${v}`);
  return n;
}

function milliseconds(v: string): number {
  const n = Number(v);
  if (v.trim() === '' || !Number.isSafeInteger(n) || n < 0)
    throw new InvalidArgumentError(`not a number of milliseconds: ${v}`);
  return n;
}

const program = new Command()
  .name('warren')
  .description('An AMQP 0-9-1 message broker that behaves like RabbitMQ')
  .version(VERSION, '-V, --version')
  .option(
    '-p, --port <port>',
    'AMQP port (env WARREN_PORT)',
    port,
    env['WARREN_PORT'] ? port(env['WARREN_PORT']) : 5672,
  )
  .option(
    '-H, --host <host>',
    'interface to listen on; default all, IPv4 and IPv6 (env WARREN_HOST)',
    env['WARREN_HOST'],
  )
  .option(
    '-d, --data-dir <dir>',
    'embedded storage directory (env WARREN_DATA_DIR)',
    env['WARREN_DATA_DIR'] ?? './data',
  )
  .option(
    '--log-level <level>',
    'silent, error, warn, info or debug (env WARREN_LOG_LEVEL)',
    env['WARREN_LOG_LEVEL'] ?? 'info',
  )
  .option(
    '--consumer-timeout <ms>',
    'close a channel whose delivery stays unacked this long; 0 = off (env WARREN_CONSUMER_TIMEOUT)',
    milliseconds,
    env['WARREN_CONSUMER_TIMEOUT'] ? milliseconds(env['WARREN_CONSUMER_TIMEOUT']) : 1_800_000,
  )
  .parse();

const o = program.opts<{
  port: number;
  host?: string;
  dataDir: string;
  logLevel: string;
  consumerTimeout: number;
}>();

const broker = await Warren.start({
  port: o.port,
  host: o.host,
  dataDir: o.dataDir,
  logLevel: o.logLevel as LogLevel,
  consumerTimeoutMs: o.consumerTimeout,
});

let stopping = false;
const stop = (signal: string): void => {
  if (stopping) return;
  stopping = true;
  broker.log.info(`${signal} received, shutting down`);
  broker.close().then(
    () => process.exit(0),
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
};
process.on('SIGTERM', () => stop('SIGTERM'));
process.on('SIGINT', () => stop('SIGINT'));
