/**
 * Dead-lettering as RabbitMQ 3.13 does it: the x-death history (one record per queue and reason, most
 * recent first), the x-first/x-last headers, expiration removal, routing keys with and without a
 * dead-letter routing key, CC/BCC, junk x-death headers from clients, cycle detection, and the wire
 * types of everything the broker writes.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  deadLetter,
  deathQueueNames,
  isDeadLetterCycle,
  type DeadLetterReason,
} from '../../src/core/dead-letter.js';
import { Message } from '../../src/core/message.js';
import { decodeProperties } from '../../src/protocol/content-header.js';
import type { FieldTable, FieldValue } from '../../src/protocol/field-types.js';
import type { BasicProperties } from '../../src/protocol/generated/methods.js';
import { TABLE_TYPES } from '../../src/protocol/reader.js';
import { Writer } from '../../src/protocol/writer.js';

const T0 = Date.UTC(2024, 0, 2, 3, 4, 5, 678);
const S0 = Math.floor(T0 / 1000);

function msg(props: BasicProperties = {}, exchange = 'ex', rk = 'rk'): Message {
  return Message.from(exchange, rk, props, Buffer.from('body'));
}

function headersOf(m: Message): FieldTable {
  const h = decodeProperties(m.rawProperties).headers;
  assert.ok(h, 'message has headers');
  return h;
}

function deaths(m: Message): FieldTable[] {
  const v = headersOf(m)['x-death'];
  assert.ok(Array.isArray(v), 'x-death is an array');
  return v as FieldTable[];
}

/** The wire type letter of `t[key]` as decoded. */
function typeOf(t: FieldTable, key: string): string {
  const code = TABLE_TYPES.get(t)?.get(key);
  assert.ok(code !== undefined, `no wire type recorded for ${key}`);
  return String.fromCharCode(code);
}

/** Dead-letters `m` through each (queue, reason) in turn, as a chain of queues would. */
function chain(m: Message, hops: [string, DeadLetterReason][], now = T0): Message {
  let cur = m;
  for (const [q, reason] of hops) cur = deadLetter(cur, reason, q, '', undefined, now).msg;
  return cur;
}

describe('first death', () => {
  const src = msg({ contentType: 'text/plain', headers: { CC: ['cc1', 'cc2'] }, expiration: '60000' });
  const { msg: out, routingKeys } = deadLetter(src, 'expired', 'q1', 'dlx', undefined, T0);

  test('the new message carries the DLX and the first routing key, and shares the body', () => {
    assert.equal(out.exchange, 'dlx');
    assert.equal(out.routingKey, 'rk');
    assert.deepEqual(routingKeys, ['rk', 'cc1', 'cc2']);
    assert.equal(out.body, src.body);
  });

  test('x-death has one record with 3.13 fields, order and wire types', () => {
    const [d, ...more] = deaths(out);
    assert.ok(d);
    assert.equal(more.length, 0);
    assert.deepEqual(Object.keys(d), [
      'original-expiration',
      'count',
      'reason',
      'queue',
      'time',
      'exchange',
      'routing-keys',
    ]);
    assert.equal(d['count'], 1);
    assert.equal(typeOf(d, 'count'), 'l');
    assert.equal(d['reason'], 'expired');
    assert.equal(typeOf(d, 'reason'), 'S');
    assert.equal(d['queue'], 'q1');
    assert.equal(typeOf(d, 'queue'), 'S');
    assert.deepEqual(d['time'], new Date(S0 * 1000));
    assert.equal(typeOf(d, 'time'), 'T');
    assert.equal(d['exchange'], 'ex');
    assert.equal(typeOf(d, 'exchange'), 'S');
    assert.deepEqual(d['routing-keys'], ['rk', 'cc1', 'cc2']);
    assert.equal(typeOf(d, 'routing-keys'), 'A');
    assert.equal(d['original-expiration'], '60000');
    assert.equal(typeOf(d, 'original-expiration'), 'S');
  });

  test('x-first-death-* and x-last-death-* are longstrs naming this death', () => {
    const h = headersOf(out);
    for (const [k, v] of [
      ['reason', 'expired'],
      ['queue', 'q1'],
      ['exchange', 'ex'],
    ]) {
      assert.equal(h[`x-first-death-${k}`], v);
      assert.equal(h[`x-last-death-${k}`], v);
      assert.equal(typeOf(h, `x-first-death-${k}`), 'S');
      assert.equal(typeOf(h, `x-last-death-${k}`), 'S');
    }
  });

  test('expiration is removed, other properties stay', () => {
    const p = decodeProperties(out.rawProperties);
    assert.equal(p.expiration, undefined);
    assert.equal(p.contentType, 'text/plain');
  });

  test('a message without expiration has no original-expiration', () => {
    const d = deaths(deadLetter(msg(), 'rejected', 'q', '', undefined, T0).msg)[0];
    assert.ok(d);
    assert.equal('original-expiration' in d, false);
  });

  test('original-expiration is the parsed expiration printed back, as 3.13 writes it', () => {
    const d = deaths(deadLetter(msg({ expiration: '007' }), 'expired', 'q', '', undefined, T0).msg)[0];
    assert.equal(d?.['original-expiration'], '7');
  });
});

