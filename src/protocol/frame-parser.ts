/**
 * A resumable AMQP frame parser. Each complete frame is handed out as a slice of the read buffer
 * (no copy); only a frame split across reads is copied, once, when its last byte arrives. The frame
 * size is checked against frame_max from the 7-byte header alone, before anything is buffered, so a
 * client announcing a 4 GiB frame never makes the broker allocate for it.
 *
 * A body frame split across reads can instead be gathered straight into memory the sink provides
 * (bodyTarget): large messages arrive as 128 KiB frames in 64 KiB reads, so nearly every one of their
 * frames is split, and gathering them into the message body as the bytes arrive saves joining each
 * frame into a buffer of its own only to copy it into the body afterwards (a megabyte allocated and
 * copied per megabyte published).
 */
import { frameError } from './errors.js';
import { FRAME_BODY, FRAME_END } from './generated/methods.js';

export interface FrameSink {
  /** payload is a view into the read buffer: valid until the sink returns unless copied. */
  onFrame(type: number, channel: number, payload: Buffer): void;
  /**
   * Where to gather the `size` payload bytes of a body frame on `channel` that did not arrive in one
   * read: a buffer of exactly `size` bytes, then handed to onFrame as the payload once the frame is
   * complete and its end octet checked; undefined to have the parser assemble it as any other frame.
   * Bytes are copied into it as they arrive, before the frame is known to be well formed.
   */
  bodyTarget?(channel: number, size: number): Buffer | undefined;
}

const HEADER = 7;
/**
 * RabbitMQ lets a frame exceed frame_max by up to 8 bytes (its FRAME_SIZE_FUDGE): clients often
 * count the header and end octet wrong, so a payload of frame_max itself is still accepted.
 */
const FUDGE = 8;

export class FrameParser {
  /** Largest frame accepted, header and end octet included (the negotiated frame_max). */
  frameMax: number;
  /** set by the sink to stop parsing the rest of the current read (e.g. after a connection error) */
  stopped = false;
  /** set when the stream broke framing (bad size or end octet): nothing after it can be parsed */
  failed = false;
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  /** total size of the frame being assembled from `pending`, or 0 while its header is incomplete */
  private need = 0;
  /** the sink's buffer a split body frame's payload is being gathered into (see bodyTarget) */
  private target: Buffer | undefined;
  /** payload bytes gathered into `target` so far, and the frame's channel */
  private targetLen = 0;
  private targetChannel = 0;
  /** payload size of the last body frame completed by gathering (readLimit), 0 once used */
  private lastGathered = 0;

  constructor(frameMax: number) {
    this.frameMax = frameMax;
  }

  push(chunk: Buffer, sink: FrameSink): void {
    if (this.failed) return;
    try {
      this.parse(chunk, sink);
    } catch (e) {
      if (this.framing) this.failed = true;
      this.framing = false;
      throw e;
    }
  }

  /** true while checking the frame layout itself, so errors there can be told from the sink's */
  private framing = false;

  private parse(chunk: Buffer, sink: FrameSink): void {
    let buf = chunk;
    let pos = 0;
    if (this.target !== undefined && !this.stopped) {
      if (this.pendingBytes > 0) {
        // Held back while stopped (see below): gather it now, with what just arrived.
        buf = Buffer.concat(chunk.length > 0 ? [...this.pending, chunk] : this.pending);
        this.pending = [];
        this.pendingBytes = 0;
      }
      pos = this.gather(buf, sink);
      if (pos < 0) return;
    } else if (this.target !== undefined) {
      // Stopped mid-frame (the sink stopped reading; no more data is expected until it resumes): hold
      // the bytes and gather them when parsing continues.
      if (chunk.length > 0) {
        this.pending.push(chunk);
        this.pendingBytes += chunk.length;
      }
      return;
    } else if (this.pendingBytes > 0) {
      // Finish the split frame first: gather just enough bytes to complete it.
      if (chunk.length > 0) {
        this.pending.push(chunk);
        this.pendingBytes += chunk.length;
      }
      if (this.need === 0) {
        if (this.pendingBytes < HEADER) return;
        const head =
          this.pending.length === 1 ? (this.pending[0] as Buffer) : Buffer.concat(this.pending, HEADER);
        this.need = this.frameSize(head, 0);
      }
      if (this.pendingBytes < this.need) {
        this.startGather(sink);
        return;
      }
      buf =
        this.pending.length === 1
          ? (this.pending[0] as Buffer)
          : Buffer.concat(this.pending, this.pendingBytes);
      this.pending = [];
      this.pendingBytes = 0;
      this.need = 0;
    }
    const len = buf.length;
    while (pos < len && !this.stopped) {
      if (len - pos < HEADER) break;
      const size = this.frameSize(buf, pos);
      if (len - pos < size) break;
      const end = pos + size - 1;
      if (buf[end] !== FRAME_END) {
        this.framing = true;
        throw frameError(`invalid frame end octet 0x${(buf[end] ?? 0).toString(16)}`);
      }
      sink.onFrame(buf[pos] as number, buf.readUInt16BE(pos + 1), buf.subarray(pos + HEADER, end));
      pos += size;
    }
    if (pos < len) {
      // Either a partial frame, or the sink stopped us: keep the rest (a view, no copy yet).
      const rest = buf.subarray(pos);
      this.pending = [rest];
      this.pendingBytes = rest.length;
      this.need = rest.length >= HEADER ? this.frameSize(rest, 0) : 0;
      if (!this.stopped && this.need > rest.length) this.startGather(sink);
    }
  }

