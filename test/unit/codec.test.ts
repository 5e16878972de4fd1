/**
 * The generated method codec, the field-table reader and writer, and content-header properties, fed
 * bytes directly: every method round-trips (and matches amqplib's independently generated codec byte
 * for byte), every field-table type decodes from hand-built bytes, truncated or mutated input only
 * ever throws AmqpError, and hostile nesting cannot overflow the stack.
 */
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import path from 'node:path';
import { describe, test } from 'node:test';
import { decodeProperties, parseContentHeader } from '../../src/protocol/content-header.js';
import { AmqpError } from '../../src/protocol/errors.js';
import type { FieldTable, FieldValue, Typed } from '../../src/protocol/field-types.js';
import * as M from '../../src/protocol/generated/methods.js';
import { Reader } from '../../src/protocol/reader.js';
import { Writer } from '../../src/protocol/writer.js';
import { frame, headerPayload, methodPayload } from '../helpers/raw-client.js';
import { prng } from '../helpers/prng.js';

// ---------------------------------------------------------------------------------------------------
// Helpers

type Kind = M.Method['kind'];
type Samples = { [K in Kind]: Extract<M.Method, { kind: K }> };

/** Runs `fn`, which must throw an AmqpError with `code`; returns it. */
function expectAmqpError(fn: () => unknown, code: number, label = ''): AmqpError {
  let thrown: unknown;
  try {
    fn();
  } catch (e) {
    thrown = e;
  }
  assert.ok(thrown !== undefined, `${label} expected AmqpError ${code}, nothing was thrown`);
  assert.ok(thrown instanceof AmqpError, `${label} expected AmqpError ${code}, got ${String(thrown)}`);
  assert.equal(thrown.code, code, `${label} ${thrown.message}`);
  return thrown;
}

function written(fn: (w: Writer) => void): Buffer {
  const w = new Writer(64);
  fn(w);
  return Buffer.from(w.buf.subarray(0, w.pos));
}

// Hand-built wire pieces, independent of Writer.
const u8 = (n: number): Buffer => Buffer.from([n & 0xff]);
const i16 = (n: number): Buffer => {
  const b = Buffer.alloc(2);
  b.writeInt16BE(n);
  return b;
};
const u16 = (n: number): Buffer => {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(n);
  return b;
};
const i32 = (n: number): Buffer => {
  const b = Buffer.alloc(4);
  b.writeInt32BE(n);
  return b;
};
const u32 = (n: number): Buffer => {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
};
const i64 = (n: bigint): Buffer => {
  const b = Buffer.alloc(8);
  b.writeBigInt64BE(n);
  return b;
};
const u64 = (n: bigint): Buffer => {
  const b = Buffer.alloc(8);
  b.writeBigUInt64BE(n);
  return b;
};
const f32 = (n: number): Buffer => {
  const b = Buffer.alloc(4);
  b.writeFloatBE(n);
  return b;
};
const f64 = (n: number): Buffer => {
  const b = Buffer.alloc(8);
  b.writeDoubleBE(n);
  return b;
};
const shortstr = (s: string): Buffer => Buffer.concat([u8(Buffer.byteLength(s)), Buffer.from(s)]);
const longstr = (b: Buffer): Buffer => Buffer.concat([u32(b.length), b]);
const tag = (c: string): Buffer => Buffer.from(c, 'latin1');
/** A field table from (key, tagged value bytes) pairs. */
const tableBytes = (entries: Array<[string, Buffer]>): Buffer =>
  longstr(Buffer.concat(entries.map(([k, v]) => Buffer.concat([shortstr(k), v]))));
/** A field array from tagged value bytes. */
const arrayBytes = (values: Buffer[]): Buffer => longstr(Buffer.concat(values));

// ---------------------------------------------------------------------------------------------------
// Representative arguments for every method: non-default values everywhere, so a field read in the
// wrong order or a bit in the wrong position shows. Tables hold only strings, booleans, arrays and
// nested tables, whose encoding every codec agrees on (numbers are tested with hand-built bytes below).

const TABLE: FieldTable = {
  'x-match': 'all',
  flag: true,
  off: false,
  nested: { deep: 'yes', deeper: { leaf: 'ü€' } },
  list: ['a', true, { k: 'v' }, []],
  empty: {},
};

