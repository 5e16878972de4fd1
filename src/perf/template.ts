/**
 * Pre-encoded publishes. A producer's messages differ only in their routing key (it cycles through
 * its keys) and the send time stamped into the first 8 bytes of the body, so the frames of one full
 * cycle (basic.publish + content header + body frames per message) are encoded once at the start.
 * Publishing `n` messages then costs one socket write of a slice of that Buffer plus one 8-byte store
 * per message for the timestamp: no encoding and no allocation per message.
 *
 * Stamping writes into the Buffer, and a Buffer handed to socket.write() may still be waiting in the
 * socket's queue, so the template is kept in several copies: a producer writes slices of one copy
 * until it wraps around, and then moves to a copy none of whose writes is still pending (making a new
 * one only when every copy is still queued, i.e. the socket is backed up).
 */
import { Writer } from '../protocol/writer.js';
import { encodeBasicProperties, FRAME_BODY, FRAME_END, FRAME_HEADER } from '../protocol/generated/methods.js';
import { writeMethodFrame } from './wire.js';

export interface TemplateSpec {
  channel: number;
  exchange: string;
  /** the routing keys a producer cycles through, in order */
  routingKeys: string[];
  size: number;
  persistent: boolean;
  /** > 0: priorities 0..priorities-1 in turn */
  priorities: number;
  frameMax: number;
  /** aim for writes of about this many bytes when sending as fast as possible */
  writeBytes: number;
}

/** The send time is a little-endian double (monotonic microseconds) at the start of the body. */
export const STAMP_BYTES = 8;

/** Fills the body with printable bytes after the stamp, so a body is easy to recognise in a capture. */
const FILLER = 0x2e;

interface Copy {
  buf: Buffer;
  /** socket writes of slices of this copy not yet flushed */
  pending: number;
  /** write callback: one bound function per copy, so a write allocates nothing */
  release: () => void;
}

export class PublishTemplate {
  /** messages in one cycle */
  readonly count: number;
  /** messages per write when sending as fast as possible */
  readonly batch: number;
  /** start offset of each message, plus the end of the last */
  private readonly offsets: Uint32Array;
  /** offset of each message's stamp, or -1 when bodies are shorter than a stamp */
  private readonly stampAt: Int32Array;
  private readonly master: Buffer;
  private readonly copies: Copy[] = [];
  private current: Copy;
  /** next message of the cycle */
  private cursor = 0;

  constructor(spec: TemplateSpec) {
    const keys = spec.routingKeys.length > 0 ? spec.routingKeys : [''];
    const w = new Writer(64 * 1024);
    const body = Buffer.alloc(spec.size, FILLER);
    const first = encodeOne(w, spec, keys[0] as string, 0, body);
    this.batch = Math.max(1, Math.min(512, Math.floor(spec.writeBytes / first)));
    // A whole number of key cycles (and of priority cycles), at least one batch long.
    const period = lcm(keys.length, Math.max(1, spec.priorities));
    this.count = period * Math.max(1, Math.ceil(this.batch / period));
    this.offsets = new Uint32Array(this.count + 1);
    this.stampAt = new Int32Array(this.count);
    w.pos = 0;
    for (let i = 0; i < this.count; i++) {
      const at = w.pos;
      this.offsets[i] = at;
      const len = encodeOne(w, spec, keys[i % keys.length] as string, i, body);
      // The body frames come last: the stamp is the first payload byte of the first of them.
      this.stampAt[i] = spec.size >= STAMP_BYTES ? at + len - bodyFramesBytes(spec) + 7 : -1;
    }
    this.offsets[this.count] = w.pos;
    this.master = Buffer.from(w.buf.subarray(0, w.pos));
    this.current = this.newCopy();
  }

  /** bytes of one full cycle */
  get bytes(): number {
    return this.master.length;
  }

  /**
   * Writes the next `n` messages to `write` (one call per contiguous slice, usually one), stamped
   * with `now`. `write` must call `done` once the slice has left (socket.write's callback); it
   * returns what socket.write returned, and so does this (false: the socket's buffer is full).
   */
  send(n: number, now: number, write: (slice: Buffer, done: () => void) => boolean): boolean {
    let ok = true;
    while (n > 0) {
      const from = this.cursor;
      const to = Math.min(this.count, from + n);
      const copy = this.current;
      const buf = copy.buf;
      for (let i = from; i < to; i++) {
        const at = this.stampAt[i] as number;
        if (at >= 0) buf.writeDoubleLE(now, at);
      }
      copy.pending++;
      ok = write(buf.subarray(this.offsets[from], this.offsets[to]), copy.release);
      n -= to - from;
      this.cursor = to;
      if (to === this.count) {
        this.cursor = 0;
        this.current = this.copies.find((c) => c.pending === 0) ?? this.newCopy();
      }
    }
    return ok;
  }

  private newCopy(): Copy {
    const copy: Copy = { buf: Buffer.from(this.master), pending: 0, release: () => {} };
    copy.release = () => {
      copy.pending--;
    };
    this.copies.push(copy);
    return copy;
  }
}

/** Bytes of a message's body frames: one frame of header + payload + end per frame_max-8 bytes. */
function bodyFramesBytes(spec: TemplateSpec): number {
  const maxPayload = spec.frameMax - 8;
  const frames = Math.ceil(spec.size / maxPayload);
  return spec.size + frames * 8;
}

/** Appends one message's frames to `w`; returns their length. */
function encodeOne(w: Writer, spec: TemplateSpec, routingKey: string, index: number, body: Buffer): number {
  const start = w.pos;
  writeMethodFrame(w, spec.channel, {
    kind: 'basic.publish',
    exchange: spec.exchange,
    routingKey,
    mandatory: false,
    immediate: false,
  });
  // content header: class 60, weight 0, body size (64 bit), properties
  w.ensure(7 + 12);
  w.buf[w.pos] = FRAME_HEADER;
  w.buf.writeUInt16BE(spec.channel, w.pos + 1);
  const sizeAt = w.pos + 3;
  w.pos += 7;
  w.u16(60);
  w.u16(0);
  w.u64(spec.size);
  encodeBasicProperties(w, {
    ...(spec.persistent ? { deliveryMode: 2 } : {}),
    ...(spec.priorities > 0 ? { priority: index % spec.priorities } : {}),
  });
  w.buf.writeUInt32BE(w.pos - sizeAt - 4, sizeAt);
  w.u8(FRAME_END);
  const maxPayload = spec.frameMax - 8;
  for (let off = 0; off < spec.size; off += maxPayload) {
    const n = Math.min(maxPayload, spec.size - off);
    w.ensure(8 + n);
    w.buf[w.pos] = FRAME_BODY;
    w.buf.writeUInt16BE(spec.channel, w.pos + 1);
    w.buf.writeUInt32BE(n, w.pos + 3);
    w.pos += 7;
    body.copy(w.buf, w.pos, off, off + n);
    w.pos += n;
    w.buf[w.pos++] = FRAME_END;
  }
  return w.pos - start;
}

function lcm(a: number, b: number): number {
  const gcd = (x: number, y: number): number => (y === 0 ? x : gcd(y, x % y));
  return (a / gcd(a, b)) * b;
}
