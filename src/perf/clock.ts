/**
 * The one clock the perf tool stamps messages with and reads latencies against.
 *
 * `process.hrtime` reads CLOCK_MONOTONIC, which is one clock for the whole machine: a timestamp taken
 * in a producer thread (or another process) can be subtracted from one taken in a consumer thread.
 * `performance.now()` cannot be used for that: every worker thread has its own time origin.
 */

/** Monotonic time in microseconds (a double: exact to well below a microsecond for years of uptime). */
export function monotonicMicros(): number {
  const [s, ns] = process.hrtime();
  return s * 1e6 + ns / 1e3;
}

/** Monotonic time in nanoseconds, as bench/ and `process.hrtime.bigint()` in other processes see it. */
export function monotonicNanos(): bigint {
  return process.hrtime.bigint();
}
