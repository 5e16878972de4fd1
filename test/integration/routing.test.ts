/**
 * Routing by exchange type: direct, fanout, topic (with the edge cases of `*`, `#` and empty words),
 * headers (x-match all/any, x- keys, void values, numeric types), the default exchange, and sender-selected
 * distribution (CC/BCC). Each expectation table was recorded from RabbitMQ 3.10.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { ConfirmChannel, Options } from 'amqplib';
import { uniqueName } from '../helpers/broker.js';
import { REPLY, assertReply, closedWithError, drain, publishConfirmed, useBroker } from '../helpers/amqp.js';
import { nextEvent } from '../helpers/wait.js';

/** key -> the topic patterns that match it, as RabbitMQ 3.10 routes them. */
const TOPIC_PATTERNS = [
  '*',
  '#',
  'a.*',
  'a.#',
  '#.x',
  'a.#.b',
  '*.*',
  'a.*.#',
  '#.#',
  '',
  'a..b',
  '#.a.#',
  '*.#',
  'a.b',
  '#.*',
];
const TOPIC_MATCHES: Record<string, string[]> = {
  '': ['#', '#.#', ''],
  a: ['*', '#', 'a.#', '#.#', '#.a.#', '*.#', '#.*'],
  x: ['*', '#', '#.x', '#.#', '*.#', '#.*'],
  'a.b': ['#', 'a.*', 'a.#', 'a.#.b', '*.*', 'a.*.#', '#.#', '#.a.#', '*.#', 'a.b', '#.*'],
  'a.x': ['#', 'a.*', 'a.#', '#.x', '*.*', 'a.*.#', '#.#', '#.a.#', '*.#', '#.*'],
  'a.b.x': ['#', 'a.#', '#.x', 'a.*.#', '#.#', '#.a.#', '*.#', '#.*'],
  'a.x.b': ['#', 'a.#', 'a.#.b', 'a.*.#', '#.#', '#.a.#', '*.#', '#.*'],
  // A trailing or leading dot makes an empty word, which `*` matches.
  'a.': ['#', 'a.*', 'a.#', '*.*', 'a.*.#', '#.#', '#.a.#', '*.#', '#.*'],
  '.a': ['#', '*.*', '#.#', '#.a.#', '*.#', '#.*'],
  'a..b': ['#', 'a.#', 'a.#.b', 'a.*.#', '#.#', 'a..b', '#.a.#', '*.#', '#.*'],
  'x.a': ['#', '*.*', '#.#', '#.a.#', '*.#', '#.*'],
  '.': ['#', '*.*', '#.#', '*.#', '#.*'],
  'a.b.c.b': ['#', 'a.#', 'a.#.b', 'a.*.#', '#.#', '#.a.#', '*.#', '#.*'],
};

/** binding name -> binding arguments on a headers exchange. */
const HEADER_BINDINGS: Record<string, Record<string, unknown>> = {
  all: { 'x-match': 'all', a: 1, b: 'two' },
  any: { 'x-match': 'any', a: 1, b: 'two' },
  noMatchArg: { a: 1, b: 'two' }, // x-match defaults to all
  allIgnoresX: { 'x-match': 'all', a: 1, 'x-foo': 'bar' },
  anyOnlyX: { 'x-match': 'any', 'x-foo': 'bar' }, // x- keys ignored: nothing left to match
  emptyAll: { 'x-match': 'all' }, // matches everything
  emptyAny: { 'x-match': 'any' }, // matches nothing
  stringOne: { 'x-match': 'all', a: '1' },
  allWithX: { 'x-match': 'all-with-x', a: 1, 'x-foo': 'bar' },
  anyWithX: { 'x-match': 'any-with-x', 'x-foo': 'bar' },
  voidValue: { 'x-match': 'all', v: null }, // a void value matches on presence of the key
};
/** message name -> [its headers, the bindings that match it]. */
const HEADER_MESSAGES: Record<string, [Record<string, unknown> | undefined, string[]]> = {
  noHeaders: [undefined, ['emptyAll']],
  a1: [{ a: 1 }, ['any', 'allIgnoresX', 'emptyAll']],
  a1b2: [{ a: 1, b: 'two' }, ['all', 'any', 'noMatchArg', 'allIgnoresX', 'emptyAll']],
  a1b3: [{ a: 1, b: 'three' }, ['any', 'allIgnoresX', 'emptyAll']],
  b2: [{ b: 'two' }, ['any', 'emptyAll']],
  a1xfoo: [{ a: 1, 'x-foo': 'bar' }, ['any', 'allIgnoresX', 'emptyAll', 'allWithX', 'anyWithX']],
  xfoo: [{ 'x-foo': 'bar' }, ['emptyAll', 'anyWithX']],
  aString: [{ a: '1' }, ['emptyAll', 'stringOne']],
  // A 64-bit 1 matches a binding's 8-bit 1: integers compare by value, not by wire type.
  aLong: [{ a: { '!': 'long', value: 1 } }, ['any', 'allIgnoresX', 'emptyAll']],
  extraHeader: [{ a: 1, b: 'two', c: 3 }, ['all', 'any', 'noMatchArg', 'allIgnoresX', 'emptyAll']],
  vNull: [{ v: null }, ['emptyAll', 'voidValue']],
  vString: [{ v: 'x' }, ['emptyAll', 'voidValue']],
};