const SAMPLES: Samples = {
  'connection.start': {
    kind: 'connection.start',
    versionMajor: 0,
    versionMinor: 9,
    serverProperties: TABLE,
    mechanisms: Buffer.from('PLAIN AMQPLAIN'),
    locales: Buffer.from('en_US'),
  },
  'connection.start-ok': {
    kind: 'connection.start-ok',
    clientProperties: TABLE,
    mechanism: 'PLAIN',
    response: Buffer.from('\0guest\0guest'),
    locale: 'en_US',
  },
  'connection.secure': { kind: 'connection.secure', challenge: Buffer.from([0, 1, 2, 0xce, 0xff]) },
  'connection.secure-ok': { kind: 'connection.secure-ok', response: Buffer.from('response') },
  'connection.tune': { kind: 'connection.tune', channelMax: 2047, frameMax: 131072, heartbeat: 60 },
  'connection.tune-ok': {
    kind: 'connection.tune-ok',
    channelMax: 65535,
    frameMax: 0xffffffff,
    heartbeat: 65535,
  },
  'connection.open': { kind: 'connection.open', virtualHost: '/vhost-ü' },
  'connection.open-ok': { kind: 'connection.open-ok' },
  'connection.close': {
    kind: 'connection.close',
    replyCode: 320,
    replyText: "CONNECTION_FORCED - broker forced connection closure with reason 'shutdown'",
    classId: 60,
    methodId: 40,
  },
  'connection.close-ok': { kind: 'connection.close-ok' },
  'connection.blocked': { kind: 'connection.blocked', reason: 'low on memory' },
  'connection.unblocked': { kind: 'connection.unblocked' },
  'connection.update-secret': {
    kind: 'connection.update-secret',
    newSecret: Buffer.from('token'),
    reason: 'refresh',
  },
  'connection.update-secret-ok': { kind: 'connection.update-secret-ok' },
  'channel.open': { kind: 'channel.open' },
  'channel.open-ok': { kind: 'channel.open-ok' },
  'channel.flow': { kind: 'channel.flow', active: true },
  'channel.flow-ok': { kind: 'channel.flow-ok', active: true },
  'channel.close': {
    kind: 'channel.close',
    replyCode: 404,
    replyText: "NOT_FOUND - no queue 'q'",
    classId: 50,
    methodId: 10,
  },
  'channel.close-ok': { kind: 'channel.close-ok' },
  'exchange.declare': {
    kind: 'exchange.declare',
    exchange: 'ex',
    type: 'topic',
    passive: true,
    durable: false,
    autoDelete: true,
    internal: false,
    noWait: true,
    arguments: TABLE,
  },
  'exchange.declare-ok': { kind: 'exchange.declare-ok' },
  'exchange.delete': { kind: 'exchange.delete', exchange: 'ex', ifUnused: true, noWait: false },
  'exchange.delete-ok': { kind: 'exchange.delete-ok' },
  'exchange.bind': {
    kind: 'exchange.bind',
    destination: 'dst',
    source: 'src',
    routingKey: 'a.#',
    noWait: true,
    arguments: TABLE,
  },
  'exchange.bind-ok': { kind: 'exchange.bind-ok' },
  'exchange.unbind': {
    kind: 'exchange.unbind',
    destination: 'dst',
    source: 'src',
    routingKey: '*.b',
    noWait: true,
    arguments: TABLE,
  },
  'exchange.unbind-ok': { kind: 'exchange.unbind-ok' },
  'queue.declare': {
    kind: 'queue.declare',
    queue: 'q',
    passive: false,
    durable: true,
    exclusive: true,
    autoDelete: false,
    noWait: true,
    arguments: TABLE,
  },
  'queue.declare-ok': {
    kind: 'queue.declare-ok',
    queue: 'amq.gen-abc',
    messageCount: 0xffffffff,
    consumerCount: 7,
  },
  'queue.bind': {
    kind: 'queue.bind',
    queue: 'q',
    exchange: 'ex',
    routingKey: 'rk',
    noWait: true,
    arguments: TABLE,
  },
  'queue.bind-ok': { kind: 'queue.bind-ok' },
  'queue.unbind': { kind: 'queue.unbind', queue: 'q', exchange: 'ex', routingKey: 'rk', arguments: TABLE },
  'queue.unbind-ok': { kind: 'queue.unbind-ok' },
  'queue.purge': { kind: 'queue.purge', queue: 'q', noWait: true },
  'queue.purge-ok': { kind: 'queue.purge-ok', messageCount: 12 },
  'queue.delete': { kind: 'queue.delete', queue: 'q', ifUnused: true, ifEmpty: false, noWait: true },
  'queue.delete-ok': { kind: 'queue.delete-ok', messageCount: 3 },
  'basic.qos': { kind: 'basic.qos', prefetchSize: 1000, prefetchCount: 65535, global: true },
  'basic.qos-ok': { kind: 'basic.qos-ok' },
  'basic.consume': {
    kind: 'basic.consume',
    queue: 'q',
    consumerTag: 'ctag',
    noLocal: false,
    noAck: true,
    exclusive: false,
    noWait: true,
    arguments: TABLE,
  },
  'basic.consume-ok': { kind: 'basic.consume-ok', consumerTag: 'ctag' },
  'basic.cancel': { kind: 'basic.cancel', consumerTag: 'ctag', noWait: true },
  'basic.cancel-ok': { kind: 'basic.cancel-ok', consumerTag: 'ctag' },
  'basic.publish': {
    kind: 'basic.publish',
    exchange: 'ex',
    routingKey: 'rk',
    mandatory: true,
    immediate: false,
  },
  'basic.return': {
    kind: 'basic.return',
    replyCode: 312,
    replyText: 'NO_ROUTE',
    exchange: 'ex',
    routingKey: 'rk',
  },
  'basic.deliver': {
    kind: 'basic.deliver',
    consumerTag: 'ctag',
    deliveryTag: Number.MAX_SAFE_INTEGER,
    redelivered: true,
    exchange: 'ex',
    routingKey: 'rk',
  },
  'basic.get': { kind: 'basic.get', queue: 'q', noAck: true },
  'basic.get-ok': {
    kind: 'basic.get-ok',
    deliveryTag: 2 ** 40 + 1,
    redelivered: false,
    exchange: 'ex',
    routingKey: 'rk',
    messageCount: 5,
  },
  'basic.get-empty': { kind: 'basic.get-empty' },
  'basic.ack': { kind: 'basic.ack', deliveryTag: 42, multiple: true },
  'basic.reject': { kind: 'basic.reject', deliveryTag: 43, requeue: false },
  'basic.recover-async': { kind: 'basic.recover-async', requeue: true },
  'basic.recover': { kind: 'basic.recover', requeue: true },
  'basic.recover-ok': { kind: 'basic.recover-ok' },
  'basic.nack': { kind: 'basic.nack', deliveryTag: 44, multiple: true, requeue: false },
  'tx.select': { kind: 'tx.select' },
  'tx.select-ok': { kind: 'tx.select-ok' },
  'tx.commit': { kind: 'tx.commit' },
  'tx.commit-ok': { kind: 'tx.commit-ok' },
  'tx.rollback': { kind: 'tx.rollback' },
  'tx.rollback-ok': { kind: 'tx.rollback-ok' },
  'confirm.select': { kind: 'confirm.select', nowait: true },
  'confirm.select-ok': { kind: 'confirm.select-ok' },
};

