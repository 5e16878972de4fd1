/**
 * The built-in x-delayed-message exchange (rabbitmq-delayed-message-exchange's behaviour, see
 * docs/delayed-messages.md): declare errors, x-delay parsing, each x-delayed-type, release order and
 * timing, confirms, mandatory, alternate exchange, bindings at due time, delete. Every test runs in
 * memory and with a data directory (bodies held in the message store). Warren-only: the reference
 * RabbitMQ has no such plugin.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import type { Channel, ConsumeMessage, GetMessage, Options } from 'amqplib';
import { uniqueName } from '../helpers/broker.js';
import {
  REPLY,
  assertReply,
  closedWithError,
  drain,
  expectReply,
  publishConfirmed,
  readyCount,
  txCommit,
  txSelect,
  useBroker,
} from '../helpers/amqp.js';
import { waitFor } from '../helpers/wait.js';
import type { DelayedExchange } from '../../src/core/exchange/delayed.js';

const external = process.env['WARREN_TEST_URL'] !== undefined;
const dataDir = mkdtempSync(join(tmpdir(), 'warren-delayed-'));
after(() => rmSync(dataDir, { recursive: true, force: true }));

interface Arrival {
  body: string;
  at: number;
  msg: ConsumeMessage;
}

/** Consumes `queue` (no-ack), noting when each message arrived. */
async function arrivals(ch: Channel, queue: string): Promise<Arrival[]> {
  const got: Arrival[] = [];
  await ch.consume(queue, (m) => m && got.push({ body: m.content.toString(), at: Date.now(), msg: m }), {
    noAck: true,
  });
  return got;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** basic.get, polled until a message comes or `ms` pass. */
async function getWithin(ch: Channel, queue: string, noAck: boolean, ms: number): Promise<GetMessage> {
  const deadline = Date.now() + ms;
  for (;;) {
    const m = await ch.get(queue, { noAck });
    if (m) return m;
    if (Date.now() > deadline) assert.fail(`nothing arrived in ${queue} within ${ms} ms`);
    await sleep(20);
  }
}

function delayedSuite(mode: string, options: Parameters<typeof useBroker>[0]): void {
  describe(`x-delayed-message exchange (${mode})`, { skip: external && 'Warren-only' }, () => {
    const h = useBroker(options);

    /** A delayed exchange of `type` with one queue bound by `key` (and `args`). */
    async function setup(
      type: string,
      key = 'k',
      args: Record<string, unknown> = {},
      exchangeArgs: Record<string, unknown> = {},
    ): Promise<{ ch: Channel; x: string; q: string }> {
      const ch = await h.channel();
      const x = await h.exchange('x-delayed-message', {
        arguments: { 'x-delayed-type': type, ...exchangeArgs },
      });
      const q = await h.queue();
      await ch.bindQueue(q, x, key, args);
      return { ch, x, q };
    }

    function held(x: string): DelayedExchange {
      return h.broker.warren?.broker.vhost('/').exchanges.get(x) as DelayedExchange;
    }

    const delayed = (ms: unknown, extra: Options.Publish = {}): Options.Publish => ({
      ...extra,
      headers: { ...extra.headers, 'x-delay': ms },
    });

    test('declare without x-delayed-type, or with itself, is refused with 406', async () => {
      await expectReply(
        (await h.channel()).assertExchange(uniqueName('x'), 'x-delayed-message', { durable: false }),
        REPLY.PRECONDITION_FAILED,
        "PRECONDITION_FAILED - Invalid argument, 'x-delayed-type' must be an existing exchange type",
      );
      await expectReply(
        (await h.channel()).assertExchange(uniqueName('x'), 'x-delayed-message', {
          durable: false,
          arguments: { 'x-delayed-type': 42 },
        }),
        REPLY.PRECONDITION_FAILED,
        "PRECONDITION_FAILED - Invalid argument, 'x-delayed-type' must be an existing exchange type",
      );
      await expectReply(
        (await h.channel()).assertExchange(uniqueName('x'), 'x-delayed-message', {
          durable: false,
          arguments: { 'x-delayed-type': 'x-delayed-message' },
        }),
        REPLY.PRECONDITION_FAILED,
        "PRECONDITION_FAILED - Invalid argument, 'x-delayed-message' can't be used for 'x-delayed-type'",
      );
    });

    test('an unknown x-delayed-type closes the connection with 503, as an unknown type does', async () => {
      const conn = await h.connect();
      const ch = await h.channel(conn);
      await assert.rejects(
        ch.assertExchange(uniqueName('x'), 'x-delayed-message', {
          durable: false,
          arguments: { 'x-delayed-type': 'x-no-such-type' },
        }),
      );
      assertReply(
        await closedWithError(conn),
        REPLY.COMMAND_INVALID,
        "COMMAND_INVALID - unknown exchange type 'x-no-such-type'",
      );
    });

    test('redeclare with the same arguments is fine; a passive declare finds it', async () => {
      const { ch, x } = await setup('direct');
      await ch.assertExchange(x, 'x-delayed-message', {
        durable: false,
        arguments: { 'x-delayed-type': 'direct' },
      });
      await ch.checkExchange(x);
    });

    test('messages come out in due order, none before its delay has passed', async () => {
      const { ch, x, q } = await setup('direct');
      const got = await arrivals(ch, q);
      const delays = [400, 100, 300, 200, 100, 50];
      const sent = new Map<string, number>();
      delays.forEach((d, i) => {
        sent.set(`${d}/${i}`, Date.now());
        ch.publish(x, 'k', Buffer.from(`${d}/${i}`), delayed(d));
      });
      await sleep(20);
      assert.equal(got.length, 0, 'nothing is delivered at once');
      await waitFor(() => got.length === delays.length, 3000, 'all delayed messages');
      // equal delays keep publish order
      assert.deepEqual(
        got.map((a) => a.body),
        ['50/5', '100/1', '100/4', '200/3', '300/2', '400/0'],
      );
      for (const a of got) {
        const delay = Number(a.body.split('/')[0]);
        assert.ok(a.at - (sent.get(a.body) as number) >= delay, `${a.body} arrived early`);
      }
    });

    for (const [what, value] of [
      ['absent', undefined],
      ['0', 0],
      ['negative', -500],
      ['a float under 1', 0.5],
      ['a non-numeric string', 'soon'],
      ['a boolean', true],
    ] as const) {
      test(`x-delay ${what}: routed at once`, async () => {
        const { ch, x, q } = await setup('direct');
        const confirm = await h.confirmChannel();
        const opts = value === undefined ? {} : delayed(value);
        await publishConfirmed(confirm, x, 'k', 'now', opts);
        assert.equal(await readyCount(ch, q), 1);
        assert.equal(held(x).delayedCount, 0);
      });
    }

    for (const [what, value, delay] of [
      ['an integer string', '150', 150],
      ['a float', 150.9, 150],
      ['a 64-bit integer', 2 ** 40, 2 ** 40],
    ] as const) {
      test(`x-delay as ${what} is a delay`, async () => {
        const { ch, x, q } = await setup('direct');
        const confirm = await h.confirmChannel();
        await publishConfirmed(confirm, x, 'k', 'later', delayed(value));
        assert.equal(await readyCount(ch, q), 0);
        assert.equal(held(x).delayedCount, 1);
        if (delay > 1000) return; // not waited for; deleted with the exchange
        await waitFor(async () => (await readyCount(ch, q)) === 1, 2000, 'the delayed message');
      });
    }

    test('direct, fanout, topic and headers route as their type when due', async () => {
      const cases = [
        { type: 'direct', bind: 'a.b', args: {}, hit: 'a.b', miss: 'a.c', headers: {} },
        { type: 'fanout', bind: 'ignored', args: {}, hit: 'anything', miss: undefined, headers: {} },
        { type: 'topic', bind: 'a.*.c', args: {}, hit: 'a.b.c', miss: 'a.b', headers: {} },
        {
          type: 'headers',
          bind: '',
          args: { 'x-match': 'all', kind: 'x' },
          hit: '',
          miss: '',
          headers: { kind: 'x' },
        },
      ];
      for (const c of cases) {
        const { ch, x, q } = await setup(c.type, c.bind, c.args);
        ch.publish(x, c.hit, Buffer.from('hit'), delayed(100, { headers: c.headers }));
        if (c.miss !== undefined) ch.publish(x, c.miss, Buffer.from('miss'), delayed(100));
        await sleep(30);
        assert.equal(await readyCount(ch, q), 0, `${c.type}: held`);
        await waitFor(() => held(x).delayedCount === 0, 2000, `${c.type}: released`);
        assert.deepEqual(await drain(ch, q), ['hit'], `${c.type}: routed as ${c.type}`);
      }
    });

    test('a headers x-delayed-type validates x-match on bind', async () => {
      const ch = await h.channel();
      const x = await h.exchange('x-delayed-message', { arguments: { 'x-delayed-type': 'headers' } });
      const q = await h.queue();
      await expectReply(
        ch.bindQueue(q, x, '', { 'x-match': 'some' }),
        REPLY.PRECONDITION_FAILED,
        /Invalid x-match field value some/,
      );
    });

    test('the released message carries x-delay negated, and its own exchange and routing key', async () => {
      const { ch, x, q } = await setup('direct');
      const got = await arrivals(ch, q);
      ch.publish(x, 'k', Buffer.from('m'), delayed(60, { headers: { other: 'kept' }, messageId: 'id-1' }));
      await waitFor(() => got.length === 1, 2000, 'the message');
      const m = (got[0] as Arrival).msg;
      assert.equal(m.properties.headers?.['x-delay'], -60);
      assert.equal(m.properties.headers?.['other'], 'kept');
      assert.equal(m.properties.messageId, 'id-1');
      assert.equal(m.fields.exchange, x);
      assert.equal(m.fields.routingKey, 'k');
    });

    test('bindings are those of the exchange when the message is due, not when it was published', async () => {
      const ch = await h.channel();
      const x = await h.exchange('x-delayed-message', { arguments: { 'x-delayed-type': 'direct' } });
      const early = await h.queue();
      const late = await h.queue();
      await ch.bindQueue(early, x, 'k');
      ch.publish(x, 'k', Buffer.from('m'), delayed(150));
      await sleep(30);
      await ch.unbindQueue(early, x, 'k');
      await ch.bindQueue(late, x, 'k');
      await waitFor(() => held(x).delayedCount === 0, 2000, 'release');
      await waitFor(async () => (await readyCount(ch, late)) === 1, 2000, 'delivery to the late binding');
      assert.equal(await readyCount(ch, early), 0);
    });

    test('a held message is confirmed at once, and not returned even when mandatory', async () => {
      const ch = await h.confirmChannel();
      const x = await h.exchange('x-delayed-message', { arguments: { 'x-delayed-type': 'direct' } });
      let returns = 0;
      ch.on('return', () => returns++);
      const started = Date.now();
      await publishConfirmed(ch, x, 'nowhere', 'm', delayed(5000, { mandatory: true, persistent: true }));
      assert.ok(Date.now() - started < 2000, 'the confirm does not wait for the delay');
      // an undelayed unroutable mandatory publish still comes back
      await publishConfirmed(ch, x, 'nowhere', 'm', { mandatory: true });
      await waitFor(() => returns === 1, 2000, 'the return of the undelayed publish');
      await sleep(50);
      assert.equal(returns, 1);
    });

    test('the alternate exchange gets a held message only if it is unroutable when due', async () => {
      const ch = await h.channel();
      const ae = await h.exchange('fanout');
      const aeQueue = await h.queue();
      await ch.bindQueue(aeQueue, ae, '');
      const x = await h.exchange('x-delayed-message', {
        arguments: { 'x-delayed-type': 'direct', 'alternate-exchange': ae },
      });
      const q = await h.queue();
      await ch.bindQueue(q, x, 'bound');
      ch.publish(x, 'bound', Buffer.from('routable'), delayed(100));
      ch.publish(x, 'unbound', Buffer.from('unroutable'), delayed(100));
      await sleep(30);
      assert.equal(await readyCount(ch, aeQueue), 0, 'nothing goes to the alternate exchange at publish');
      await waitFor(() => held(x).delayedCount === 0, 2000, 'release');
      await waitFor(async () => (await readyCount(ch, aeQueue)) === 1, 2000, 'the unroutable one in the AE');
      assert.deepEqual(await drain(ch, aeQueue), ['unroutable']);
      assert.deepEqual(await drain(ch, q), ['routable']);
    });

    test('exchange-to-exchange bindings are followed when due', async () => {
      const ch = await h.channel();
      const x = await h.exchange('x-delayed-message', { arguments: { 'x-delayed-type': 'direct' } });
      // a second delayed exchange downstream: the released x-delay is negative, so it is not held again
      const x2 = await h.exchange('x-delayed-message', { arguments: { 'x-delayed-type': 'fanout' } });
      const q = await h.queue();
      await ch.bindExchange(x2, x, 'k');
      await ch.bindQueue(q, x2, '');
      const got = await arrivals(ch, q);
      const sent = Date.now();
      ch.publish(x, 'k', Buffer.from('m'), delayed(120));
      await waitFor(() => got.length === 1, 2000, 'the message through both exchanges');
      assert.ok((got[0] as Arrival).at - sent >= 120);
      assert.equal(held(x2).delayedCount, 0);
    });

    test('CC and BCC routing keys count when due; BCC is not delivered', async () => {
      const { ch, x, q } = await setup('direct', 'main');
      const cc = await h.queue();
      const bcc = await h.queue();
      await ch.bindQueue(cc, x, 'cc-key');
      await ch.bindQueue(bcc, x, 'bcc-key');
      ch.publish(x, 'main', Buffer.from('m'), delayed(80, { CC: ['cc-key'], BCC: ['bcc-key'] }));
      await waitFor(async () => (await readyCount(ch, bcc)) === 1, 2000, 'the BCC copy');
      for (const queue of [q, cc, bcc]) {
        const m = await ch.get(queue, { noAck: true });
        assert.ok(m, `a copy in ${queue}`);
        assert.equal(m.properties.headers?.['BCC'], undefined);
        assert.deepEqual(m.properties.headers?.['CC'], ['cc-key']);
      }
    });

    test('in a transaction, a delayed publish is held only at commit', async () => {
      const { ch, x, q } = await setup('direct');
      await txSelect(ch);
      ch.publish(x, 'k', Buffer.from('m'), delayed(60));
      await sleep(120);
      assert.equal(held(x).delayedCount, 0, 'not held before commit');
      await txCommit(ch);
      assert.equal(held(x).delayedCount, 1);
      await waitFor(async () => (await readyCount(ch, q)) === 1, 2000, 'the message');
    });

    test('deleting the exchange drops what it holds', async () => {
      const { ch, x, q } = await setup('direct');
      for (let i = 0; i < 5; i++)
        ch.publish(x, 'k', Buffer.from(`m${i}`), delayed(150, { persistent: true }));
      await waitFor(() => held(x)?.delayedCount === 5, 2000, 'five held');
      await ch.deleteExchange(x);
      // a new exchange of the same name does not inherit them
      await ch.assertExchange(x, 'x-delayed-message', {
        durable: false,
        arguments: { 'x-delayed-type': 'direct' },
      });
      await ch.bindQueue(q, x, 'k');
      assert.equal(held(x).delayedCount, 0);
      await sleep(300);
      assert.equal(await readyCount(ch, q), 0);
    });

    test('delayedCount counts held messages as they are released', async () => {
      const { ch, x, q } = await setup('direct');
      for (const d of [50, 100, 2000]) ch.publish(x, 'k', Buffer.from(String(d)), delayed(d));
      await waitFor(() => held(x).delayedCount === 3, 2000, 'three held');
      await waitFor(() => held(x).delayedCount === 1, 2000, 'two released');
      assert.deepEqual(await drain(ch, q), ['50', '100']);
    });

    test('as a dead-letter exchange it holds a rejected message for its x-delay: delayed retries', async () => {
      const { ch, x, q: retry } = await setup('direct', 'work');
      const work = await h.queue({
        arguments: { 'x-dead-letter-exchange': x, 'x-dead-letter-routing-key': 'work' },
      });
      await ch.bindQueue(work, x, 'work');
      ch.sendToQueue(work, Buffer.from('job'), { headers: { 'x-delay': 300 } });
      const m = await getWithin(ch, work, false, 2000);
      const rejectedAt = Date.now();
      ch.reject(m, false);
      await waitFor(() => held(x).delayedCount === 1, 2000, 'held by the delayed DLX');
      assert.equal(await readyCount(ch, work), 0, 'not back at once');
      const again = await getWithin(ch, work, true, 3000);
      assert.ok(Date.now() - rejectedAt >= 250, 'released after its delay');
      const deaths = again.properties.headers?.['x-death'] as unknown as Record<string, unknown>[];
      assert.equal(deaths[0]?.['reason'], 'rejected');
      assert.equal(await readyCount(ch, retry), 1, 'the other bound queue got its copy too');
    });
  });
}

delayedSuite('in memory', {});
delayedSuite('with a data directory', { dataDir });
