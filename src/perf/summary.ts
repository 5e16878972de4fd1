/** What a `warren perf` run reports at the end (printed, and written as JSON with --json). */
import { difference, summarize, type LatencySummary } from './histogram.js';
import type { PerfOptions } from './options.js';
import { loopBusy, threadCpu, type Snapshot } from './snapshot.js';

export interface Counts {
  published: number;
  confirmed: number;
  nacked: number;
  received: number;
}

export interface PerfSummary {
  /** the broker URL without its password */
  uri: string;
  options: Omit<PerfOptions, 'uri'>;
  workers: number;
  /** seconds to declare the topology and open every connection */
  setupSeconds: number;
  /**
   * The measured window, in process.hrtime nanoseconds (CLOCK_MONOTONIC, the same clock in every
   * process on the machine), so that another process can line its own samples up with it.
   */
  window: { startNanos: string; endNanos: string; seconds: number };
  /** in the window */
  counts: Counts;
  /** per second, in the window */
  rates: { published: number; confirmed: number; received: number };
  /** from the first publish to the end */
  totals: Counts;
  /** end-to-end latency of messages received in the window (send time stamped in the body), µs */
  latencyMicros: LatencySummary | undefined;
  /**
   * this process's CPU in the window (all threads, percent of one core), each worker thread's CPU
   * (null where /proc/thread-self is missing), and each worker's event-loop utilisation
   */
  perf: { cpuPercent: number; threadCpuPercent: (number | null)[]; eventLoopBusyPercent: number[] };
  /** idle-connection mode */
  idle: { connections: number; openSeconds: number } | undefined;
}

function withoutPassword(uri: string): string {
  return uri.replace(/\/\/([^:@/]*):[^@/]*@/, '//$1@');
}

/** The summary of the window between two snapshots. */
export function buildSummary(
  o: PerfOptions,
  run: {
    start: Snapshot;
    end: Snapshot;
    workers: number;
    setupSeconds: number;
    /** idle-connection mode: connections open */
    connections: number | undefined;
  },
): PerfSummary {
  const { start, end } = run;
  const seconds = (end.at - start.at) / 1e6;
  const counts: Counts = {
    published: end.published - start.published,
    confirmed: end.confirmed - start.confirmed,
    nacked: end.nacked - start.nacked,
    received: end.received - start.received,
  };
  const { uri: _uri, ...options } = o;
  return {
    uri: withoutPassword(o.uri),
    options,
    workers: run.workers,
    setupSeconds: run.setupSeconds,
    window: {
      startNanos: String(BigInt(Math.round(start.at * 1000))),
      endNanos: String(BigInt(Math.round(end.at * 1000))),
      seconds,
    },
    counts,
    rates: {
      published: counts.published / seconds,
      confirmed: counts.confirmed / seconds,
      received: counts.received / seconds,
    },
    totals: {
      published: end.published,
      confirmed: end.confirmed,
      nacked: end.nacked,
      received: end.received,
    },
    latencyMicros: summarize(difference(end.latency, start.latency)),
    perf: {
      cpuPercent: ((end.cpuMicros - start.cpuMicros) / (end.at - start.at)) * 100,
      threadCpuPercent: threadCpu(start, end).map((c) => c ?? null),
      eventLoopBusyPercent: loopBusy(start, end),
    },
    idle:
      run.connections === undefined
        ? undefined
        : { connections: run.connections, openSeconds: run.setupSeconds },
  };
}
