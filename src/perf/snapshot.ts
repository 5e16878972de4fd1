/**
 * The main thread's view of every worker at one moment: counters, latency histogram, this process's
 * CPU time and the workers' event-loop times. Rates, percentiles and loads over an interval (a
 * second, the measured window) are differences of two snapshots.
 */
import { monotonicMicros } from './clock.js';
import { STAT } from './shared-stats.js';
import type { Counts } from './summary.js';
import { latencySnapshot, type WorkerHandle } from './workers.js';

export interface Snapshot extends Counts {
  /** monotonic microseconds */
  at: number;
  /** this process (all threads), user + system */
  cpuMicros: number;
  latency: Float64Array;
  loopActive: number[];
  loopIdle: number[];
  /** each worker thread's CPU time (-1: unknown), microseconds */
  threadCpu: number[];
}

export function sum(workers: WorkerHandle[], field: (typeof STAT)[keyof typeof STAT]): number {
  let n = 0;
  for (const w of workers) n += w.stat(field);
  return n;
}

export function snapshot(workers: WorkerHandle[], at = monotonicMicros()): Snapshot {
  const cpu = process.cpuUsage();
  return {
    at,
    published: sum(workers, STAT.published),
    confirmed: sum(workers, STAT.confirmed),
    nacked: sum(workers, STAT.nacked),
    received: sum(workers, STAT.received),
    cpuMicros: cpu.user + cpu.system,
    latency: latencySnapshot(workers),
    loopActive: workers.map((w) => w.stat(STAT.loopActiveMs)),
    loopIdle: workers.map((w) => w.stat(STAT.loopIdleMs)),
    threadCpu: workers.map((w) => w.stat(STAT.threadCpuMicros)),
  };
}

/** Each worker thread's CPU between two snapshots in percent of one core (undefined: unknown). */
export function threadCpu(a: Snapshot, b: Snapshot): (number | undefined)[] {
  return b.threadCpu.map((end, i) => {
    const start = a.threadCpu[i] ?? -1;
    return end < 0 || start < 0 || b.at <= a.at ? undefined : ((end - start) / (b.at - a.at)) * 100;
  });
}

/** Percent of time each worker's event loop was busy between two snapshots. */
export function loopBusy(a: Snapshot, b: Snapshot): number[] {
  return b.loopActive.map((end, i) => {
    const active = end - (a.loopActive[i] ?? 0);
    const idle = (b.loopIdle[i] ?? 0) - (a.loopIdle[i] ?? 0);
    return active + idle > 0 ? (active / (active + idle)) * 100 : 0;
  });
}
