/**
 * Outgoing frames for one socket. Frames are encoded into one reusable Writer and written to the
 * socket once per event-loop turn (setImmediate), so a burst of deliveries costs one write syscall, not
 * one per frame. Large bodies are not copied: they are queued by reference and written with the
 * socket corked, in order with the encoded frames around them.
 */
import type { Socket } from 'node:net';
import { Writer } from '../protocol/writer.js';
import {
  FRAME_BODY,
  FRAME_END,
  FRAME_HEADER,
  FRAME_HEARTBEAT,
  FRAME_METHOD,
} from '../protocol/generated/methods.js';

/** Bodies at least this large go to the socket by reference instead of through the Writer. */
const ZERO_COPY_MIN = 16 * 1024;

type Encoder<A> = (w: Writer, args: A) => void;

/** A body lent to the outbox (Message.lend): told when the socket is done with it. */
export interface BodyLoan {
  release(ok: boolean, held: boolean): void;
}

const dirty = new Set<Outbox>();
let flushScheduled = false;

function flushAll(): void {
  flushScheduled = false;
  for (const o of dirty) o.flush();
  dirty.clear();
}

export class Outbox {
  private readonly socket: Socket;
  private readonly w = new Writer(16 * 1024);
  /** finished segments (encoded frames copied out, or large bodies by reference) awaiting the flush */
  private segments: Buffer[] = [];
  private segmentBytes = 0;
  /** bodies lent to the segments above, released when the write carrying them completes */
  private loans: BodyLoan[] = [];
  /** set once the socket is gone: further frames are dropped */
  closed = false;
  /** bytes written to the socket in total, for stats (send_oct) */
  bytesOut = 0;
  /** socket writes (flushes), for stats (send_cnt) */
  writes = 0;
  /**
   * Set when deliveries were refused for want of room (pending over the connection's high water).
   * Room comes back either with the socket's 'drain' or, when the kernel takes a whole flush at
   * once (no 'drain' is emitted then), at the end of that flush, which calls onRoom.
   */
  waitingForRoom = false;
  onRoom: (() => void) | undefined;
  /**
   * when anything was last written, for heartbeats: performance.now(), a monotonic clock, so a
   * wall-clock step (NTP, a resumed VM) neither silences heartbeats nor makes them look overdue
   */
  lastWrite = performance.now();
  frameMax = 131072;
  /** frame bytes of the newest message queued (content header and body frames), for writable() */
  lastContent = 0;

  constructor(socket: Socket) {
    this.socket = socket;
  }

  /** bytes queued here or in the socket's own buffer, not yet handed to the kernel */
  get pending(): number {
    return this.w.pos + this.segmentBytes + this.socket.writableLength;
  }

  method<A>(channel: number, encode: Encoder<A>, args: A): void {
    if (this.closed) return;
    const w = this.w;
    w.ensure(7);
    w.buf[w.pos] = FRAME_METHOD;
    w.buf.writeUInt16BE(channel, w.pos + 1);
    const sizeAt = w.pos + 3;
    w.pos += 7;
    try {
      encode(w, args);
    } catch (e) {
      w.pos = sizeAt - 3;
      throw e;
    }
    w.buf.writeUInt32BE(w.pos - sizeAt - 4, sizeAt);
    w.u8(FRAME_END);
    this.schedule();
  }

