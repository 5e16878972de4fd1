/**
 * Bytes waiting to be written to one file at one position: records are encoded straight into 1 MiB
 * slabs, so a flush is a single writev of a few large buffers instead of one small buffer per record.
 *
 * Slabs are recycled once their flush has been written (`recycle`). A group commit runs up to a few
 * thousand times a second, each with its own WriteBuffers; allocating a fresh slab for each was about
 * 1 GB/s of external memory at 60k persistent msg/s, which made V8 run a full mark-compact every
 * 20-30 ms ("external memory pressure") and cost 15-20% of the broker's throughput.
 */
const SLAB_SIZE = 1024 * 1024;
/** records at least this big get a buffer of their own rather than wasting the rest of a slab */
const OWN_BUFFER_SIZE = SLAB_SIZE / 4;
/** slabs kept for reuse, process-wide: enough for the msgs, acks and queues files of a flush or two */
const POOL_LIMIT = 8;
const pool: Buffer[] = [];

function takeSlab(): Buffer {
  return pool.pop() ?? Buffer.allocUnsafe(SLAB_SIZE);
}

export class WriteBuffer {
  private readonly full: Buffer[] = [];
  /** whole slabs taken from the pool, given back by recycle() */
  private readonly slabs: Buffer[] = [];
  private slab: Buffer | undefined;
  private used = 0;
  /** bytes reserved so far */
  bytes = 0;

  /** @param position file offset of the first byte */
  constructor(readonly position: number) {}

  /** Reserves `size` bytes; the caller writes them at `buf[off]` before the next flush. */
  reserve(size: number): { buf: Buffer; off: number } {
    this.bytes += size;
    if (size >= OWN_BUFFER_SIZE) {
      this.retireSlab();
      const own = Buffer.allocUnsafe(size);
      this.full.push(own);
      return { buf: own, off: 0 };
    }
    if (this.slab === undefined || this.used + size > this.slab.length) {
      this.retireSlab();
      this.slab = takeSlab();
      this.slabs.push(this.slab);
    }
    const off = this.used;
    this.used += size;
    return { buf: this.slab, off };
  }

  /** The reserved bytes, in order, ready for writev. */
  buffers(): Buffer[] {
    this.retireSlab();
    return this.full;
  }

  /**
   * Hands the slabs back for reuse. Only once the bytes are written: nothing may read this buffer
   * afterwards.
   */
  recycle(): void {
    for (const s of this.slabs) if (pool.length < POOL_LIMIT) pool.push(s);
    this.slabs.length = 0;
    this.full.length = 0;
    this.slab = undefined;
    this.used = 0;
  }

  private retireSlab(): void {
    if (this.slab !== undefined && this.used > 0) this.full.push(this.slab.subarray(0, this.used));
    this.slab = undefined;
    this.used = 0;
  }
}