  /**
   * The incomplete frame held in `pending` (its header known) is a body frame and the sink has
   * a buffer for it: its payload bytes so far move there and the rest follows as it arrives.
   */
  private startGather(sink: FrameSink): void {
    const first = this.pending[0] as Buffer;
    if (first[0] !== FRAME_BODY || sink.bodyTarget === undefined) return;
    const size = this.need - HEADER - 1;
    const head = first.length >= HEADER ? first : Buffer.concat(this.pending, HEADER);
    const target = sink.bodyTarget(head.readUInt16BE(1), size);
    if (target === undefined) return;
    if (target.length !== size) throw new Error(`body target of ${target.length} bytes for ${size}`);
    // Skip the 7 header bytes, which may themselves be split across the held pieces.
    let skip = HEADER;
    let filled = 0;
    for (const piece of this.pending) {
      const from = Math.min(skip, piece.length);
      skip -= from;
      filled += piece.copy(target, filled, from);
    }
    this.target = target;
    this.targetLen = filled;
    this.targetChannel = head.readUInt16BE(1);
    this.pending = [];
    this.pendingBytes = 0;
  }

  /**
   * Copies the next bytes of the frame being gathered from `buf`. When they complete it (end octet
   * included and checked), hands the frame to the sink and returns where the next frame starts in
   * `buf`; -1 while the frame is still incomplete.
   */
  private gather(buf: Buffer, sink: FrameSink): number {
    const target = this.target as Buffer;
    let pos = 0;
    if (this.targetLen < target.length) {
      pos = buf.copy(target, this.targetLen, 0, Math.min(buf.length, target.length - this.targetLen));
      this.targetLen += pos;
      if (this.targetLen < target.length) return -1;
    }
    if (pos >= buf.length) return -1; // the end octet has not arrived yet
    if (buf[pos] !== FRAME_END) {
      this.framing = true;
      throw frameError(`invalid frame end octet 0x${(buf[pos] ?? 0).toString(16)}`);
    }
    this.target = undefined;
    this.targetLen = 0;
    this.need = 0;
    this.lastGathered = target.length;
    sink.onFrame(FRAME_BODY, this.targetChannel, target);
    return pos + 1;
  }

  /**
   * Where the next bytes from the socket may be read to directly: the rest of the payload of the body
   * frame being gathered, when at least `min` bytes of it are still to come and nothing is held back.
   * The caller then reports the bytes it read there with readDirect, and resumes pushing after them.
   */
  directTarget(min: number): Buffer | undefined {
    const target = this.target;
    if (target === undefined || this.stopped || this.failed || this.pendingBytes > 0) return undefined;
    if (target.length - this.targetLen < min) return undefined;
    return target.subarray(this.targetLen);
  }

  /**
   * How many bytes the next ordinary read should take at most (0: no limit) while large body frames
   * (payloads of `big` bytes or more) stream in, so that their payloads are read in place
   * (directTarget) rather than into a read buffer and copied:
   * - a large frame's payload is all in: just its end octet and the next frame's header (8 bytes), so
   *   that when another body frame follows, its whole payload can be offered;
   * - after a large frame, a small rest of the next (the last of a body, too small for a read of its
   *   own) or the start of another frame: that rest, its end octet and `head` bytes, enough for a new
   *   message's method frame, content header and the header of its first body frame.
   * Small frames never limit reads: extra reads would cost them more than the copies they save.
   */
  readLimit(big: number, head: number): number {
    const target = this.target;
    if (target !== undefined && target.length >= big) {
      return this.targetLen === target.length && this.pendingBytes === 0 ? 1 + HEADER : 0;
    }
    if (this.lastGathered < big) return 0;
    this.lastGathered = 0; // once: if that was not enough, ordinary reads bring the rest
    return target === undefined ? head : target.length - this.targetLen + 1 + head;
  }

  /** `n` bytes were read straight into the buffer directTarget returned. */
  readDirect(n: number): void {
    this.targetLen += n;
  }

  /** Continues with bytes held back when the sink stopped the parser (call after clearing `stopped`). */
  resume(sink: FrameSink): void {
    if (this.pendingBytes > 0) this.push(Buffer.alloc(0), sink);
  }

  /** Whole frame length (header + payload + end octet), checked against frame_max (plus FUDGE). */
  private frameSize(buf: Buffer, pos: number): number {
    const payload = buf.readUInt32BE(pos + 3);
    const size = payload + HEADER + 1;
    if (size > this.frameMax + FUDGE) {
      this.framing = true;
      // RabbitMQ's wording: the frame type, no payload octets (none were read), and the limit.
      const limit = this.frameMax - HEADER - 1;
      throw frameError(`type ${buf[pos]}, all octets = <<>>: {frame_too_large,${payload},${limit}}`);
    }
    return size;
  }

  /** bytes held for a frame split across reads */
  get buffered(): number {
    return this.pendingBytes + (this.target === undefined ? 0 : HEADER + this.targetLen);
  }
}