  /**
   * Content header (raw property bytes as received) and body frames split at frame_max. With `loan`,
   * the body was lent (Message.lend) and is released once its write completed.
   */
  content(channel: number, classId: number, properties: Buffer, body: Buffer, loan?: BodyLoan): void {
    if (this.closed) return;
    if (loan !== undefined) this.loans.push(loan);
    const w = this.w;
    const size = body.length;
    w.ensure(7 + 12 + properties.length + 1);
    w.buf[w.pos] = FRAME_HEADER;
    w.buf.writeUInt16BE(channel, w.pos + 1);
    w.buf.writeUInt32BE(12 + properties.length, w.pos + 3);
    w.buf.writeUInt16BE(classId, w.pos + 7);
    w.buf.writeUInt16BE(0, w.pos + 9);
    w.buf.writeUInt32BE(Math.floor(size / 0x100000000), w.pos + 11);
    w.buf.writeUInt32BE(size >>> 0, w.pos + 15);
    w.pos += 19;
    properties.copy(w.buf, w.pos);
    w.pos += properties.length;
    w.buf[w.pos++] = FRAME_END;
    const maxPayload = this.frameMax - 8;
    this.lastContent = 20 + properties.length + size + 8 * Math.ceil(size / maxPayload);
    for (let off = 0; off < size; off += maxPayload) {
      const n = Math.min(maxPayload, size - off);
      w.ensure(8);
      w.buf[w.pos] = FRAME_BODY;
      w.buf.writeUInt16BE(channel, w.pos + 1);
      w.buf.writeUInt32BE(n, w.pos + 3);
      w.pos += 7;
      if (n >= ZERO_COPY_MIN) {
        this.cut();
        this.segments.push(body.subarray(off, off + n));
        this.segmentBytes += n;
      } else {
        w.ensure(n + 1);
        body.copy(w.buf, w.pos, off, off + n);
        w.pos += n;
      }
      w.u8(FRAME_END);
    }
    this.schedule();
  }

  heartbeat(): void {
    if (this.closed) return;
    const w = this.w;
    w.ensure(8);
    w.buf[w.pos++] = FRAME_HEARTBEAT;
    w.buf.writeUInt32BE(0, w.pos);
    w.buf.writeUInt16BE(0, w.pos + 4);
    w.pos += 6;
    w.buf[w.pos++] = FRAME_END;
    this.schedule();
  }

  /** Raw bytes, e.g. the protocol header sent back on a version mismatch. */
  raw(bytes: Buffer): void {
    if (this.closed) return;
    this.w.bytes(bytes);
    this.schedule();
  }

  /** Moves what the Writer holds into a segment of its own (copied, since the Writer is reused). */
  private cut(): void {
    if (this.w.pos === 0) return;
    const seg = Buffer.allocUnsafe(this.w.pos);
    this.w.buf.copy(seg, 0, 0, this.w.pos);
    this.segments.push(seg);
    this.segmentBytes += seg.length;
    this.w.pos = 0;
  }

  private schedule(): void {
    dirty.add(this);
    if (!flushScheduled) {
      flushScheduled = true;
      setImmediate(flushAll);
    }
  }

  flush(): void {
    if (this.closed) {
      // Lent bodies never written stay unreleased: they are simply never reused.
      this.w.pos = 0;
      this.segments = [];
      this.segmentBytes = 0;
      this.loans = [];
      return;
    }
    this.cut();
    const segs = this.segments;
    if (segs.length === 0) return;
    this.segments = [];
    this.bytesOut += this.segmentBytes;
    this.writes++;
    this.segmentBytes = 0;
    this.lastWrite = performance.now();
    const loans = this.loans;
    // Writes complete in order: the last one's callback says the socket is done with them all.
    let done: ((err?: Error | null) => void) | undefined;
    if (loans.length > 0) {
      this.loans = [];
      done = (err) => {
        for (const l of loans) l.release(!err, true);
      };
    }
    if (segs.length === 1) {
      this.socket.write(segs[0] as Buffer, done);
    } else {
      this.socket.cork();
      const last = segs.length - 1;
      for (let i = 0; i < last; i++) this.socket.write(segs[i] as Buffer);
      this.socket.write(segs[last] as Buffer, done);
      this.socket.uncork();
    }
    // The kernel took everything at once: no 'drain' will come, so say here that there is room.
    if (this.waitingForRoom && !this.socket.writableNeedDrain) this.roomMade();
  }

  /**
   * Calls onRoom after the current flush pass (a microtask): what it writes must find this outbox
   * no longer in the middle of being flushed.
   */
  private roomMade(): void {
    this.waitingForRoom = false;
    if (this.onRoom) queueMicrotask(this.onRoom);
  }

  /** Flushes now and then ends the socket once everything queued has been written. */
  end(): void {
    this.flush();
    this.closed = true;
    dirty.delete(this);
    this.socket.end();
  }
}
