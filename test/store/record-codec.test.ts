/**
 * The pieces under the store: the portable CRC-32 agrees with zlib's, message records round-trip and
 * are validated against their own lengths, and the scanner resynchronises after damage.
 */
import assert from 'node:assert/strict';
import * as zlib from 'node:zlib';
import { describe, test } from 'node:test';
import { crc32, crc32Portable } from '../../src/store/crc32.js';
import {
  decodeMessage,
  encodeMessageRecord,
  forEachQueueId,
  messageFieldsStart,
  messageLayout,
  messagePayloadValid,
} from '../../src/store/message-codec.js';
import { RECORD_HEADER_SIZE, RecordType } from '../../src/store/record-format.js';
import { scanRecords, type PayloadCheck } from '../../src/store/record-scan.js';
import { numbered, prng } from './helpers.js';

const isMessage: PayloadCheck = messagePayloadValid;

function records(count: number, seed: number): { image: Buffer; offsets: number[] } {
  const rnd = prng(seed);
  const parts: Buffer[] = [];
  const offsets: number[] = [];
  let at = 0;
  for (let i = 0; i < count; i++) {
    const m = numbered(i, 4 + Math.floor(rnd() * 300), rnd);
    const layout = messageLayout([i, i + 1], m);
    const buf = Buffer.alloc(layout.recordSize);
    encodeMessageRecord(buf, 0, [i, i + 1], m, layout);
    parts.push(buf);
    offsets.push(at);
    at += buf.length;
  }
  return { image: Buffer.concat(parts), offsets };
}

