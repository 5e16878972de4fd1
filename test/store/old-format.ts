/**
 * Builds store files the way Warren wrote them before arrival times and returned-marks existed (record
 * types 1 to 3 only), byte by byte and independently of src/store's encoder, so a test can prove a
 * data directory from that release still opens. Do not "fix" this to follow newer formats: it pins the
 * old bytes.
 */
import { crc32 } from 'node:zlib';

/** `WRNS`, format version 1, file kind, reserved */
function header(kind: 'M' | 'A'): Buffer {
  return Buffer.from(`WRNS\x00\x01${kind}\x00`, 'latin1');
}

function record(type: number, payload: Buffer): Buffer {
  const head = Buffer.alloc(9);
  head.writeUInt32BE(payload.length, 0);
  head[8] = type;
  head.writeUInt32BE(crc32(Buffer.concat([head.subarray(8), payload])), 4);
  return Buffer.concat([head, payload]);
}

export interface OldMessage {
  queues: number[];
  exchange: string;
  routingKey: string;
  properties: Buffer;
  body: Buffer;
}

function shortstr(s: string): Buffer {
  const b = Buffer.from(s, 'utf8');
  return Buffer.concat([Buffer.from([b.length]), b]);
}

function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
}

/** A version-1 msgs file holding type-1 records; returns its bytes and each record's offset. */
export function oldMessagesFile(messages: OldMessage[]): { bytes: Buffer; offsets: number[] } {
  const parts = [header('M')];
  const offsets: number[] = [];
  let at = parts[0]!.length;
  for (const m of messages) {
    const count = Buffer.alloc(2);
    count.writeUInt16BE(m.queues.length);
    const rec = record(
      1,
      Buffer.concat([
        count,
        ...m.queues.map(u32),
        shortstr(m.exchange),
        shortstr(m.routingKey),
        u32(m.properties.length),
        m.properties,
        u32(m.body.length),
        m.body,
      ]),
    );
    offsets.push(at);
    at += rec.length;
    parts.push(rec);
  }
  return { bytes: Buffer.concat(parts), offsets };
}

/** A version-1 acks file: acks (type 2) and delivered-marks (type 3) as (queue, message offset). */
export function oldAcksFile(marks: { type: 'ack' | 'delivered'; queue: number; offset: number }[]): Buffer {
  return Buffer.concat([
    header('A'),
    ...marks.map((k) => record(k.type === 'ack' ? 2 : 3, Buffer.concat([u32(k.queue), u32(k.offset)]))),
  ]);
}
