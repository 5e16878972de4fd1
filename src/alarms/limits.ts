/**
 * The two resource limits and how they turn into bytes, following RabbitMQ 3.13:
 *
 * - `disk_free_limit`: bytes of free disk below which the disk alarm goes off. Absolute (a number of
 *   bytes, or a string with an information unit such as "50MB" or "2GiB"), or relative to the
 *   machine's RAM (`{ relative: 1.5 }`, RabbitMQ's `mem_relative`). Default 50,000,000 bytes.
 * - `vm_memory_high_watermark`: the process's resident memory above which the memory alarm goes off.
 *   Relative to RAM (a plain number, or `{ relative: 0.4 }`; above 1.0 is capped at 1.0) or absolute
 *   (`{ absolute: bytes or "2GB" }`, capped at RAM). Default 0.4.
 *
 * Plain numbers follow rabbitmq.conf: bytes for the disk limit, a fraction for the watermark.
 * Unlike RabbitMQ, which logs a bad value and falls back to the default, a bad value is an error here,
 * so a misconfigured broker refuses to start instead of running with a limit nobody chose.
 */

export type DiskFreeLimit = number | string | { relative: number } | { absolute: number | string };
export type MemoryHighWatermark = number | { relative: number } | { absolute: number | string };

export const DEFAULT_DISK_FREE_LIMIT = 50_000_000;
export const DEFAULT_MEMORY_HIGH_WATERMARK = 0.4;
/** RabbitMQ refuses relative watermarks above this and uses it instead */
export const MAX_RELATIVE_WATERMARK = 1.0;

const KI = 1024;
const K = 1000;
/** The units RabbitMQ's parse_information_unit accepts, with their multipliers (3.13 semantics). */
const UNITS: Record<string, number> = {
  ...same(['kiB', 'KiB', 'KIB', 'kib', 'ki', 'Ki'], KI),
  ...same(['MiB', 'MIB', 'mib', 'Mi'], KI ** 2),
  ...same(['GiB', 'GIB', 'gib', 'Gi'], KI ** 3),
  ...same(['TiB', 'TIB', 'tib', 'Ti'], KI ** 4),
  ...same(['PiB', 'PIB', 'pib', 'Pi'], KI ** 5),
  ...same(['k', 'K', 'KB', 'kB', 'kb', 'Kb'], K),
  ...same(['m', 'M', 'MB', 'mb', 'Mb'], K ** 2),
  ...same(['g', 'G', 'GB', 'gb', 'Gb'], K ** 3),
  ...same(['TB', 'tb', 'Tb'], K ** 4),
  ...same(['p', 'P', 'PB', 'pb', 'Pb'], K ** 5),
};

function same(names: string[], multiplier: number): Record<string, number> {
  return Object.fromEntries(names.map((n) => [n, multiplier]));
}

/**
 * An amount of information in bytes: a non-negative integer, or digits followed by one of RabbitMQ's
 * units ("k"/"KB" = 1000, "Ki"/"KiB" = 1024, and so on up to peta). Throws on anything else.
 */
export function parseInformationUnit(value: number | string): number {
  if (typeof value === 'number') {
    if (!Number.isInteger(value) || value < 0) throw new Error(`not a number of bytes: ${value}`);
    return value;
  }
  const m = /^([0-9]+)([A-Za-z]*)$/.exec(value.trim());
  const multiplier = m ? (m[2] === '' ? 1 : UNITS[m[2] as string]) : undefined;
  if (!m || multiplier === undefined) {
    throw new Error(`not an amount of information: '${value}' (expected e.g. 50000000, 50MB or 2GiB)`);
  }
  const bytes = Number(m[1]) * multiplier;
  if (!Number.isFinite(bytes)) throw new Error(`amount of information too large: '${value}'`);
  return bytes;
}

function fraction(x: number, what: string): number {
  if (!Number.isFinite(x) || x < 0) throw new Error(`${what} must be a non-negative number, got ${x}`);
  return x;
}

/** The disk limit in bytes for a machine with `totalMemory` bytes of RAM. */
export function diskFreeLimitBytes(limit: DiskFreeLimit, totalMemory: number): number {
  if (typeof limit === 'object') {
    if ('relative' in limit)
      return Math.round(fraction(limit.relative, 'relative disk_free_limit') * totalMemory);
    return parseInformationUnit(limit.absolute);
  }
  return parseInformationUnit(limit);
}

export interface WatermarkBytes {
  bytes: number;
  /** set when a relative watermark above 1.0 was capped: the operator should hear about it */
  capped: boolean;
}

/** The memory high watermark in bytes for a machine with `totalMemory` bytes of RAM. */
export function memoryLimitBytes(watermark: MemoryHighWatermark, totalMemory: number): WatermarkBytes {
  if (typeof watermark === 'object' && 'absolute' in watermark) {
    return { bytes: Math.min(parseInformationUnit(watermark.absolute), totalMemory), capped: false };
  }
  const rel = fraction(
    typeof watermark === 'number' ? watermark : watermark.relative,
    'vm_memory_high_watermark',
  );
  const capped = rel > MAX_RELATIVE_WATERMARK;
  return { bytes: Math.trunc(Math.min(rel, MAX_RELATIVE_WATERMARK) * totalMemory), capped };
}

/**
 * `--disk-free-limit` / WARREN_DISK_FREE_LIMIT: "50MB", "1000000000", or "relative:1.5" (also
 * "mem_relative:1.5", rabbitmqctl set_disk_free_limit's word for it).
 */
export function parseDiskFreeLimitArg(arg: string): DiskFreeLimit {
  const rel = /^(?:mem_)?relative:(.*)$/.exec(arg.trim());
  if (rel) return { relative: fraction(strictNumber(rel[1] as string), 'relative disk_free_limit') };
  parseInformationUnit(arg);
  return arg.trim();
}

/**
 * `--vm-memory-high-watermark` / WARREN_VM_MEMORY_HIGH_WATERMARK: a fraction of RAM ("0.4",
 * "relative:0.4"), or an absolute amount ("absolute:2GB", or simply "2GB": a unit makes it absolute).
 */
export function parseMemoryWatermarkArg(arg: string): MemoryHighWatermark {
  const s = arg.trim();
  const abs = /^absolute:(.*)$/.exec(s);
  if (abs) {
    const amount = (abs[1] as string).trim();
    parseInformationUnit(amount);
    return { absolute: amount };
  }
  const rel = /^relative:(.*)$/.exec(s);
  if (rel) return { relative: fraction(strictNumber(rel[1] as string), 'vm_memory_high_watermark') };
  if (/^[0-9]+[A-Za-z]+$/.test(s)) {
    parseInformationUnit(s);
    return { absolute: s };
  }
  return { relative: fraction(strictNumber(s), 'vm_memory_high_watermark') };
}

function strictNumber(s: string): number {
  const n = Number(s.trim());
  if (s.trim() === '' || !Number.isFinite(n)) throw new Error(`not a number: '${s}'`);
  return n;
}

/** How a limit reads in logs: "50000000 bytes", "1.5 x RAM (..)". */
export function describeDiskFreeLimit(limit: DiskFreeLimit): string {
  if (typeof limit === 'object' && 'relative' in limit) return `${limit.relative} x RAM`;
  return String(typeof limit === 'object' ? limit.absolute : limit);
}
