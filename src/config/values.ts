/**
 * Converters for config values, following cuttlefish's datatypes as rabbitmq.conf uses them. Each
 * takes the text after `=` and returns the value or throws a ValueError saying what was expected;
 * the loader adds the file, line and key.
 */
import { accessSync, constants, statSync } from 'node:fs';
import { isIP } from 'node:net';
import { resolve } from 'node:path';
import { ValueError } from './error.js';

/** Where the value was written: relative paths are taken relative to the config file's directory. */
export interface ValueContext {
  dir: string;
}

export type Converter<T> = (raw: string, ctx: ValueContext) => T;

const INTEGER = /^[+-]?\d+$/;

/** An integer in [min, max]; `what` describes the range in the error. */
export function integer(min: number, max = Number.MAX_SAFE_INTEGER, what?: string): Converter<number> {
  return (raw) => {
    if (!INTEGER.test(raw)) throw new ValueError(`expected an integer, got '${raw}'`);
    const n = Number(raw);
    if (!Number.isSafeInteger(n) || n < min || n > max) {
      throw new ValueError(what ?? `expected an integer from ${min} to ${max}, got ${raw}`);
    }
    return n;
  };
}

/**
 * A decimal number >= 0, as a ratio. cuttlefish's float wants a decimal point ("1.0"); a plain "1"
 * is accepted here too, since its meaning is not in doubt.
 */
export const ratio: Converter<number> = (raw) => {
  if (!/^\d+(\.\d+)?([eE][+-]?\d+)?$/.test(raw)) {
    throw new ValueError(`expected a decimal number such as 0.4, got '${raw}'`);
  }
  return Number(raw);
};

/** `true` or `false`, exactly as cuttlefish's {enum, [true, false]}. */
export const boolean: Converter<boolean> = (raw) => {
  if (raw === 'true') return true;
  if (raw === 'false') return false;
  throw new ValueError(`expected true or false, got '${raw}'`);
};

export function oneOf<T extends string>(...allowed: T[]): Converter<T> {
  return (raw) => {
    if ((allowed as string[]).includes(raw)) return raw as T;
    throw new ValueError(`expected one of ${allowed.join(', ')}; got '${raw}'`);
  };
}

export const text: Converter<string> = (raw) => raw;

/** A TCP port, 1-65535 (0, "any free port", is for embedding and tests, not for a config file). */
export const port: Converter<number> = integer(1, 65535, 'expected a port number from 1 to 65535');

/** listeners.tcp.$name: a port, or `ip:port` (IPv6 as `::1:5672` or `[::1]:5672`). */
export const listener: Converter<{ host: string | undefined; port: number }> = (raw, ctx) => {
  if (INTEGER.test(raw)) return { host: undefined, port: port(raw, ctx) };
  const colon = raw.lastIndexOf(':');
  if (colon <= 0) throw new ValueError(`expected a port or ip:port, got '${raw}'`);
  let host = raw.slice(0, colon);
  if (host.startsWith('[') && host.endsWith(']')) host = host.slice(1, -1);
  if (isIP(host) === 0) throw new ValueError(`'${host}' is not an IP address (in '${raw}')`);
  const p = raw.slice(colon + 1);
  if (!INTEGER.test(p)) throw new ValueError(`expected a port after the last ':', got '${raw}'`);
  return { host, port: port(p, ctx) };
};

const BYTE_UNITS: Record<string, number> = {
  k: 1000,
  ki: 1024,
  m: 1000 ** 2,
  mi: 1024 ** 2,
  g: 1000 ** 3,
  gi: 1024 ** 3,
  t: 1000 ** 4,
  ti: 1024 ** 4,
  p: 1000 ** 5,
  pi: 1024 ** 5,
};

/**
 * An amount of memory or disk as RabbitMQ 3.13 reads it (disk_free_limit.absolute,
 * vm_memory_high_watermark.absolute): bytes, or a number with a unit where k/kB/M/MB/G/GB/T/TB/P/PB
 * are powers of 1000 and Ki/KiB/Mi/MiB/Gi/GiB/... powers of 1024, any letter case.
 */
export const informationUnit: Converter<number> = (raw) => {
  const m = /^(\d+)([a-zA-Z]{1,3})?$/.exec(raw);
  const unit = m?.[2]?.toLowerCase().replace(/b$/, '');
  const multiplier = unit === undefined ? 1 : BYTE_UNITS[unit];
  if (!m || multiplier === undefined) {
    throw new ValueError(
      `expected bytes or a size such as 50MB, 500MiB, 2GB, 2GiB (k, M, G, T are powers of 1000; Ki, Mi, Gi, Ti of 1024), got '${raw}'`,
    );
  }
  return Number(m[1]) * multiplier;
};

/** cuttlefish's bytesize (frame_max): bytes, or a number with KB, MB or GB, each a power of 1024. */
export const byteSize: Converter<number> = (raw) => {
  const m = /^(\d+)(kb|mb|gb)?$/i.exec(raw);
  if (!m) throw new ValueError(`expected bytes or a size such as 128KB, got '${raw}'`);
  const unit = m[2]?.toLowerCase();
  return Number(m[1]) * (unit === 'kb' ? 1024 : unit === 'mb' ? 1024 ** 2 : unit === 'gb' ? 1024 ** 3 : 1);
};

/** A path, made absolute against the config file's directory. */
export const path: Converter<string> = (raw, ctx) => resolve(ctx.dir, raw);

/** A file the broker can read now (RabbitMQ's "file_accessible" validator); returns it absolute. */
export const readableFile: Converter<string> = (raw, ctx) => {
  const p = path(raw, ctx);
  try {
    accessSync(p, constants.R_OK);
  } catch {
    throw new ValueError(`file '${raw}' does not exist or cannot be read`);
  }
  if (!statSync(p).isFile()) throw new ValueError(`'${raw}' is not a file`);
  return p;
};

/** A readable file or directory (load_definitions accepts a directory of .json files). */
export const readablePath: Converter<string> = (raw, ctx) => {
  const p = path(raw, ctx);
  try {
    accessSync(p, constants.R_OK);
  } catch {
    throw new ValueError(`'${raw}' does not exist or cannot be read`);
  }
  const st = statSync(p);
  if (!st.isFile() && !st.isDirectory()) throw new ValueError(`'${raw}' is neither a file nor a directory`);
  return p;
};