describe('repeated deaths', () => {
  test('the same queue and reason again: count grows, first time, exchange and keys stay', () => {
    const once = deadLetter(msg({ expiration: '5' }), 'rejected', 'q1', 'dlx', 'back', T0).msg;
    const twice = deadLetter(once, 'rejected', 'q1', 'dlx2', undefined, T0 + 60_000).msg;
    const d = deaths(twice);
    assert.equal(d.length, 1);
    assert.equal(d[0]?.['count'], 2);
    assert.equal(typeOf(d[0] as FieldTable, 'count'), 'l');
    assert.deepEqual(d[0]?.['time'], new Date(S0 * 1000));
    assert.equal(d[0]?.['exchange'], 'ex');
    assert.deepEqual(d[0]?.['routing-keys'], ['rk']);
    assert.equal(d[0]?.['original-expiration'], '5');
  });

  test('two queues: most recent first, a repeat moves its record to the front', () => {
    const a = chain(msg(), [
      ['q1', 'rejected'],
      ['q2', 'expired'],
    ]);
    assert.deepEqual(
      deaths(a).map((d) => [d['queue'], d['reason'], d['count']]),
      [
        ['q2', 'expired', 1],
        ['q1', 'rejected', 1],
      ],
    );
    const b = chain(a, [['q1', 'rejected']]);
    assert.deepEqual(
      deaths(b).map((d) => [d['queue'], d['reason'], d['count']]),
      [
        ['q1', 'rejected', 2],
        ['q2', 'expired', 1],
      ],
    );
    // the same queue for another reason is another record
    const c = chain(b, [['q1', 'maxlen']]);
    assert.deepEqual(
      deaths(c).map((d) => [d['queue'], d['reason']]),
      [
        ['q1', 'maxlen'],
        ['q1', 'rejected'],
        ['q2', 'expired'],
      ],
    );
  });

  test('the second record names the exchange and keys the message had then (the first DLX)', () => {
    const once = deadLetter(msg(), 'rejected', 'q1', 'dlx1', 'k1', T0);
    const twice = deadLetter(once.msg, 'expired', 'q2', 'dlx2', undefined, T0);
    const d = deaths(twice.msg)[0];
    assert.equal(d?.['exchange'], 'dlx1');
    assert.deepEqual(d?.['routing-keys'], ['k1']);
    assert.deepEqual(twice.routingKeys, ['k1']);
  });

  test('x-first-death-* stay, x-last-death-* follow the latest death', () => {
    const m = chain(msg(), [
      ['q1', 'rejected'],
      ['q2', 'expired'],
    ]);
    const h = headersOf(m);
    assert.equal(h['x-first-death-queue'], 'q1');
    assert.equal(h['x-first-death-reason'], 'rejected');
    assert.equal(h['x-last-death-queue'], 'q2');
    assert.equal(h['x-last-death-reason'], 'expired');
    assert.equal(h['x-last-death-exchange'], '');
  });

  test('the count is a long even past 2^31 and 2^53', () => {
    const big = (count: FieldValue): FieldTable =>
      ({
        queue: 'q',
        reason: 'expired',
        exchange: '',
        'routing-keys': ['q'],
        count,
        time: new Date(0),
      }) as FieldTable;
    const a = deadLetter(msg({ headers: { 'x-death': [big(2 ** 31)] } }), 'expired', 'q', '', undefined, T0);
    assert.equal(deaths(a.msg)[0]?.['count'], 2 ** 31 + 1);
    const b = deadLetter(
      msg({ headers: { 'x-death': [big(2n ** 62n)] } }),
      'expired',
      'q',
      '',
      undefined,
      T0,
    );
    assert.equal(deaths(b.msg)[0]?.['count'], 2n ** 62n + 1n);
    assert.equal(typeOf(deaths(b.msg)[0] as FieldTable, 'count'), 'l');
  });
});

