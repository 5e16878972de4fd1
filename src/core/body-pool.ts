/**
 * Reusable memory for large message bodies.
 *
 * Why: every body is an ArrayBuffer outside V8's heap. At 1 MiB per message and 1,500 messages a
 * second the broker allocates 1.5 GB/s of such memory, and V8 answers external memory growth with
 * garbage collections: in scenario 7 of the benchmark a mark-compact every 10-20 ms, 30-40% of the
 * broker's profile, and a throughput that sank by a quarter within ten seconds as bodies outlived
 * scavenges. Bodies given back here are reused instead, so a steady stream of large messages
 * allocates nothing.
 *
 * Safety: a body comes back only when nothing can read it any more: Message counts what holds it
 * (its queue entries and the socket writes carrying it) and gives up on recycling for good as soon as
 * anything else reads its body (the store, paging, the HTTP API, dead-lettering, delayed messages...).
 * What comes back is detached first: its memory moves to a new ArrayBuffer, so a Buffer view somebody
 * kept by mistake reads as empty (length 0), never as another message's bytes.
 */

/** Bodies smaller than this are allocated as usual: they are cheap, and V8 handles them well. */
export const POOLED_BODY_MIN = 64 * 1024;
/** Pool memory comes in multiples of this, one free list per size. */
const GRAIN = 64 * 1024;
/** Free memory kept at most, over all sizes, and per size. */
const MAX_FREE_BYTES = 32 * 1024 * 1024;
const MAX_FREE_PER_SIZE = 16;

const free = new Map<number, ArrayBuffer[]>();
let freeBytes = 0;

function capacityFor(size: number): number {
  return Math.ceil(size / GRAIN) * GRAIN;
}

/** A buffer of `size` bytes (contents undefined) from pool memory; size at least POOLED_BODY_MIN. */
export function takeBody(size: number): Buffer {
  const capacity = capacityFor(size);
  const list = free.get(capacity);
  const reused = list?.pop();
  if (reused !== undefined) {
    freeBytes -= capacity;
    return Buffer.from(reused, 0, size);
  }
  return Buffer.from(Buffer.allocUnsafeSlow(capacity).buffer, 0, size);
}

/** Gives back a buffer takeBody returned, once nothing can read it any more. */
export function giveBody(body: Buffer): void {
  const memory = body.buffer;
  if (!(memory instanceof ArrayBuffer)) return;
  const capacity = memory.byteLength;
  // Only pool memory (anything else has another size or was detached already) and only up to bounds.
  if (capacity === 0 || capacity % GRAIN !== 0 || body.byteOffset !== 0) return;
  if (freeBytes + capacity > MAX_FREE_BYTES) return;
  let list = free.get(capacity);
  if (list === undefined) free.set(capacity, (list = []));
  if (list.length >= MAX_FREE_PER_SIZE) return;
  list.push(structuredClone(memory, { transfer: [memory] }));
  freeBytes += capacity;
}

/** Free pool memory, for tests and diagnostics. */
export function freeBodyBytes(): number {
  return freeBytes;
}
