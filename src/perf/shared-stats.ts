/**
 * Counters a worker thread keeps in shared memory, one Float64Array per worker, written only by that
 * worker and read by the main thread once a second (and at the edges of the measured window). No
 * messages between threads per message or per second: the main thread just looks.
 */
import { HISTOGRAM_BUCKETS } from './histogram.js';

export const STAT = {
  /** messages written to producer sockets */
  published: 0,
  /** publishes acked by the broker (confirm mode) */
  confirmed: 1,
  /** publishes nacked by the broker (confirm mode) */
  nacked: 2,
  /** deliveries received by consumers */
  received: 3,
  /** producers that reached --pmessages (and, with confirms, have them all confirmed) */
  producersDone: 4,
  /** consumers that reached --cmessages */
  consumersDone: 5,
  /** this worker's event loop: milliseconds busy and idle so far (performance.eventLoopUtilization) */
  loopActiveMs: 6,
  loopIdleMs: 7,
  /** connections open (idle-connection mode) */
  connections: 8,
  /** monotonic microseconds when the last of this worker's producers or consumers reached its count */
  lastDoneMicros: 9,
  /** CPU time of this worker's thread so far, microseconds (-1: not available) */
  threadCpuMicros: 10,
} as const;
const FIELDS = 11;

export interface SharedBuffers {
  stats: SharedArrayBuffer;
  /** latency histogram (histogram.ts) of this worker's consumers */
  latency: SharedArrayBuffer;
}

export function allocateShared(): SharedBuffers {
  return {
    stats: new SharedArrayBuffer(FIELDS * 8),
    latency: new SharedArrayBuffer(HISTOGRAM_BUCKETS * 8),
  };
}