describe('routing keys, CC and BCC', () => {
  test('without a dead-letter routing key: publish key and CC keys, CC header kept', () => {
    const r = deadLetter(msg({ headers: { CC: ['a', 'b'] } }), 'rejected', 'q', 'dlx', undefined, T0);
    assert.deepEqual(r.routingKeys, ['rk', 'a', 'b']);
    assert.deepEqual(headersOf(r.msg)['CC'], ['a', 'b']);
  });

  test('with a dead-letter routing key: only that key, CC header still kept (3.13)', () => {
    const r = deadLetter(msg({ headers: { CC: ['a'] } }), 'rejected', 'q', 'dlx', 'dead', T0);
    assert.deepEqual(r.routingKeys, ['dead']);
    assert.equal(r.msg.routingKey, 'dead');
    assert.deepEqual(headersOf(r.msg)['CC'], ['a']);
    // the record still has the keys the message was published with
    assert.deepEqual(deaths(r.msg)[0]?.['routing-keys'], ['rk', 'a']);
    assert.deepEqual(r.route, { keys: ['dead'], bcc: [] });
  });

  test('an empty dead-letter routing key is a key', () => {
    const r = deadLetter(msg(), 'rejected', 'q', 'dlx', '', T0);
    assert.deepEqual(r.routingKeys, ['']);
    assert.equal(r.msg.routingKey, '');
  });

  test('a BCC header still on the message: routed to, not recorded, removed', () => {
    const r = deadLetter(msg({ headers: { CC: ['c'], BCC: ['b'] } }), 'rejected', 'q', 'dlx', undefined, T0);
    assert.deepEqual(r.routingKeys, ['rk', 'c', 'b']);
    assert.deepEqual(deaths(r.msg)[0]?.['routing-keys'], ['rk', 'c']);
    assert.equal('BCC' in headersOf(r.msg), false);
  });

  test('a BCC header ahead of x-death: the history is still continued', () => {
    const prior: FieldTable = {
      count: 1,
      reason: 'expired',
      queue: 'q0',
      time: 1,
      exchange: '',
      'routing-keys': [],
    };
    const r = deadLetter(
      msg({ headers: { BCC: ['b'], 'x-death': [prior] } }),
      'rejected',
      'q',
      'dlx',
      undefined,
      T0,
    );
    assert.deepEqual(
      deaths(r.msg).map((d) => d['queue']),
      ['q', 'q0'],
    );
  });

  test('CC and BCC count only as arrays of longstrs', () => {
    const r = deadLetter(
      msg({ headers: { CC: 'not-an-array', BCC: ['ok', 5, Buffer.from('bytes')] } }),
      'rejected',
      'q',
      'dlx',
      undefined,
      T0,
    );
    assert.deepEqual(r.routingKeys, ['rk', 'ok']);
  });

  test('a kept route: all keys routed, BCC keys not recorded (one occurrence each, like Erlang --)', () => {
    const route = { keys: ['rk', 'c', 'x', 'x'], bcc: ['x'] };
    const r = deadLetter(msg(), 'rejected', 'q', 'dlx', undefined, T0, route);
    assert.deepEqual(r.routingKeys, ['rk', 'c', 'x', 'x']);
    assert.deepEqual(deaths(r.msg)[0]?.['routing-keys'], ['rk', 'c', 'x']);
    assert.deepEqual(r.route, { keys: ['rk', 'c', 'x', 'x'], bcc: ['x'] });
    // passed back in after a dead-letter routing key, the CC header no longer adds keys
    const once = deadLetter(msg({ headers: { CC: ['c'] } }), 'rejected', 'q1', 'dlx', 'dead', T0);
    const twice = deadLetter(once.msg, 'expired', 'q2', 'dlx', undefined, T0, once.route);
    assert.deepEqual(twice.routingKeys, ['dead']);
    assert.deepEqual(deaths(twice.msg)[0]?.['routing-keys'], ['dead']);
  });
});