describe('routing', () => {
  const h = useBroker();

  /** Publishes one message (confirmed) and returns the names of the bound queues that received it. */
  async function routesTo(
    ch: ConfirmChannel,
    exchange: string,
    key: string,
    queues: Record<string, string>,
    options: Options.Publish = {},
  ): Promise<string[]> {
    await publishConfirmed(ch, exchange, key, `to ${key}`, options);
    const hit: string[] = [];
    for (const [label, q] of Object.entries(queues)) {
      const got = await drain(ch, q);
      assert.ok(got.length <= 1, `${label} got ${got.length} copies`);
      if (got.length === 1) hit.push(label);
    }
    return hit;
  }

  async function exclusiveQueue(ch: ConfirmChannel): Promise<string> {
    return (await ch.assertQueue('', { exclusive: true })).queue;
  }

  test('topic: `*` is exactly one word, `#` zero or more, empty words count', async () => {
    const ch = await h.confirmChannel();
    const x = await h.exchange('topic');
    const queues: Record<string, string> = {};
    for (const p of TOPIC_PATTERNS) {
      queues[p] = await exclusiveQueue(ch);
      await ch.bindQueue(queues[p] as string, x, p);
    }
    const actual: Record<string, string[]> = {};
    for (const key of Object.keys(TOPIC_MATCHES)) actual[key] = await routesTo(ch, x, key, queues);
    assert.deepEqual(actual, TOPIC_MATCHES);
  });

  test('topic: words are compared exactly, case-sensitively and by UTF-8', async () => {
    const ch = await h.confirmChannel();
    const x = await h.exchange('topic');
    const queues = { upper: await exclusiveQueue(ch), unicode: await exclusiveQueue(ch) };
    await ch.bindQueue(queues.upper, x, 'A.*');
    await ch.bindQueue(queues.unicode, x, 'naïve.#');
    assert.deepEqual(await routesTo(ch, x, 'a.b', queues), []);
    assert.deepEqual(await routesTo(ch, x, 'A.b', queues), ['upper']);
    assert.deepEqual(await routesTo(ch, x, 'naïve', queues), ['unicode']);
    assert.deepEqual(await routesTo(ch, x, 'naive.x', queues), []);
  });

  test('headers: x-match all/any, x- keys ignored unless *-with-x, void values, numeric types', async () => {
    const ch = await h.confirmChannel();
    const x = await h.exchange('headers');
    const queues: Record<string, string> = {};
    for (const [label, args] of Object.entries(HEADER_BINDINGS)) {
      queues[label] = await exclusiveQueue(ch);
      await ch.bindQueue(queues[label] as string, x, '', args);
    }
    const actual: Record<string, string[]> = {};
    const expected: Record<string, string[]> = {};
    for (const [label, [headers, matches]] of Object.entries(HEADER_MESSAGES)) {
      actual[label] = await routesTo(ch, x, 'ignored-key', queues, headers ? { headers } : {});
      expected[label] = matches;
    }
    assert.deepEqual(actual, expected);
  });

  test('headers: the routing key plays no part', async () => {
    const ch = await h.confirmChannel();
    const x = await h.exchange('headers');
    const q = await exclusiveQueue(ch);
    await ch.bindQueue(q, x, 'some-key', { 'x-match': 'all', k: 'v' });
    assert.deepEqual(await routesTo(ch, x, 'other-key', { q }, { headers: { k: 'v' } }), ['q']);
  });

  test('fanout: every bound queue gets a copy, whatever the key', async () => {
    const ch = await h.confirmChannel();
    const x = await h.exchange('fanout');
    const queues = { a: await exclusiveQueue(ch), b: await exclusiveQueue(ch) };
    await ch.bindQueue(queues.a, x, '');
    await ch.bindQueue(queues.b, x, 'binding-key-ignored');
    assert.deepEqual(await routesTo(ch, x, 'any.key', queues), ['a', 'b']);
    assert.deepEqual(await routesTo(ch, x, '', queues), ['a', 'b']);
  });

  test('direct: exact key match only, including the empty key', async () => {
    const ch = await h.confirmChannel();
    const x = await h.exchange('direct');
    const queues = { k: await exclusiveQueue(ch), empty: await exclusiveQueue(ch) };
    await ch.bindQueue(queues.k, x, 'k');
    await ch.bindQueue(queues.empty, x, '');
    assert.deepEqual(await routesTo(ch, x, 'k', queues), ['k']);
    assert.deepEqual(await routesTo(ch, x, 'K', queues), []);
    assert.deepEqual(await routesTo(ch, x, 'k.x', queues), []);
    assert.deepEqual(await routesTo(ch, x, '', queues), ['empty']);
  });

  test('default exchange: routes to the queue named by the key; unknown names are dropped or returned', async () => {
    const ch = await h.confirmChannel();
    const q = await h.queue();
    const returned = nextEvent(ch, 'return');
    await publishConfirmed(ch, '', q, 'by-name');
    await publishConfirmed(ch, '', uniqueName('nobody'), 'dropped');
    await publishConfirmed(ch, '', uniqueName('nobody'), 'returned', { mandatory: true });
    assert.deepEqual(await drain(ch, q), ['by-name']);
    const [msg] = (await returned) as [{ content: Buffer; fields: { replyCode: number; exchange: string } }];
    assert.equal(msg.content.toString(), 'returned');
    assert.equal(msg.fields.replyCode, REPLY.NO_ROUTE);
    assert.equal(msg.fields.exchange, '');
  });

  test('publishing to a missing exchange closes the channel with 404', async () => {
    const ch = await h.confirmChannel();
    const missing = uniqueName('missing');
    const confirm = publishConfirmed(ch, missing, 'k', 'lost');
    assertReply(
      await closedWithError(ch),
      REPLY.NOT_FOUND,
      `NOT_FOUND - no exchange '${missing}' in vhost '/'`,
    );
    // amqplib fails the pending confirm with "channel closed".
    await assert.rejects(confirm, /channel closed/);
    // Only the channel is closed, not the connection.
    await (await h.channel()).checkExchange('amq.direct');
  });

  test('CC and BCC headers add routing keys; BCC is stripped before delivery', async () => {
    const ch = await h.confirmChannel();
    const x = await h.exchange('direct');
    const queues = {
      main: await exclusiveQueue(ch),
      cc: await exclusiveQueue(ch),
      bcc: await exclusiveQueue(ch),
    };
    await ch.bindQueue(queues.main, x, 'main');
    await ch.bindQueue(queues.cc, x, 'cc-key');
    await ch.bindQueue(queues.bcc, x, 'bcc-key');
    await publishConfirmed(ch, x, 'main', 'hello', {
      CC: 'cc-key',
      BCC: ['bcc-key'],
      headers: { keep: 'me' },
    });
    for (const q of Object.values(queues)) {
      const m = await ch.get(q, { noAck: true });
      assert.ok(m, `no message in ${q}`);
      assert.equal(m.fields.routingKey, 'main');
      assert.deepEqual(m.properties.headers, { keep: 'me', CC: ['cc-key'] });
    }
  });
});
