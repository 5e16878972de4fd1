/**
 * The message record payload:
 *
 *   queue count u16 | queue id u32 * count | exchange shortstr | routing key shortstr
 *   | properties length u32 | properties | body length u32 | body
 *
 * One record per published message whatever the number of durable queues it went to.
 */
import type { StoredMessage } from './message-store.js';
import { RECORD_HEADER_SIZE, RecordType, sealRecord, writeRecordHeader } from './record-format.js';

const MAX_U32 = 0xffffffff;

/** Sizes computed once per append and reused by `encodeMessageRecord`. */
export interface MessageLayout {
  readonly recordSize: number;
  readonly exchangeBytes: number;
  readonly routingKeyBytes: number;
}

export function messageLayout(queueIds: readonly number[], m: StoredMessage): MessageLayout {
  if (queueIds.length === 0 || queueIds.length > 0xffff) {
    throw new RangeError(`a stored message needs 1..65535 queues, got ${queueIds.length}`);
  }
  for (const q of queueIds) {
    if (!Number.isInteger(q) || q < 0 || q > MAX_U32) throw new RangeError(`queue id ${q} is not a u32`);
  }
  const exchangeBytes = Buffer.byteLength(m.exchange, 'utf8');
  const routingKeyBytes = Buffer.byteLength(m.routingKey, 'utf8');
  if (exchangeBytes > 255 || routingKeyBytes > 255)
    throw new RangeError('exchange or routing key over 255 bytes');
  const payload =
    2 +
    4 * queueIds.length +
    1 +
    exchangeBytes +
    1 +
    routingKeyBytes +
    4 +
    m.properties.length +
    4 +
    m.body.length;
  if (payload > MAX_U32 - RECORD_HEADER_SIZE) throw new RangeError('message too large for the store');
  return { recordSize: RECORD_HEADER_SIZE + payload, exchangeBytes, routingKeyBytes };
}

/** Writes the whole record (header, payload, CRC) at `buf[off]`. */
export function encodeMessageRecord(
  buf: Buffer,
  off: number,
  queueIds: readonly number[],
  m: StoredMessage,
  layout: MessageLayout,
): void {
  const payloadLength = layout.recordSize - RECORD_HEADER_SIZE;
  writeRecordHeader(buf, off, RecordType.Message, payloadLength);
  let p = off + RECORD_HEADER_SIZE;
  p = buf.writeUInt16BE(queueIds.length, p);
  for (const q of queueIds) p = buf.writeUInt32BE(q, p);
  buf[p++] = layout.exchangeBytes;
  p += buf.write(m.exchange, p, layout.exchangeBytes, 'utf8');
  buf[p++] = layout.routingKeyBytes;
  p += buf.write(m.routingKey, p, layout.routingKeyBytes, 'utf8');
  p = buf.writeUInt32BE(m.properties.length, p);
  p += m.properties.copy(buf, p);
  p = buf.writeUInt32BE(m.body.length, p);
  m.body.copy(buf, p);
  sealRecord(buf, off, payloadLength);
}

/**
 * True when the payload in `buf[start, end)` is a well-formed message: every length inside agrees with
 * the record length. Checked before the CRC, so resynchronising after corruption is cheap.
 */
export function messagePayloadValid(buf: Buffer, start: number, end: number): boolean {
  let p = start;
  if (end - p < 2) return false;
  const count = buf.readUInt16BE(p);
  if (count === 0) return false;
  p += 2 + 4 * count;
  if (p + 1 > end) return false;
  p += 1 + buf[p]!;
  if (p + 1 > end) return false;
  p += 1 + buf[p]!;
  if (p + 4 > end) return false;
  p += 4 + buf.readUInt32BE(p);
  if (p + 4 > end) return false;
  p += 4 + buf.readUInt32BE(p);
  return p === end;
}

/** Calls `each` with every queue id of a (validated) message payload. */
export function forEachQueueId(buf: Buffer, start: number, each: (queueId: number) => void): void {
  const count = buf.readUInt16BE(start);
  for (let i = 0; i < count; i++) each(buf.readUInt32BE(start + 2 + 4 * i));
}

/**
 * Decodes a validated payload. With `copy`, properties and body are copied into one new buffer (the
 * source is a scan buffer about to be reused); without, they are views of `buf`.
 */
export function decodeMessage(buf: Buffer, start: number, copy: boolean): StoredMessage {
  let p = start + 2 + 4 * buf.readUInt16BE(start);
  const exLen = buf[p++]!;
  const exchange = buf.toString('utf8', p, p + exLen);
  p += exLen;
  const rkLen = buf[p++]!;
  const routingKey = buf.toString('utf8', p, p + rkLen);
  p += rkLen;
  const propsLen = buf.readUInt32BE(p);
  const propsStart = p + 4;
  const bodyLen = buf.readUInt32BE(propsStart + propsLen);
  const bodyStart = propsStart + propsLen + 4;
  if (!copy) {
    return {
      exchange,
      routingKey,
      properties: buf.subarray(propsStart, propsStart + propsLen),
      body: buf.subarray(bodyStart, bodyStart + bodyLen),
    };
  }
  const own = Buffer.allocUnsafe(propsLen + bodyLen);
  buf.copy(own, 0, propsStart, propsStart + propsLen);
  buf.copy(own, propsLen, bodyStart, bodyStart + bodyLen);
  return { exchange, routingKey, properties: own.subarray(0, propsLen), body: own.subarray(propsLen) };
}