describe('an x-death header a client published', () => {
  const valid: FieldTable = {
    count: 3,
    reason: 'expired',
    queue: 'old',
    time: 1_000,
    exchange: 'oldx',
    'routing-keys': ['k'],
    'original-expiration': '0100',
    extra: 'dropped',
  };

  test('a valid history is continued: no x-first-*, counts and fields kept, rewritten in 3.13 form', () => {
    const out = deadLetter(msg({ headers: { 'x-death': [valid] } }), 'expired', 'old', '', undefined, T0).msg;
    const h = headersOf(out);
    assert.equal('x-first-death-queue' in h, false);
    assert.equal(h['x-last-death-queue'], 'old');
    const [d] = deaths(out);
    assert.ok(d);
    assert.equal(d['count'], 4);
    assert.deepEqual(d['time'], new Date(1_000_000));
    assert.equal(typeOf(d, 'time'), 'T');
    assert.equal(d['exchange'], 'oldx');
    assert.equal(d['original-expiration'], '100');
    assert.equal('extra' in d, false);
  });

  test('a client x-first-death-* header is kept when the history goes on, replaced when it starts', () => {
    const goesOn = deadLetter(
      msg({ headers: { 'x-death': [valid], 'x-first-death-queue': 'mine' } }),
      'expired',
      'q',
      '',
      undefined,
      T0,
    ).msg;
    assert.equal(headersOf(goesOn)['x-first-death-queue'], 'mine');
    const starts = deadLetter(
      msg({ headers: { 'x-first-death-queue': 'mine', 'x-last-death-queue': 'mine' } }),
      'expired',
      'q',
      '',
      undefined,
      T0,
    ).msg;
    assert.equal(headersOf(starts)['x-first-death-queue'], 'q');
    assert.equal(headersOf(starts)['x-last-death-queue'], 'q');
  });

  test('not an array: a fresh history with x-first-* (3.10 resets it without x-first-*)', () => {
    for (const junk of ['junk', 7, { queue: 'q' }, null] as FieldValue[]) {
      const out = deadLetter(msg({ headers: { 'x-death': junk } }), 'rejected', 'q', '', undefined, T0).msg;
      assert.equal(deaths(out).length, 1, String(junk));
      assert.equal(deaths(out)[0]?.['count'], 1);
      assert.equal(headersOf(out)['x-first-death-queue'], 'q');
    }
  });

  test('malformed entries are skipped; an array, even empty, means no x-first-*', () => {
    const bad: FieldValue[] = [
      1,
      'str',
      ['nested'],
      { ...valid, time: 1.5 },
      { ...valid, time: 'now' },
      { ...valid, time: -1 },
      { ...valid, count: '3' },
      { ...valid, queue: 9 },
      { ...valid, 'routing-keys': 'k' },
      { ...valid, 'routing-keys': ['k', 1] },
      { count: 1, reason: 'expired', queue: 'q', time: 1, exchange: '' },
    ];
    const out = deadLetter(msg({ headers: { 'x-death': bad } }), 'rejected', 'q', '', undefined, T0).msg;
    assert.deepEqual(
      deaths(out).map((d) => d['queue']),
      ['q'],
    );
    assert.equal('x-first-death-queue' in headersOf(out), false);
    const empty = deadLetter(msg({ headers: { 'x-death': [] } }), 'rejected', 'q', '', undefined, T0).msg;
    assert.equal(deaths(empty).length, 1);
    assert.equal('x-first-death-queue' in headersOf(empty), false);
  });

  test('good entries among junk survive in order; a bad original-expiration is dropped', () => {
    const other = { ...valid, queue: 'other', 'original-expiration': 'soon' };
    const out = deadLetter(
      msg({ headers: { 'x-death': [valid, 42, other] } }),
      'maxlen',
      'q',
      '',
      undefined,
      T0,
    ).msg;
    const d = deaths(out);
    assert.deepEqual(
      d.map((e) => e['queue']),
      ['q', 'old', 'other'],
    );
    assert.equal('original-expiration' in (d[2] as FieldTable), false);
  });
});

