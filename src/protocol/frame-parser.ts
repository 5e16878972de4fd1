/**
 * A resumable AMQP frame parser. Each complete frame is handed out as a slice of the read buffer
 * (no copy); only a frame split across reads is copied, once, when its last byte arrives. The frame
 * size is checked against frame_max from the 7-byte header alone, before anything is buffered, so a
 * client announcing a 4 GiB frame never makes the broker allocate for it.
 */
import { frameError } from './errors.js';
import { FRAME_END } from './generated/methods.js';

export interface FrameSink {
  /** payload is a view into the read buffer: valid until the sink returns unless copied. */
  onFrame(type: number, channel: number, payload: Buffer): void;
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
    if (this.pendingBytes > 0) {
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
      if (this.pendingBytes < this.need) return;
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
    }
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
    return this.pendingBytes;
  }
}