describe('store record codec', () => {
  test('portable CRC-32 matches zlib and known values', () => {
    assert.equal(crc32Portable(Buffer.from('123456789')), 0xcbf43926);
    assert.equal(crc32(Buffer.from('123456789')), 0xcbf43926);
    const rnd = prng(5);
    const buf = Buffer.from(Array.from({ length: 5000 }, () => Math.floor(rnd() * 256)));
    for (const [s, e] of [
      [0, 5000],
      [17, 4001],
      [100, 100],
    ] as const) {
      assert.equal(crc32Portable(buf, s, e), crc32(buf, s, e));
    }
    assert.equal(typeof (zlib as { crc32?: unknown }).crc32, 'function', 'Node 20.20 has zlib.crc32');
  });

  test('a message record round-trips', () => {
    const m = {
      exchange: 'ex-ü',
      routingKey: 'a.b.c',
      properties: Buffer.from([0x80, 0, 1, 2]),
      body: Buffer.from('hi'),
    };
    const layout = messageLayout([3, 70000, 0xffffffff], m);
    const buf = Buffer.alloc(layout.recordSize + 5);
    encodeMessageRecord(buf, 5, [3, 70000, 0xffffffff], m, layout);
    const start = 5 + RECORD_HEADER_SIZE;
    assert.equal(buf[5 + 8], RecordType.Message, 'no arrival time: the original record type');
    assert.ok(messagePayloadValid(RecordType.Message, buf, start, 5 + layout.recordSize));
    assert.ok(!messagePayloadValid(RecordType.Message, buf, start, 5 + layout.recordSize - 1));
    assert.ok(!messagePayloadValid(RecordType.TimedMessage, buf, start, 5 + layout.recordSize));
    const ids: number[] = [];
    forEachQueueId(buf, start, (q) => ids.push(q));
    assert.deepEqual(ids, [3, 70000, 0xffffffff]);
    for (const copy of [true, false]) {
      const d = decodeMessage(RecordType.Message, buf, start, copy);
      assert.equal(d.exchange, 'ex-ü');
      assert.equal(d.routingKey, 'a.b.c');
      assert.deepEqual(d.properties, m.properties);
      assert.deepEqual(d.body, m.body);
      assert.ok(!('arrivedAt' in d), 'no arrivedAt key when none was stored');
    }
  });

  test('a message with an arrival time is a type-5 record, 8 bytes longer, and round-trips', () => {
    for (const arrivedAt of [0, 1_763_700_000_123, 2 ** 32 - 1, 2 ** 32, Number.MAX_SAFE_INTEGER]) {
      const plain = numbered(9, 10);
      const m = { ...plain, arrivedAt };
      const layout = messageLayout([4, 5], m);
      assert.equal(layout.recordSize, messageLayout([4, 5], plain).recordSize + 8);
      const buf = Buffer.alloc(layout.recordSize);
      encodeMessageRecord(buf, 0, [4, 5], m, layout);
      assert.equal(buf[8], RecordType.TimedMessage);
      const start = RECORD_HEADER_SIZE;
      assert.ok(messagePayloadValid(RecordType.TimedMessage, buf, start, buf.length));
      assert.ok(!messagePayloadValid(RecordType.Message, buf, start, buf.length), 'type byte matters');
      assert.ok(!messagePayloadValid(RecordType.TimedMessage, buf, start, buf.length - 1));
      const ids: number[] = [];
      forEachQueueId(buf, messageFieldsStart(RecordType.TimedMessage, start), (q) => ids.push(q));
      assert.deepEqual(ids, [4, 5]);
      for (const copy of [true, false]) {
        const d = decodeMessage(RecordType.TimedMessage, buf, start, copy);
        assert.equal(d.arrivedAt, arrivedAt);
        assert.deepEqual(d.body, plain.body);
        assert.equal(d.routingKey, plain.routingKey);
      }
      const scanned: number[] = [];
      scanRecords(buf, 0, buf.length, isMessage, (type) => scanned.push(type));
      assert.deepEqual(scanned, [RecordType.TimedMessage]);
    }
  });

  test('an arrival time that is not a non-negative safe integer is refused at append', () => {
    for (const arrivedAt of [-1, 1.5, Number.NaN, Infinity, 2 ** 53]) {
      assert.throws(() => messageLayout([1], { ...numbered(1), arrivedAt }), RangeError, String(arrivedAt));
    }
  });

  test('a type-5 record whose time exceeds 2^53 - 1 is malformed, not decoded', () => {
    const m = { ...numbered(1), arrivedAt: 5 };
    const layout = messageLayout([1], m);
    const buf = Buffer.alloc(layout.recordSize);
    encodeMessageRecord(buf, 0, [1], m, layout);
    buf.writeUInt32BE(0x200000, RECORD_HEADER_SIZE); // 2^53
    assert.ok(!messagePayloadValid(RecordType.TimedMessage, buf, RECORD_HEADER_SIZE, buf.length));
  });

  test('scan: clean image, then a damaged length field is resynchronised past', () => {
    const { image, offsets } = records(50, 7);
    const seen: number[] = [];
    const clean = scanRecords(image, 0, image.length, isMessage, (_t, off) => seen.push(off));
    assert.deepEqual(seen, offsets);
    assert.deepEqual(clean.damage, []);

    const damaged = Buffer.from(image);
    damaged.writeUInt32BE(0x7fffffff, offsets[10]!); // record 10 claims to be 2 GiB long
    const seen2: number[] = [];
    const r = scanRecords(damaged, 0, damaged.length, isMessage, (_t, off) => seen2.push(off));
    assert.deepEqual(
      seen2,
      offsets.filter((_, i) => i !== 10),
    );
    assert.equal(r.damage.length, 1);
    assert.equal(r.tornAt, undefined);
  });

  test('scan: zeroed pages in the middle (an unwritten hole) are skipped, a torn end is cut', () => {
    const { image, offsets } = records(40, 8);
    const damaged = Buffer.from(image);
    damaged.fill(0, offsets[5]! + 3, offsets[9]! + 8); // records 5..9 damaged (9: its length and crc)
    const cut = damaged.subarray(0, offsets[39]! + 10); // last record partial
    const seen: number[] = [];
    const r = scanRecords(cut, 0, cut.length, isMessage, (_t, off) => seen.push(off));
    assert.deepEqual(
      seen,
      offsets.filter((_, i) => (i < 5 || i > 9) && i < 39),
    );
    assert.equal(r.tornAt, offsets[39]);
    assert.equal(r.damage.length, 2);
  });
});