describe('cycles', () => {
  test('a TTL loop back into the same queue is dropped', () => {
    const r = deadLetter(msg(), 'expired', 'q', '', undefined, T0);
    assert.equal(isDeadLetterCycle('expired', r.msg, 'q'), true);
    assert.equal(isDeadLetterCycle('expired', r.msg, 'other'), false);
  });

  test('q1 -> q2 -> q1 by TTL and max-length is dropped; by delivery limit too', () => {
    const a = chain(msg(), [['q1', 'expired']]);
    const b = deadLetter(a, 'maxlen', 'q2', '', undefined, T0).msg;
    assert.equal(isDeadLetterCycle('maxlen', b, 'q1'), true);
    const c = deadLetter(a, 'delivery_limit', 'q2', '', undefined, T0).msg;
    assert.equal(isDeadLetterCycle('delivery_limit', c, 'q1'), true);
  });

  test('a rejection anywhere in the cycle keeps the message', () => {
    const a = chain(msg(), [
      ['q1', 'expired'],
      ['q2', 'rejected'],
    ]);
    const b = deadLetter(a, 'expired', 'q3', '', undefined, T0).msg;
    assert.equal(isDeadLetterCycle('expired', b, 'q1'), false);
    // q3 died just now by TTL: going straight back there is still a cycle
    assert.equal(isDeadLetterCycle('expired', b, 'q3'), true);
    // and q2 is where the rejection happened: the cycle includes it
    assert.equal(isDeadLetterCycle('expired', b, 'q2'), false);
  });

  test('a rejection older than the last death from the target does not break the cycle', () => {
    const m = chain(msg(), [
      ['q0', 'rejected'],
      ['q1', 'expired'],
      ['q2', 'expired'],
    ]);
    assert.equal(isDeadLetterCycle('expired', m, 'q1'), true);
    assert.equal(isDeadLetterCycle('expired', m, 'q0'), false);
  });

  test('a message that dies by rejection is never dropped as a cycle', () => {
    const m = chain(msg(), [
      ['q', 'expired'],
      ['q', 'rejected'],
    ]);
    assert.equal(isDeadLetterCycle('rejected', m, 'q'), false);
  });

  test('a message read back from its bytes gives the same answers and queue list', () => {
    const m = chain(msg(), [
      ['q1', 'rejected'],
      ['q2', 'expired'],
      ['q3', 'maxlen'],
    ]);
    const copy = new Message(m.exchange, m.routingKey, Buffer.from(m.rawProperties), m.body);
    for (const q of ['q1', 'q2', 'q3', 'q4'])
      assert.equal(isDeadLetterCycle('maxlen', copy, q), isDeadLetterCycle('maxlen', m, q), q);
    assert.deepEqual(deathQueueNames(copy), ['q3', 'q2', 'q1']);
    assert.deepEqual(deathQueueNames(m), ['q3', 'q2', 'q1']);
  });

  test('a long history costs linear time', () => {
    const n = 20_000;
    const entries: FieldTable[] = [];
    for (let i = 0; i < n; i++)
      entries.push({
        count: 1,
        reason: 'expired',
        queue: `q${i}`,
        time: 1,
        exchange: '',
        'routing-keys': [],
      });
    const start = process.hrtime.bigint();
    const r = deadLetter(msg({ headers: { 'x-death': entries } }), 'expired', `q${n - 1}`, '', undefined, T0);
    for (let i = 0; i < n; i += 7) isDeadLetterCycle('expired', r.msg, `q${i}`);
    const ms = Number(process.hrtime.bigint() - start) / 1e6;
    assert.equal(deaths(r.msg)[0]?.['queue'], `q${n - 1}`);
    assert.equal(deaths(r.msg).length, n);
    assert.ok(ms < 2_000, `took ${ms} ms`);
  });
});