const KINDS = Object.keys(M.METHOD_ID) as Kind[];

/** The same method with every boolean argument inverted. */
function flipped(m: M.Method): M.Method {
  const o: Record<string, unknown> = { ...m };
  for (const [k, v] of Object.entries(o)) if (typeof v === 'boolean') o[k] = !v;
  return o as unknown as M.Method;
}

/** Every sample, plus its bit-flipped twin when it has bits. */
function allSamples(): M.Method[] {
  const out: M.Method[] = [];
  for (const kind of KINDS) {
    const m = SAMPLES[kind];
    out.push(m);
    if (Object.values(m).some((v) => typeof v === 'boolean')) out.push(flipped(m));
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------
// amqplib's codec, generated from RabbitMQ's own JSON spec: an independent reference for the bytes.

interface AmqplibArg {
  name: string;
  type: string;
  default?: unknown;
}
interface AmqplibDefs {
  encodeMethod(id: number, channel: number, fields: Record<string, unknown>): Buffer;
  encodeProperties(classId: number, channel: number, size: number, fields: Record<string, unknown>): Buffer;
  info(id: number): { name: string; args: AmqplibArg[] } | undefined;
}
const requireCjs = createRequire(import.meta.url);
const amqplibDefs = requireCjs(
  path.join(path.dirname(requireCjs.resolve('amqplib')), 'lib', 'defs.js'),
) as AmqplibDefs;

const ZERO: Record<string, unknown> = {
  bit: false,
  octet: 0,
  short: 0,
  long: 0,
  longlong: 0,
  timestamp: 0,
  shortstr: '',
  longstr: Buffer.alloc(0),
  table: {},
};

/** Warren's method as amqplib's fields: same names up to case, reserved fields zero. */
function amqplibFields(m: M.Method, args: AmqplibArg[]): Record<string, unknown> {
  const own = Object.keys(m).filter((k) => k !== 'kind');
  const fields: Record<string, unknown> = {};
  const used = new Set<string>();
  for (const a of args) {
    const k = own.find((o) => o.toLowerCase() === a.name.toLowerCase());
    if (k !== undefined) {
      fields[a.name] = (m as unknown as Record<string, unknown>)[k];
      used.add(k);
    } else {
      fields[a.name] = ZERO[a.type];
    }
  }
  assert.deepEqual(
    own.filter((k) => !used.has(k)),
    [],
    `${m.kind}: Warren fields amqplib does not know`,
  );
  return fields;
}

// ---------------------------------------------------------------------------------------------------

describe('method codec: every method', () => {
  test('the samples cover every method in METHOD_ID, and ids agree with methodName', () => {
    assert.equal(KINDS.length, 64);
    assert.deepEqual(Object.keys(SAMPLES).sort(), [...KINDS].sort());
    for (const kind of KINDS) {
      const id = M.METHOD_ID[kind];
      assert.equal(M.methodName(id >>> 16, id & 0xffff), kind);
    }
    // Irregular ids the spec really has.
    assert.equal(M.METHOD_ID['exchange.unbind-ok'], (40 << 16) | 51);
    assert.equal(M.METHOD_ID['confirm.select'], (85 << 16) | 10);
    assert.equal(M.METHOD_ID['queue.unbind'], (50 << 16) | 50);
    assert.deepEqual(
      [...M.CONTENT_METHODS].sort(),
      [
        M.METHOD_ID['basic.publish'],
        M.METHOD_ID['basic.return'],
        M.METHOD_ID['basic.deliver'],
        M.METHOD_ID['basic.get-ok'],
      ].sort(),
    );
  });

  test('encodeMethod then decodeMethod gives the method back and consumes exactly its bytes', () => {
    for (const m of allSamples()) {
      const bytes = methodPayload(m);
      const id = M.METHOD_ID[m.kind];
      assert.equal(bytes.readUInt16BE(0), id >>> 16, `${m.kind}: class id`);
      assert.equal(bytes.readUInt16BE(2), id & 0xffff, `${m.kind}: method id`);
      const r = new Reader(bytes);
      assert.deepEqual(M.decodeMethod(r), m, m.kind);
      assert.equal(r.pos, bytes.length, `${m.kind}: bytes left after decoding`);
    }
  });

  test('each per-method encoder writes what encodeMethod writes', () => {
    const encoders = M as unknown as Record<string, (w: Writer, a: unknown) => void>;
    for (const m of allSamples()) {
      const name =
        'encode' + m.kind.replace(/(^|[.-])([a-z])/g, (_s, _p: string, c: string) => c.toUpperCase());
      const encode = encoders[name];
      assert.equal(typeof encode, 'function', `${name} is not exported`);
      assert.deepEqual(
        written((w) => (encode as (w: Writer, a: unknown) => void)(w, m)),
        methodPayload(m),
        name,
      );
    }
  });

  test("encoded frames are byte for byte amqplib's, and decode amqplib's frames", () => {
    for (const m of allSamples()) {
      const id = M.METHOD_ID[m.kind];
      const info = amqplibDefs.info(id);
      assert.ok(info, `amqplib does not know ${m.kind}`);
      const theirs = amqplibDefs.encodeMethod(id, 7, amqplibFields(m, info.args));
      const ours = frame(M.FRAME_METHOD, 7, methodPayload(m));
      assert.equal(ours.toString('hex'), theirs.toString('hex'), m.kind);
      assert.deepEqual(M.decodeMethod(new Reader(theirs, 7, theirs.length - 1)), m, m.kind);
    }
  });

  test('bits pack eight to an octet in declaration order', () => {
    const bytes = methodPayload({
      ...SAMPLES['queue.declare'],
      passive: true,
      durable: false,
      exclusive: true,
      autoDelete: false,
      noWait: true,
    });
    // class, method, reserved short, shortstr "q", then the bits octet
    assert.equal(bytes[4 + 2 + 2], 0b10101);
    const nack = methodPayload({ kind: 'basic.nack', deliveryTag: 1, multiple: false, requeue: true });
    assert.equal(nack[nack.length - 1], 0b10);
  });

  test('a 64-bit delivery tag keeps both halves', () => {
    const tag = 0x0012_3456_789a_bcde;
    const bytes = methodPayload({ kind: 'basic.ack', deliveryTag: tag, multiple: false });
    assert.equal(bytes.readBigUInt64BE(4), BigInt(tag));
    assert.equal((M.decodeMethod(new Reader(bytes)) as M.BasicAck).deliveryTag, tag);
  });
});

describe('method codec: malformed input', () => {
  test('every truncation of every method payload throws AmqpError 501', () => {
    for (const m of allSamples()) {
      const bytes = methodPayload(m);
      for (let len = 0; len < bytes.length; len++) {
        expectAmqpError(
          () => M.decodeMethod(new Reader(bytes.subarray(0, len))),
          501,
          `${m.kind} cut to ${len} bytes:`,
        );
        // The same, with the frame's bytes followed by more data the reader must not touch.
        const padded = Buffer.concat([bytes.subarray(0, len), Buffer.alloc(64, 0x41)]);
        expectAmqpError(
          () => M.decodeMethod(new Reader(padded, 0, len)),
          501,
          `${m.kind} cut to ${len} of a larger buffer:`,
        );
      }
    }
  });

  test('unknown class and method ids throw 503 naming the ids', () => {
    const known = new Set<number>(Object.values(M.METHOD_ID));
    const classes = [0, 1, 10, 20, 30, 40, 50, 60, 70, 80, 85, 90, 100, 0x7fff, 0x8000, 0xffff];
    let checked = 0;
    for (const classId of classes) {
      for (let methodId = 0; methodId <= 120; methodId++) {
        if (known.has((classId << 16) | methodId)) continue;
        const payload = Buffer.concat([u16(classId), u16(methodId), Buffer.alloc(32)]);
        const err = expectAmqpError(
          () => M.decodeMethod(new Reader(payload)),
          503,
          `${classId}/${methodId}:`,
        );
        assert.equal(err.classId, classId);
        assert.equal(err.methodId, methodId);
        assert.match(M.methodName(classId, methodId), /^unknown method/);
        checked++;
      }
    }
    expectAmqpError(() => M.decodeMethod(new Reader(Buffer.from([0xff, 0xff, 0xff, 0xff]))), 503);
    assert.ok(checked > 1800);
  });

  test('random mutations of valid payloads only ever throw AmqpError (seeded fuzz)', () => {
    const samples = allSamples();
    const rand = prng(20240601);
    const int = (n: number): number => Math.floor(rand() * n);
    let decoded = 0;
    let refused = 0;
    for (let round = 0; round < 300; round++) {
      for (const m of samples) {
        const bytes = Buffer.from(methodPayload(m));
        let mutated: Buffer = bytes;
        switch (int(6)) {
          case 0: // flip some bytes (ids kept, so the arguments get exercised)
            for (let i = 0, n = 1 + int(4); i < n && bytes.length > 4; i++)
              bytes[4 + int(bytes.length - 4)] = int(256);
            break;
          case 1: // a huge or tiny length somewhere
            if (bytes.length >= 8)
              bytes.writeUInt32BE(rand() < 0.5 ? 0xffffffff - int(16) : int(64), 4 + int(bytes.length - 7));
            break;
          case 2: // truncate
            mutated = bytes.subarray(0, int(bytes.length));
            break;
          case 3: // trailing junk
            mutated = Buffer.concat([
              bytes,
              Buffer.from(Array.from({ length: 1 + int(40) }, () => int(256))),
            ]);
            break;
          case 4: {
            // insert junk in the middle
            const at = 4 + int(Math.max(1, bytes.length - 4));
            const junk = Buffer.from(Array.from({ length: 1 + int(8) }, () => int(256)));
            mutated = Buffer.concat([bytes.subarray(0, at), junk, bytes.subarray(at)]);
            break;
          }
          default: // a random field-value type tag inside the arguments
            if (bytes.length > 6) bytes[4 + int(bytes.length - 4)] = 'tbBsuIilfdDSxATFVZ'.charCodeAt(int(18));
        }
        try {
          M.decodeMethod(new Reader(mutated));
          decoded++;
        } catch (e) {
          if (!(e instanceof AmqpError)) {
            assert.fail(
              `${m.kind} mutated to ${mutated.toString('hex')} threw ${String((e as Error).stack ?? e)}`,
            );
          }
          assert.ok([501, 503].includes(e.code), `${m.kind}: unexpected code ${e.code}`);
          refused++;
        }
      }
    }
    assert.ok(
      decoded > 0 && refused > 0,
      `decoded ${decoded}, refused ${refused}: the fuzz exercises nothing`,
    );
  });

  test('fully random payloads only ever throw AmqpError (seeded fuzz)', () => {
    const rand = prng(77);
    const int = (n: number): number => Math.floor(rand() * n);
    const ids = Object.values(M.METHOD_ID) as number[];
    for (let i = 0; i < 20_000; i++) {
      const body = Buffer.from(Array.from({ length: int(120) }, () => int(256)));
      const id = ids[int(ids.length)] as number;
      const payload = Buffer.concat([u16(id >>> 16), u16(id & 0xffff), body]);
      try {
        M.decodeMethod(new Reader(payload));
      } catch (e) {
        if (!(e instanceof AmqpError))
          assert.fail(`${payload.toString('hex')} threw ${String((e as Error).stack ?? e)}`);
      }
    }
  });
});

describe('field tables', () => {
  // One entry per wire type, built by hand; the expected JS value beside each.
  const ENTRIES: Array<[string, Buffer, FieldValue]> = [
    ['t', Buffer.concat([tag('t'), u8(1)]), true],
    ['t0', Buffer.concat([tag('t'), u8(0)]), false],
    ['b', Buffer.concat([tag('b'), u8(0xfe)]), -2],
    ['B', Buffer.concat([tag('B'), u8(0xfe)]), 254],
    ['s', Buffer.concat([tag('s'), i16(-300)]), -300],
    ['u', Buffer.concat([tag('u'), u16(65534)]), 65534],
    ['I', Buffer.concat([tag('I'), i32(-70000)]), -70000],
    ['i', Buffer.concat([tag('i'), u32(4294967294)]), 4294967294],
    ['l', Buffer.concat([tag('l'), i64(-2n)]), -2],
    ['l-max-safe', Buffer.concat([tag('l'), i64(BigInt(Number.MAX_SAFE_INTEGER))]), Number.MAX_SAFE_INTEGER],
    ['l-big', Buffer.concat([tag('l'), i64(2n ** 62n)]), 2n ** 62n],
    ['l-min', Buffer.concat([tag('l'), i64(-(2n ** 63n))]), -(2n ** 63n)],
    ['f', Buffer.concat([tag('f'), f32(1.5)]), 1.5],
    ['d', Buffer.concat([tag('d'), f64(-0.1)]), -0.1],
    ['D', Buffer.concat([tag('D'), u8(2), i32(-12345)]), { $decimal: true, scale: 2, value: -12345 }],
    ['S', Buffer.concat([tag('S'), longstr(Buffer.from('héllo wörld'))]), 'héllo wörld'],
    ['S-empty', Buffer.concat([tag('S'), longstr(Buffer.alloc(0))]), ''],
    ['x', Buffer.concat([tag('x'), longstr(Buffer.from([0, 0xce, 0xff]))]), Buffer.from([0, 0xce, 0xff])],
    [
      'A',
      Buffer.concat([
        tag('A'),
        arrayBytes([
          Buffer.concat([tag('I'), i32(1)]),
          Buffer.concat([tag('S'), longstr(Buffer.from('a'))]),
          tag('V'),
          Buffer.concat([tag('t'), u8(0)]),
          Buffer.concat([tag('A'), arrayBytes([])]),
          Buffer.concat([tag('F'), tableBytes([['k', Buffer.concat([tag('b'), u8(5)])]])]),
        ]),
      ]),
      [1, 'a', null, false, [], { k: 5 }],
    ],
    ['T', Buffer.concat([tag('T'), u64(1_700_000_000n)]), new Date(1_700_000_000_000)],
    [
      'F',
      Buffer.concat([
        tag('F'),
        tableBytes([
          ['inner', Buffer.concat([tag('S'), longstr(Buffer.from('x'))])],
          ['n', Buffer.concat([tag('F'), tableBytes([])])],
        ]),
      ]),
      { inner: 'x', n: {} },
    ],
    ['V', tag('V'), null],
  ];
  const BYTES = tableBytes(ENTRIES.map(([k, b]) => [k, b]));
  const EXPECTED: FieldTable = Object.fromEntries(ENTRIES.map(([k, , v]) => [k, v]));

  test('every value type (t b B s u I i l f d D S x A T F V) decodes from hand-built bytes', () => {
    const r = new Reader(BYTES);
    const t = r.table();
    assert.deepEqual(t, EXPECTED);
    assert.equal(r.pos, BYTES.length);
    assert.deepEqual(
      Object.keys(t),
      ENTRIES.map(([k]) => k),
      'key order is wire order',
    );
  });

  test('each value type inside a method (queue.declare arguments) decodes the same', () => {
    const payload = Buffer.concat([u16(50), u16(10), u16(0), shortstr('q'), u8(0), BYTES]);
    const m = M.decodeMethod(new Reader(payload));
    assert.equal(m.kind, 'queue.declare');
    assert.deepEqual((m as M.QueueDeclare).arguments, EXPECTED);
  });

  test('re-encoding a decoded table decodes to the same values', () => {
    const once = new Reader(BYTES).table();
    const again = new Reader(written((w) => w.table(once))).table();
    assert.deepEqual(again, once);
  });

  test('typed values encode with exactly the wire type asked for', () => {
    const cases: Array<[Typed, Buffer]> = [
      [{ $type: 'b', value: -2 }, Buffer.concat([tag('b'), u8(0xfe)])],
      [{ $type: 'B', value: 254 }, Buffer.concat([tag('B'), u8(0xfe)])],
      [{ $type: 's', value: -300 }, Buffer.concat([tag('s'), i16(-300)])],
      [{ $type: 'u', value: 65534 }, Buffer.concat([tag('u'), u16(65534)])],
      [{ $type: 'I', value: -70000 }, Buffer.concat([tag('I'), i32(-70000)])],
      [{ $type: 'i', value: 4294967294 }, Buffer.concat([tag('i'), u32(4294967294)])],
      [{ $type: 'l', value: 2n ** 62n }, Buffer.concat([tag('l'), i64(2n ** 62n)])],
      [{ $type: 'f', value: 1.5 }, Buffer.concat([tag('f'), f32(1.5)])],
      [{ $type: 'd', value: -0.1 }, Buffer.concat([tag('d'), f64(-0.1)])],
      [{ $type: 'T', value: 1_700_000_000 }, Buffer.concat([tag('T'), u64(1_700_000_000n)])],
    ];
    for (const [v, bytes] of cases)
      assert.deepEqual(
        written((w) => w.value(v)),
        bytes,
        `$type ${v.$type}`,
      );
  });

  test('plain JS values encode with the documented wire types', () => {
    const raw = written((w) =>
      w.table({
        int: 7,
        neg: -7,
        big: 2 ** 40,
        frac: 0.25,
        s: 'str',
        yes: true,
        nil: null,
        when: new Date(5000),
        bytes: Buffer.from('b'),
      }),
    );
    // Walk the entries and note the type tag of each.
    const tags: Record<string, string> = {};
    const r = new Reader(raw);
    const end = r.u32() + 4;
    while (r.pos < end) {
      const key = r.shortstr();
      tags[key] = String.fromCharCode(raw[r.pos] as number);
      r.value(0);
    }
    assert.deepEqual(tags, {
      int: 'I',
      neg: 'I',
      big: 'l',
      frac: 'd',
      s: 'S',
      yes: 't',
      nil: 'V',
      when: 'T',
      bytes: 'x',
    });
  });

  test('an unknown value type is a 501', () => {
    for (const bad of ['Z', 'c', 'U', 'L', '\0']) {
      const bytes = tableBytes([['k', Buffer.concat([tag(bad), u32(0)])]]);
      expectAmqpError(() => new Reader(bytes).table(), 501, `type ${JSON.stringify(bad)}:`);
    }
  });

  test('a table or array longer than its frame is a 501, and never reads past the frame', () => {
    expectAmqpError(() => new Reader(u32(100)).table(), 501);
    // A nested table claiming more bytes than its parent holds.
    const inner = Buffer.concat([tag('F'), u32(50), Buffer.alloc(10)]);
    const outer = Buffer.concat([u32(1 + 1 + inner.length), shortstr('k'), inner, Buffer.alloc(100)]);
    expectAmqpError(() => new Reader(outer, 0, 4 + 2 + inner.length).table(), 501);
    // A value running past the end of its table but not of the buffer.
    const short = Buffer.concat([
      u32(1 + 1 + 1 + 2),
      shortstr('k'),
      tag('I'),
      Buffer.alloc(2),
      Buffer.alloc(8),
    ]);
    expectAmqpError(() => new Reader(short).table(), 501);
  });

  test('a key named __proto__ stays an ordinary key of the decoded table', () => {
    const bytes = tableBytes([
      ['__proto__', Buffer.concat([tag('F'), tableBytes([['polluted', Buffer.concat([tag('t'), u8(1)])]])])],
      ['after', Buffer.concat([tag('t'), u8(1)])],
    ]);
    const t = new Reader(bytes).table();
    assert.ok(Object.hasOwn(t, '__proto__'), 'the __proto__ entry was swallowed as a prototype');
    assert.deepEqual(Object.keys(t), ['__proto__', 'after']);
    assert.equal(
      (t as Record<string, unknown>)['polluted'],
      undefined,
      'the entry became the prototype of the table',
    );
    assert.equal(Object.getPrototypeOf(t), Object.prototype);
  });

  describe('hostile nesting', () => {
    /** `depth` tables each holding the next one under key "k". */
    function nestedTables(depth: number): Buffer {
      let inner = tableBytes([]);
      for (let i = 0; i < depth; i++) inner = tableBytes([['k', Buffer.concat([tag('F'), inner])]]);
      return inner;
    }
    /** `depth` arrays each holding the next one. */
    function nestedArrays(depth: number): Buffer {
      let inner = arrayBytes([]);
      for (let i = 0; i < depth; i++) inner = arrayBytes([Buffer.concat([tag('A'), inner])]);
      return tableBytes([['k', Buffer.concat([tag('A'), inner])]]);
    }
    /** tables and arrays alternating, `depth` levels, inside a top-level table */
    function nestedMixed(depth: number): Buffer {
      let inner = tableBytes([]);
      let innerIsTable = true;
      for (let i = 0; i < depth; i++) {
        inner = innerIsTable
          ? arrayBytes([Buffer.concat([tag('F'), inner])])
          : tableBytes([['k', Buffer.concat([tag('A'), inner])]]);
        innerIsTable = !innerIsTable;
      }
      return innerIsTable ? inner : tableBytes([['k', Buffer.concat([tag('A'), inner])]]);
    }

    test('nesting a legitimate header could have (20 levels) decodes', () => {
      let t: FieldValue = new Reader(nestedTables(20)).table();
      for (let i = 0; i < 20; i++) t = (t as FieldTable)['k'];
      assert.deepEqual(t, {});
      assert.ok(new Reader(nestedArrays(20)).table());
    });

    for (const depth of [1_000, 5_000, 20_000]) {
      test(`${depth} levels of tables, arrays, or both throw AmqpError 501, not a stack overflow`, () => {
        for (const [what, bytes] of [
          ['tables', nestedTables(depth)],
          ['arrays', nestedArrays(depth)],
          ['mixed', nestedMixed(depth)],
        ] as const) {
          expectAmqpError(() => new Reader(bytes).table(), 501, `${depth} nested ${what}:`);
        }
      });
    }

    test('deep nesting inside method arguments and message headers is refused the same way', () => {
      const args = nestedTables(5_000);
      const declare = Buffer.concat([u16(50), u16(10), u16(0), shortstr('q'), u8(0), args]);
      expectAmqpError(() => M.decodeMethod(new Reader(declare)), 501, 'queue.declare:');
      const props = Buffer.concat([u16(M.BASIC_PROPERTY_FLAG.headers), args]);
      expectAmqpError(() => decodeProperties(props), 501, 'headers property:');
    });
  });
});

describe('content header and basic properties', () => {
  const ALL: M.BasicProperties = {
    contentType: 'application/json',
    contentEncoding: 'gzip',
    headers: { 'x-trace': 'abc', n: { deep: true }, list: ['x', false] },
    deliveryMode: 2,
    priority: 9,
    correlationId: 'corr-1',
    replyTo: 'amq.rabbitmq.reply-to',
    expiration: '60000',
    messageId: 'msg-1',
    timestamp: 1_700_000_000,
    type: 'order.created',
    userId: 'guest',
    appId: 'warren-tests',
    reserved: 'cluster-x',
  };

  test('all 14 properties encode with flags 0xFFFC and decode back', () => {
    const raw = written((w) => M.encodeBasicProperties(w, ALL));
    assert.equal(raw.readUInt16BE(0), 0xfffc);
    assert.deepEqual(decodeProperties(raw), ALL);
  });

  test("the property bytes are amqplib's, and each property alone sets only its own flag", () => {
    const size = 2 ** 33 + 5;
    const { reserved, ...rest } = ALL;
    const theirs = amqplibDefs.encodeProperties(60, 3, size, { ...rest, clusterId: reserved });
    const ours = frame(M.FRAME_HEADER, 3, headerPayload(size, ALL));
    assert.equal(ours.toString('hex'), theirs.toString('hex'));
    for (const [key, flag] of Object.entries(M.BASIC_PROPERTY_FLAG)) {
      const one = { [key]: ALL[key as keyof M.BasicProperties] } as M.BasicProperties;
      const raw = written((w) => M.encodeBasicProperties(w, one));
      assert.equal(raw.readUInt16BE(0), flag, key);
      assert.deepEqual(decodeProperties(raw), one, key);
    }
  });

  test('no properties: a zero flags word and nothing else', () => {
    const raw = written((w) => M.encodeBasicProperties(w, {}));
    assert.deepEqual(raw, Buffer.from([0, 0]));
    assert.deepEqual(decodeProperties(raw), {});
  });

  test('parseContentHeader reads class, body size above 4 GiB and the raw properties', () => {
    const payload = headerPayload(2 ** 40 + 3, ALL);
    const h = parseContentHeader(payload);
    assert.equal(h.classId, 60);
    assert.equal(h.bodySize, 2 ** 40 + 3);
    assert.deepEqual(decodeProperties(h.properties), ALL);
  });

  test('a content header too short or with a body size beyond 2^53 is a 501', () => {
    for (let len = 0; len < 14; len++) {
      expectAmqpError(() => parseContentHeader(headerPayload(1).subarray(0, len)), 501, `${len} bytes:`);
    }
    const huge = headerPayload(0);
    huge.writeUInt32BE(0xffffffff, 4);
    expectAmqpError(() => parseContentHeader(huge), 501);
  });

  test('properties cut short, or longer than their flags say, are a 501', () => {
    const raw = written((w) => M.encodeBasicProperties(w, ALL));
    for (let len = 0; len < raw.length; len++) {
      expectAmqpError(() => decodeProperties(raw.subarray(0, len)), 501, `cut to ${len}:`);
    }
    expectAmqpError(() => decodeProperties(Buffer.concat([raw, u8(0)])), 501, 'one byte too many:');
  });

  test('a continuation flags word is skipped', () => {
    const raw = Buffer.concat([u16(M.BASIC_PROPERTY_FLAG.priority | 1), u16(0), u8(4)]);
    assert.deepEqual(decodeProperties(raw), { priority: 4 });
  });

  test('random mutations of properties only ever throw AmqpError (seeded fuzz)', () => {
    const base = written((w) => M.encodeBasicProperties(w, ALL));
    const rand = prng(4242);
    const int = (n: number): number => Math.floor(rand() * n);
    for (let i = 0; i < 20_000; i++) {
      const b = Buffer.from(base);
      for (let j = 0, n = 1 + int(4); j < n; j++) b[int(b.length)] = int(256);
      const cut = rand() < 0.2 ? b.subarray(0, int(b.length)) : b;
      try {
        decodeProperties(cut);
        parseContentHeader(Buffer.concat([u16(60), u16(0), u64(BigInt(int(1000))), cut]));
      } catch (e) {
        if (!(e instanceof AmqpError))
          assert.fail(`${cut.toString('hex')} threw ${String((e as Error).stack ?? e)}`);
      }
    }
  });
});
