/**
 * The clock for expiry and due times (message TTL, x-expires, delayed messages): milliseconds since
 * the epoch that never jump. It is the wall clock read when the process started plus a monotonic
 * clock since then, so a wall-clock step while the broker runs (NTP correcting by an hour, a VM
 * resumed after a week) moves neither a 500 ms TTL to an hour nor an hour's to nothing; timers armed
 * on it fire when the time has really passed. Across a restart it starts again from the wall clock,
 * which is what stored arrival and due times are measured against.
 *
 * Integer milliseconds, like Date.now(), because the store keeps arrival times as integers.
 */
const origin = performance.timeOrigin;

export function steadyNow(): number {
  return Math.floor(origin + performance.now());
}