describe('wire round trip', () => {
  test('other headers keep their exact bytes and types; keys come out sorted and unique', () => {
    const sent: FieldTable = {
      zeta: { $type: 'b', value: -3 },
      alpha: { $type: 'f', value: 1.5 },
      mid: { nested: { $type: 's', value: 7 }, list: [{ $type: 'I', value: 1 }, 2n] },
      Upper: { $decimal: true, scale: 2, value: 314 },
      bin: Buffer.from([0, 1, 2]),
      when: new Date(5_000),
      nothing: null,
    };
    const src = msg({
      contentType: 'application/json',
      contentEncoding: 'gzip',
      headers: sent,
      deliveryMode: 2,
      priority: 4,
      correlationId: 'corr',
      replyTo: 'reply',
      expiration: '1000',
      messageId: 'id',
      timestamp: 1_700_000_000,
      type: 'type',
      userId: 'guest',
      appId: 'app',
    });
    const out = deadLetter(src, 'expired', 'q', 'dlx', undefined, T0).msg;
    const p = decodeProperties(out.rawProperties);
    const h = p.headers as FieldTable;
    assert.deepEqual(Object.keys(h), [
      'Upper',
      'alpha',
      'bin',
      'mid',
      'nothing',
      'when',
      'x-death',
      'x-first-death-exchange',
      'x-first-death-queue',
      'x-first-death-reason',
      'x-last-death-exchange',
      'x-last-death-queue',
      'x-last-death-reason',
      'zeta',
    ]);
    const types = Object.fromEntries(Object.keys(h).map((k) => [k, typeOf(h, k)]));
    assert.deepEqual(types, {
      Upper: 'D',
      alpha: 'f',
      bin: 'x',
      mid: 'F',
      nothing: 'V',
      when: 'T',
      'x-death': 'A',
      'x-first-death-exchange': 'S',
      'x-first-death-queue': 'S',
      'x-first-death-reason': 'S',
      'x-last-death-exchange': 'S',
      'x-last-death-queue': 'S',
      'x-last-death-reason': 'S',
      zeta: 'b',
    });
    const mid = h['mid'] as FieldTable;
    assert.equal(typeOf(mid, 'nested'), 's');
    // every header the client sent is there byte for byte
    for (const [key, value] of Object.entries(sent)) {
      const w = new Writer(64);
      w.shortstr(key);
      w.value(value);
      assert.ok(out.rawProperties.includes(w.buf.subarray(0, w.pos)), key);
    }
    assert.deepEqual(
      { ...p, headers: undefined },
      {
        contentType: 'application/json',
        contentEncoding: 'gzip',
        headers: undefined,
        deliveryMode: 2,
        priority: 4,
        correlationId: 'corr',
        replyTo: 'reply',
        messageId: 'id',
        timestamp: 1_700_000_000,
        type: 'type',
        userId: 'guest',
        appId: 'app',
      },
    );
    assert.equal(out.persistent, true);
  });

  test('x-death values: routing-keys is an array of longstrs, time a timestamp in seconds', () => {
    const out = deadLetter(msg({ headers: { CC: ['c'] } }), 'expired', 'q', '', undefined, T0).msg;
    const d = deaths(out)[0] as FieldTable;
    // 'A', the array's byte length, then each key as 'S', a 32-bit length and its bytes
    const raw = out.rawProperties;
    const at = raw.indexOf('\x0crouting-keys');
    assert.ok(at > 0);
    const keys = raw.subarray(at + 13);
    assert.equal(String.fromCharCode(keys[0] as number), 'A');
    assert.equal(keys.readUInt32BE(1), 1 + 4 + 2 + (1 + 4 + 1));
    assert.equal(String.fromCharCode(keys[5] as number), 'S');
    assert.equal(String.fromCharCode(keys[5 + 1 + 4 + 2] as number), 'S');
    const t = raw.indexOf('\x04timeT');
    assert.equal(raw.readBigUInt64BE(t + 6), BigInt(S0));
    assert.deepEqual(d['routing-keys'], ['rk', 'c']);
  });

  test('duplicate client keys: the first wins, as in 3.13; continuation flag words go away', () => {
    // headers: dup=1 ('I'), dup=2 ('I'); then a continuation flags word
    const table = Buffer.concat([
      Buffer.from([3]),
      Buffer.from('dup'),
      Buffer.from([0x49, 0, 0, 0, 1]),
      Buffer.from([3]),
      Buffer.from('dup'),
      Buffer.from([0x49, 0, 0, 0, 2]),
    ]);
    const len = Buffer.alloc(4);
    len.writeUInt32BE(table.length);
    const raw = Buffer.concat([Buffer.from([0x20, 0x01, 0x00, 0x00]), len, table]);
    const out = deadLetter(new Message('ex', 'rk', raw, Buffer.alloc(0)), 'rejected', 'q', '', undefined, T0);
    assert.equal(headersOf(out.msg)['dup'], 1);
    assert.equal(out.msg.rawProperties.readUInt16BE(0), 0x2000);
  });

  test('a message with no headers at all gets a headers table', () => {
    const out = deadLetter(msg({ deliveryMode: 1 }), 'maxlen', 'q', 'd', undefined, T0).msg;
    assert.deepEqual(Object.keys(headersOf(out)), [
      'x-death',
      'x-first-death-exchange',
      'x-first-death-queue',
      'x-first-death-reason',
      'x-last-death-exchange',
      'x-last-death-queue',
      'x-last-death-reason',
    ]);
    assert.equal(decodeProperties(out.rawProperties).deliveryMode, 1);
  });
});
