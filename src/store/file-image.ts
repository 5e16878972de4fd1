/**
 * Reads whole files into memory for recovery, one read call per file into a reused buffer: a segment
 * is at most segmentSize (plus one oversized record), so this is the "large sequential chunk", and a
 * whole image lets the scanner resynchronise across what would otherwise be chunk boundaries.
 */
import { open } from 'node:fs/promises';

export class FileImageReader {
  private scratch = Buffer.alloc(0);

  /** The file's bytes; valid until the next call on this reader. */
  async read(path: string): Promise<Buffer> {
    const handle = await open(path, 'r');
    try {
      const { size } = await handle.stat();
      if (this.scratch.length < size) this.scratch = Buffer.allocUnsafeSlow(size);
      let done = 0;
      while (done < size) {
        const { bytesRead } = await handle.read(this.scratch, done, size - done, done);
        if (bytesRead === 0) break; // shrank under us: take what is there
        done += bytesRead;
      }
      return this.scratch.subarray(0, done);
    } finally {
      await handle.close();
    }
  }
}
