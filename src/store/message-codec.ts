/**
 * The message record payload (type 1):
 *
 *   queue count u16 | queue id u32 * count | exchange shortstr | routing key shortstr
 *   | properties length u32 | properties | body length u32 | body
 *
 * A message given an arrival time is a type-5 record: arrivedAt u64 (ms since the epoch), then the
 * same fields. Messages without one keep the older, 8-byte shorter type 1, so the common path costs
 * nothing and records written before type 5 existed read as they always did.
 *
 * One record per published message whatever the number of durable queues it went to.
 */
import { BASIC_PROPERTY_FLAG } from '../protocol/generated/methods.js';
import type { StoredMessage } from './message-store.js';
import { RECORD_HEADER_SIZE, RecordType, sealRecord, writeRecordHeader } from './record-format.js';

const MAX_U32 = 0xffffffff;
const TWO_32 = 0x100000000;
/** the arrivedAt prefix of a type-5 payload */
export const ARRIVED_AT_SIZE = 8;

/** Sizes computed once per append and reused by `encodeMessageRecord`. */
export interface MessageLayout {
  readonly recordSize: number;
  readonly exchangeBytes: number;
  readonly routingKeyBytes: number;
}

/** Where the type-1 fields of a message payload starting at `start` begin. */
export function messageFieldsStart(type: number, start: number): number {
  return type === RecordType.TimedMessage ? start + ARRIVED_AT_SIZE : start;
}

/** The arrival time of a type-5 payload starting at `start`. */
export function readArrivedAt(buf: Buffer, start: number): number {
  return buf.readUInt32BE(start) * TWO_32 + buf.readUInt32BE(start + 4);
}

function checkArrivedAt(arrivedAt: number): void {
  if (!Number.isSafeInteger(arrivedAt) || arrivedAt < 0) {
    throw new RangeError(`arrivedAt must be a non-negative integer (ms since the epoch), got ${arrivedAt}`);
  }
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
  let timed = 0;
  if (m.arrivedAt !== undefined) {
    checkArrivedAt(m.arrivedAt);
    timed = ARRIVED_AT_SIZE;
  }
  const payload =
    timed +
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
  let p = off + RECORD_HEADER_SIZE;
  if (m.arrivedAt === undefined) {
    writeRecordHeader(buf, off, RecordType.Message, payloadLength);
  } else {
    writeRecordHeader(buf, off, RecordType.TimedMessage, payloadLength);
    p = buf.writeUInt32BE(Math.floor(m.arrivedAt / TWO_32), p);
    p = buf.writeUInt32BE(m.arrivedAt % TWO_32, p);
  }
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
 * True when `buf[start, end)` is the payload of a well-formed message record of this type: every
 * length inside agrees with the record length (and an arrival time is a safe integer). Checked before
 * the CRC, so resynchronising after corruption is cheap.
 */
export function messagePayloadValid(type: number, buf: Buffer, start: number, end: number): boolean {
  if (type === RecordType.Message) return messageFieldsValid(buf, start, end);
  if (type !== RecordType.TimedMessage || end - start < ARRIVED_AT_SIZE) return false;
  // above 2^53 - 1 the time would not round-trip through a number: not something we wrote
  return buf.readUInt32BE(start) <= 0x1fffff && messageFieldsValid(buf, start + ARRIVED_AT_SIZE, end);
}

function messageFieldsValid(buf: Buffer, start: number, end: number): boolean {
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

/** Calls `each` with every queue id of a (validated) message; `start` from `messageFieldsStart`. */
export function forEachQueueId(buf: Buffer, start: number, each: (queueId: number) => void): void {
  const count = buf.readUInt16BE(start);
  for (let i = 0; i < count; i++) each(buf.readUInt32BE(start + 2 + 4 * i));
}

/**
 * Decodes a validated payload of a message record of this type. With `copy`, properties and body are
 * copied into one new buffer (the source is a scan buffer about to be reused); without, they are views
 * of `buf`.
 */
export function decodeMessage(type: number, buf: Buffer, start: number, copy: boolean): StoredMessage {
  const m = decodeFields(buf, messageFieldsStart(type, start), copy);
  // added only when recorded, so untimed messages keep the smaller object shape
  if (type === RecordType.TimedMessage) m.arrivedAt = readArrivedAt(buf, start);
  return m;
}

/** what a queue needs to place a message at startup: its priority lane, its TTL */
const PLACEMENT_FLAGS = BASIC_PROPERTY_FLAG.priority | BASIC_PROPERTY_FLAG.expiration;

/**
 * A copy of the raw properties of a validated message of this type when they carry a priority or an
 * expiration; otherwise undefined. Recovery keeps this much of a message whose body stays on disk.
 */
export function placementProperties(type: number, buf: Buffer, start: number): Buffer | undefined {
  let p = messageFieldsStart(type, start);
  p += 2 + 4 * buf.readUInt16BE(p);
  p += 1 + buf[p]!; // exchange
  p += 1 + buf[p]!; // routing key
  const length = buf.readUInt32BE(p);
  if (length < 2 || (buf.readUInt16BE(p + 4) & PLACEMENT_FLAGS) === 0) return undefined;
  return Buffer.from(buf.subarray(p + 4, p + 4 + length));
}

/** StoredMessage with arrivedAt still settable, while decoding */
type Decoded = Omit<StoredMessage, 'arrivedAt'> & { arrivedAt?: number };

function decodeFields(buf: Buffer, start: number, copy: boolean): Decoded {
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
