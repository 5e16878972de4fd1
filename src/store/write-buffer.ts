/**
 * Bytes waiting to be written to one file at one position: records are encoded straight into 1 MiB
 * slabs, so a flush is a single writev of a few large buffers instead of one small buffer per record.
 */
const SLAB_SIZE = 1024 * 1024;
/** records at least this big get a buffer of their own rather than wasting the rest of a slab */
const OWN_BUFFER_SIZE = SLAB_SIZE / 4;

export class WriteBuffer {
  private readonly full: Buffer[] = [];
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
      this.slab = Buffer.allocUnsafe(SLAB_SIZE);
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

  private retireSlab(): void {
    if (this.slab !== undefined && this.used > 0) this.full.push(this.slab.subarray(0, this.used));
    this.slab = undefined;
    this.used = 0;
  }
}
