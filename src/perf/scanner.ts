/**
 * The consumer's frame reader. Unlike the broker's FrameParser it never assembles a body frame: it
 * hands over the first few bytes of each body frame (where the send time is) and skips the rest as it
 * streams past, so a 1 MiB message costs the consumer no copy at all. Method, content-header and
 * heartbeat frames are handed over whole: as slices of the read buffer when they lie in one read,
 * copied only when split across reads.
 */
import { FRAME_BODY, FRAME_END } from '../protocol/generated/methods.js';

export interface ScanSink {
  /** a whole method, content-header or heartbeat frame; `payload` is valid only during the call */
  frame(type: number, channel: number, payload: Buffer): void;
  /** a body frame of `size` bytes, of which `head` holds the first min(size, peek) */
  body(channel: number, size: number, head: Buffer): void;
}

const HEADER = 7;
/** No frame the consumer can be sent is larger (the broker's frame_max is at most this too). */
const MAX_FRAME = 1 << 30;

const enum State {
  Header,
  Payload,
  BodyHead,
  Skip,
}

export class FrameScanner {
  private state = State.Header;
  private readonly head = Buffer.alloc(HEADER);
  private headLen = 0;
  private type = 0;
  private channel = 0;
  private size = 0;
  /** a split non-body frame being gathered, end octet included */
  private payload = Buffer.alloc(0);
  private payloadLen = 0;
  /** the first bytes of a body frame split across reads */
  private readonly peekBuf: Buffer;
  private peekLen = 0;
  /** bytes of the current body frame (end octet included) still to skip */
  private skipLeft = 0;

  constructor(private readonly peek: number) {
    this.peekBuf = Buffer.alloc(peek);
  }

  push(chunk: Buffer, sink: ScanSink): void {
    const len = chunk.length;
    let pos = 0;
    while (pos < len) {
      switch (this.state) {
        case State.Header: {
          if (this.headLen === 0 && len - pos >= HEADER) {
            this.type = chunk[pos] as number;
            this.channel = chunk.readUInt16BE(pos + 1);
            this.size = chunk.readUInt32BE(pos + 3);
            pos += HEADER;
            // Fast path: a whole small frame in this read.
            if (this.type !== FRAME_BODY && this.size < MAX_FRAME && len - pos > this.size) {
              if (chunk[pos + this.size] !== FRAME_END)
                throw new Error('bad frame end octet from the broker');
              sink.frame(this.type, this.channel, chunk.subarray(pos, pos + this.size));
              pos += this.size + 1;
              continue;
            }
          } else {
            const n = Math.min(HEADER - this.headLen, len - pos);
            chunk.copy(this.head, this.headLen, pos, pos + n);
            this.headLen += n;
            pos += n;
            if (this.headLen < HEADER) return;
            this.headLen = 0;
            this.type = this.head[0] as number;
            this.channel = this.head.readUInt16BE(1);
            this.size = this.head.readUInt32BE(3);
          }
          if (this.size >= MAX_FRAME) throw new Error(`frame of ${this.size} bytes from the broker`);
          if (this.type === FRAME_BODY) {
            this.state = State.BodyHead;
            this.peekLen = 0;
          } else {
            this.state = State.Payload;
            if (this.payload.length < this.size + 1) this.payload = Buffer.allocUnsafe(this.size + 1);
            this.payloadLen = 0;
          }
          break;
        }
        case State.Payload: {
          const n = Math.min(this.size + 1 - this.payloadLen, len - pos);
          chunk.copy(this.payload, this.payloadLen, pos, pos + n);
          this.payloadLen += n;
          pos += n;
          if (this.payloadLen <= this.size) return;
          if (this.payload[this.size] !== FRAME_END) throw new Error('bad frame end octet from the broker');
          this.state = State.Header;
          sink.frame(this.type, this.channel, this.payload.subarray(0, this.size));
          break;
        }
        case State.BodyHead: {
          const want = Math.min(this.size, this.peek);
          if (this.peekLen === 0 && len - pos >= want) {
            // The head is in this read: look at it in place and skip it with the rest.
            sink.body(this.channel, this.size, chunk.subarray(pos, pos + want));
            this.skipLeft = this.size + 1;
          } else {
            const n = Math.min(want - this.peekLen, len - pos);
            chunk.copy(this.peekBuf, this.peekLen, pos, pos + n);
            this.peekLen += n;
            pos += n;
            if (this.peekLen < want) return;
            sink.body(this.channel, this.size, this.peekBuf.subarray(0, want));
            this.skipLeft = this.size + 1 - want;
          }
          this.state = State.Skip;
          break;
        }
        case State.Skip: {
          const n = Math.min(this.skipLeft, len - pos);
          this.skipLeft -= n;
          pos += n;
          if (this.skipLeft > 0) return;
          if (chunk[pos - 1] !== FRAME_END) throw new Error('bad frame end octet from the broker');
          this.state = State.Header;
          break;
        }
      }
    }
  }
}
