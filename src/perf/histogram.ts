/**
 * A latency histogram in microseconds with about 0.1 % precision, kept in a plain counter array so
 * that a worker thread can fill it in shared memory while the main thread reads it, and so that
 * histograms of several threads (or of two moments, for a window) add and subtract bucket by bucket.
 *
 * Buckets: one per microsecond below 2,048 µs; above, 1,024 buckets per power of two (the value's top
 * 11 bits), up to 2^31 µs (about 36 minutes); larger values land in the last bucket.
 */

const LINEAR = 2048;
const SUB = 1024;
/** powers of two from 2^11 to 2^30 */
const OCTAVES = 20;
export const HISTOGRAM_BUCKETS = LINEAR + OCTAVES * SUB;

export function bucketOf(micros: number): number {
  if (!(micros >= 1)) return 0; // also NaN and negatives (a clock read before the stamp)
  if (micros >= 2 ** 31) return HISTOGRAM_BUCKETS - 1;
  const n = Math.floor(micros);
  if (n < LINEAR) return n;
  const e = 31 - Math.clz32(n); // floor(log2 n), 11..30
  const shift = e - 10;
  return LINEAR + (e - 11) * SUB + ((n >>> shift) - SUB);
}

/** The middle of a bucket's range, in microseconds. */
export function bucketValue(index: number): number {
  if (index < LINEAR) return index;
  const octave = Math.floor((index - LINEAR) / SUB);
  const sub = SUB + ((index - LINEAR) % SUB);
  const width = 2 ** (octave + 1);
  return sub * width + width / 2;
}

export function record(counts: Float64Array, micros: number): void {
  const i = bucketOf(micros);
  counts[i] = (counts[i] ?? 0) + 1;
}

export interface LatencySummary {
  /** messages the latencies were taken from */
  count: number;
  /** microseconds */
  min: number;
  p50: number;
  p75: number;
  p95: number;
  p99: number;
  p999: number;
  max: number;
  mean: number;
}

/** Percentiles of `counts` (a histogram or the difference of two); undefined if it is empty. */
export function summarize(counts: ArrayLike<number>): LatencySummary | undefined {
  let total = 0;
  let sum = 0;
  let first = -1;
  let last = -1;
  for (let i = 0; i < counts.length; i++) {
    const c = counts[i] ?? 0;
    if (c <= 0) continue;
    total += c;
    sum += c * bucketValue(i);
    if (first < 0) first = i;
    last = i;
  }
  if (total === 0) return undefined;
  const wanted = [0.5, 0.75, 0.95, 0.99, 0.999];
  const found: number[] = [];
  let seen = 0;
  let w = 0;
  for (let i = first; i <= last && w < wanted.length; i++) {
    seen += counts[i] ?? 0;
    while (w < wanted.length && seen >= Math.ceil((wanted[w] as number) * total)) {
      found.push(bucketValue(i));
      w++;
    }
  }
  const at = (k: number): number => found[k] ?? bucketValue(last);
  return {
    count: total,
    min: bucketValue(first),
    p50: at(0),
    p75: at(1),
    p95: at(2),
    p99: at(3),
    p999: at(4),
    max: bucketValue(last),
    mean: sum / total,
  };
}

/** a - b, bucket by bucket (the histogram of what was recorded between two snapshots) */
export function difference(a: ArrayLike<number>, b: ArrayLike<number>): Float64Array {
  const out = new Float64Array(a.length);
  for (let i = 0; i < a.length; i++) out[i] = (a[i] ?? 0) - (b[i] ?? 0);
  return out;
}

/** the sum of several histograms */
export function merge(parts: ArrayLike<number>[]): Float64Array {
  const out = new Float64Array(HISTOGRAM_BUCKETS);
  for (const p of parts) for (let i = 0; i < HISTOGRAM_BUCKETS; i++) out[i] = (out[i] ?? 0) + (p[i] ?? 0);
  return out;
}
