/**
 * Frame encoding for the perf tool's control traffic (handshake, declares, consume, acks) with the
 * broker's own generated codec. The hot paths (publishing, reading deliveries) do not come through
 * here: publishes are pre-encoded once (template.ts), deliveries are read by offset (consumer.ts).
 */
import { Writer } from '../protocol/writer.js';
import { encodeMethod, FRAME_END, FRAME_METHOD, type Method } from '../protocol/generated/methods.js';

/** class-id << 16 | method-id of the methods the hot paths look for without decoding */
export const ID = {
  basicDeliver: (60 << 16) | 60,
  basicAck: (60 << 16) | 80,
  basicNack: (60 << 16) | 120,
  basicReturn: (60 << 16) | 50,
  basicConsumeOk: (60 << 16) | 21,
  basicCancel: (60 << 16) | 30,
  connectionBlocked: (10 << 16) | 60,
  connectionUnblocked: (10 << 16) | 61,
} as const;

/** Appends one method frame to `w`. */
export function writeMethodFrame(w: Writer, channel: number, m: Method): void {
  w.ensure(7);
  w.buf[w.pos] = FRAME_METHOD;
  w.buf.writeUInt16BE(channel, w.pos + 1);
  const sizeAt = w.pos + 3;
  w.pos += 7;
  encodeMethod(w, m);
  w.buf.writeUInt32BE(w.pos - sizeAt - 4, sizeAt);
  w.u8(FRAME_END);
}

/** One method frame as its own Buffer. */
export function methodFrame(channel: number, m: Method): Buffer {
  const w = new Writer(256);
  writeMethodFrame(w, channel, m);
  return Buffer.from(w.buf.subarray(0, w.pos));
}

/** The 8-byte heartbeat frame. */
export const HEARTBEAT_FRAME = Buffer.from([8, 0, 0, 0, 0, 0, 0, FRAME_END]);

/** basic.ack frames have a fixed size: header 7 + class/method 4 + tag 8 + bits 1 + end 1. */
export const ACK_FRAME_SIZE = 21;

/** Writes a basic.ack frame at `pos` of `buf` (which must have ACK_FRAME_SIZE bytes there). */
export function putAck(buf: Buffer, pos: number, channel: number, tag: number, multiple: boolean): void {
  buf[pos] = FRAME_METHOD;
  buf.writeUInt16BE(channel, pos + 1);
  buf.writeUInt32BE(13, pos + 3);
  buf.writeUInt32BE(ID.basicAck, pos + 7);
  buf.writeUInt32BE(Math.floor(tag / 0x100000000), pos + 11);
  buf.writeUInt32BE(tag >>> 0, pos + 15);
  buf[pos + 19] = multiple ? 1 : 0;
  buf[pos + 20] = FRAME_END;
}
