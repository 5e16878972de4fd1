/**
 * Linux /proc readers used by the benchmark: memory and CPU time of a process, and the process that
 * listens on a local TCP port (to find an already running broker, e.g. RabbitMQ's beam.smp).
 * Everything is best effort: on other systems (or without permission) the readers return undefined.
 */
import { readFileSync, readdirSync, readlinkSync } from 'node:fs';

/** Clock ticks per second for /proc/<pid>/stat times; 100 on every mainstream Linux build. */
const CLK_TCK = 100;

function readStatusField(pid: number, field: string): number | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/status`, 'utf8');
    const m = new RegExp(`^${field}:\\s+(\\d+)\\s+kB`, 'm').exec(text);
    return m?.[1] === undefined ? undefined : Number(m[1]) * 1024;
  } catch {
    return undefined;
  }
}

/** Resident set size in bytes (VmRSS). */
export function readRss(pid: number): number | undefined {
  return readStatusField(pid, 'VmRSS');
}

/** Peak resident set size in bytes (VmHWM). */
export function readPeakRss(pid: number): number | undefined {
  return readStatusField(pid, 'VmHWM');
}

/** User + system CPU time of a process (all its threads) in microseconds. */
export function readCpuMicros(pid: number): number | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may contain spaces and parentheses: split after the last ')'.
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    // After the name, fields start at "state" (field 3); utime is field 14, stime field 15.
    const utime = Number(fields[14 - 3]);
    const stime = Number(fields[15 - 3]);
    if (!Number.isFinite(utime) || !Number.isFinite(stime)) return undefined;
    return ((utime + stime) * 1e6) / CLK_TCK;
  } catch {
    return undefined;
  }
}

/** The id of the process that listens on 127.0.0.1/0.0.0.0:<port> (IPv4 or IPv6), if visible. */
export function findListeningPid(port: number): number | undefined {
  const inodes = new Set<string>();
  const portHex = port.toString(16).toUpperCase().padStart(4, '0');
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text: string;
    try {
      text = readFileSync(table, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      // cols: sl local_address rem_address st ... inode (index 9); state 0A is LISTEN.
      if (cols[1]?.endsWith(`:${portHex}`) && cols[3] === '0A' && cols[9] !== undefined) inodes.add(cols[9]);
    }
  }
  if (inodes.size === 0) return undefined;
  let pids: string[];
  try {
    pids = readdirSync('/proc').filter((d) => /^\d+$/.test(d));
  } catch {
    return undefined;
  }
  for (const pid of pids) {
    let fds: string[];
    try {
      fds = readdirSync(`/proc/${pid}/fd`);
    } catch {
      continue;
    }
    for (const fd of fds) {
      try {
        const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
        if (m?.[1] !== undefined && inodes.has(m[1])) return Number(pid);
      } catch {
        // fd closed meanwhile
      }
    }
  }
  return undefined;
}

/** CPU time and wall time of a process at one moment, to compute its CPU share over an interval. */
export interface CpuSample {
  cpuMicros: number;
  wallNanos: bigint;
}

export function sampleCpu(pid: number | undefined): CpuSample | undefined {
  if (pid === undefined) return undefined;
  const cpuMicros = readCpuMicros(pid);
  return cpuMicros === undefined ? undefined : { cpuMicros, wallNanos: process.hrtime.bigint() };
}

/** CPU use between two samples in percent of one core (200 = two cores fully busy). */
export function cpuPercent(a: CpuSample | undefined, b: CpuSample | undefined): number | undefined {
  if (a === undefined || b === undefined) return undefined;
  const wallMicros = Number(b.wallNanos - a.wallNanos) / 1000;
  return wallMicros > 0 ? ((b.cpuMicros - a.cpuMicros) / wallMicros) * 100 : undefined;
}

/** Busy and total CPU time of the whole machine (all cores), from the first line of /proc/stat. */
export interface MachineSample {
  busy: number;
  total: number;
}

export function sampleMachine(): MachineSample | undefined {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '';
    // cpu user nice system idle iowait irq softirq steal guest guest_nice
    const v = line.trim().split(/\s+/).slice(1).map(Number);
    const total = v.slice(0, 8).reduce((a, b) => a + b, 0);
    const idle = (v[3] ?? 0) + (v[4] ?? 0);
    return { busy: total - idle, total };
  } catch {
    return undefined;
  }
}

/** Share of all cores that was busy between two samples, in percent (100 = every core busy). */
export function machineBusyPercent(
  a: MachineSample | undefined,
  b: MachineSample | undefined,
): number | undefined {
  if (a === undefined || b === undefined || b.total === a.total) return undefined;
  return ((b.busy - a.busy) / (b.total - a.total)) * 100;
}

/**
 * Bytes a process (all its threads) has caused to be sent to storage so far: write_bytes of
 * /proc/<pid>/io. Unlike wchar it leaves out writes to sockets and pipes; the kernel counts file data
 * when the page is dirtied (so data deleted before writeback is still in it). Shows whether, and how
 * much, a broker writes per persistent message.
 */
export function readWriteBytes(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const m = /^write_bytes:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/io`, 'utf8'));
    return m?.[1] === undefined ? undefined : Number(m[1]);
  } catch {
    return undefined;
  }
}
