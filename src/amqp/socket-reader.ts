/**
 * Reads an accepted socket into memory the broker chooses, through Node's `onread` mechanism (the
 * documented `onread` option of net.Socket, which net.Server does not offer for the sockets it
 * accepts, so it is switched on here after the fact).
 *
 * Why: with 'data' events Node allocates a fresh 64 KiB buffer for every read, and a 1 MiB message
 * then costs sixteen allocations, sixteen callbacks and a copy of every byte into the message body.
 * Here the reader picks each read's destination: while a large body frame is being gathered, the
 * rest of its payload is read by the kernel straight into the message body (no copy, no buffer in
 * between), and the reads around such frames stop at frame boundaries (FrameParser.readLimit);
 * otherwise reads fill a slab from where the previous read stopped, so a small read does not waste
 * the rest of a fresh buffer. A slab is never written twice: what the parser and the queues keep are
 * views into it, valid for as long as they are held, exactly as with 'data' chunks.
 *
 * Measured with plain Node relays on this 2-core machine (1 MiB writes through one relay process):
 * 'data' events 1,309 MiB/s; reads into fresh 1 MiB buffers, no copy, 2,152 MiB/s. In the broker
 * (npm run bench, scenario 7) this, with the body pool, took 1 MiB messages from 1,028-1,136 msg/s
 * to 2,063-2,248.
 *
 * Where the socket lacks what this needs (TLS sockets, another Node version's internals), nothing is
 * installed and the caller keeps reading through 'data' events.
 */
import type { Socket } from 'node:net';

/**
 * Bytes of a connection's first read slab, and of its slabs at most (Node's own read size). A
 * connection's slabs double from the first size whenever a read fills all the room it was offered:
 * an idle connection, which read its handshake and nothing since, keeps a 1 KiB slab, not 64.
 */
const FIRST_SLAB = 1024;
export const SLAB_SIZE = 64 * 1024;

export interface ReadTarget {
  /**
   * Memory the next read should land in, when the reader's owner is waiting for a known run of bytes
   * it wants in a particular place (a body frame's payload); undefined for an ordinary read.
   */
  directTarget(): Buffer | undefined;
  /** most bytes the next ordinary read should take, 0 for as many as there are */
  readLimit(): number;
  /** `n` bytes were read into the buffer directTarget returned */
  readDirect(n: number): void;
  /** `chunk` was read (a view into a slab; it stays valid, nothing reuses it) */
  readChunk(chunk: Buffer): void;
}

interface OnreadSocket {
  _handle?: { useUserBuffer?: (buf: Uint8Array) => void } | null;
}

function symbolNamed(socket: Socket, name: string): symbol | undefined {
  return Object.getOwnPropertySymbols(socket).find((s) => s.description === name);
}

/**
 * Switches `socket` to reading into buffers the reader chooses; false (and nothing changed) when it
 * cannot be done, and 'data' events should be used instead.
 */
export function installReader(socket: Socket, target: ReadTarget): boolean {
  const kBuffer = symbolNamed(socket, 'kBuffer');
  const kBufferCb = symbolNamed(socket, 'kBufferCb');
  const kBufferGen = symbolNamed(socket, 'kBufferGen');
  const handle = (socket as unknown as OnreadSocket)._handle;
  if (!kBuffer || !kBufferCb || !kBufferGen || typeof handle?.useUserBuffer !== 'function') return false;

  let slabSize = FIRST_SLAB;
  let slab = Buffer.allocUnsafe(slabSize);
  let slabPos = 0;
  /** the buffer handed out for the read in progress: a slab's free part or a direct target */
  let current: Buffer;
  let direct = false;

  const next = (): Buffer => {
    const d = target.directTarget();
    if (d !== undefined) {
      direct = true;
      current = d;
      return d;
    }
    direct = false;
    // A slab with less than a sixteenth of its size left is replaced rather than read into again.
    if (slab.length - slabPos < slabSize / 16) {
      slab = Buffer.allocUnsafe(slabSize);
      slabPos = 0;
    }
    const limit = target.readLimit();
    current = slab.subarray(slabPos, limit > 0 ? Math.min(slab.length, slabPos + limit) : slab.length);
    return current;
  };
  const onRead = (n: number): boolean => {
    if (direct) {
      target.readDirect(n);
    } else {
      const chunk = current.subarray(0, n);
      slabPos += n;
      if (n === current.length && slabSize < SLAB_SIZE && n >= slabSize / 16) slabSize *= 2;
      target.readChunk(chunk);
    }
    // Reading goes on unless the owner paused the socket meanwhile (socket.pause() stops the handle).
    return true;
  };

  const s = socket as unknown as Record<symbol, unknown>;
  current = next();
  s[kBuffer] = current;
  s[kBufferCb] = onRead;
  s[kBufferGen] = next;
  handle.useUserBuffer(current);
  return true;
}
