/**
 * Queue length limits: x-max-length and x-max-length-bytes with the three x-overflow behaviours.
 * drop-head (the default) drops the oldest ready messages, dead-lettering them with reason maxlen when
 * the queue has a DLX; reject-publish refuses the new message (basic.nack on a confirm channel, silently
 * dropped otherwise); reject-publish-dlx refuses and dead-letters it. Only ready messages count.
 * (queue.test.ts covers x-max-length on redeclare; errors.test.ts the invalid values.)
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Channel, ConfirmChannel, Message, Options } from 'amqplib';
import { Inbox, drain, fill, isClosed, range, readyCount, useBroker } from '../helpers/amqp.js';
import { WAIT_MS, waitFor, withTimeout } from '../helpers/wait.js';

type Outcome = 'ack' | 'nack';

describe('queue length limits', () => {
  const h = useBroker();

  /** Publishes through `exchange` on a confirm channel and reports whether the broker acked or nacked. */
  function publishOutcome(
    ch: ConfirmChannel,
    exchange: string,
    routingKey: string,
    body: string,
    options: Options.Publish = {},
  ): Promise<Outcome> {
    return withTimeout(
      new Promise<Outcome>((resolve) => {
        ch.publish(exchange, routingKey, Buffer.from(body), options, (err: unknown) =>
          resolve(err ? 'nack' : 'ack'),
        );
      }),
      WAIT_MS,
      'a publisher confirm',
    );
  }

  async function outcomes(ch: ConfirmChannel, q: string, bodies: string[]): Promise<Outcome[]> {
    const out: Outcome[] = [];
    for (const b of bodies) out.push(await publishOutcome(ch, '', q, b));
    return out;
  }

  /** A queue with `args` that dead-letters into a fresh queue. */
  async function withDlq(args: Record<string, unknown>): Promise<{ q: string; dlq: string }> {
    const dlq = await h.queue({}, 'dlq');
    const q = await h.queue({
      arguments: { 'x-dead-letter-exchange': '', 'x-dead-letter-routing-key': dlq, ...args },
    });
    return { q, dlq };
  }

  /** Waits for `n` ready messages in `q` and takes them (no-ack). */
  async function takeN(ch: Channel, q: string, n: number): Promise<Message[]> {
    await waitFor(async () => (await readyCount(ch, q)) === n, undefined, `${n} ready messages in ${q}`);
    const out: Message[] = [];
    for (let i = 0; i < n; i++) {
      const m = await ch.get(q, { noAck: true });
      assert.ok(m, `${q} ran dry after ${i}`);
      out.push(m);
    }
    return out;
  }

  function firstDeath(m: Message): Record<string, unknown> {
    const deaths: unknown = m.properties.headers?.['x-death'];
    assert.ok(Array.isArray(deaths) && deaths.length === 1, 'expected exactly one x-death entry');
    return deaths[0] as Record<string, unknown>;
  }

  describe('drop-head (the default)', () => {
    test('the oldest messages go once the queue is over x-max-length', async () => {
      const q = await h.queue({ arguments: { 'x-max-length': 3 } });
      const ch = await h.confirmChannel();
      assert.deepEqual(await outcomes(ch, q, range(5)), ['ack', 'ack', 'ack', 'ack', 'ack']);
      assert.equal(await readyCount(ch, q), 3);
      assert.deepEqual(await drain(ch, q), ['m2', 'm3', 'm4']);
    });

    test('x-overflow drop-head given explicitly behaves the same', async () => {
      const q = await h.queue({ arguments: { 'x-max-length': 1, 'x-overflow': 'drop-head' } });
      const ch = await h.confirmChannel();
      await fill(ch, q, range(3));
      assert.deepEqual(await drain(ch, q), ['m2']);
    });

    test('dropped messages are dead-lettered with reason maxlen, oldest first', async () => {
      const { q, dlq } = await withDlq({ 'x-max-length': 2 });
      const ch = await h.confirmChannel();
      await fill(ch, q, range(5));
      const dead = await takeN(ch, dlq, 3);
      assert.deepEqual(
        dead.map((m) => m.content.toString()),
        ['m0', 'm1', 'm2'],
      );
      for (const m of dead) {
        const d = firstDeath(m);
        assert.equal(d['reason'], 'maxlen');
        assert.equal(d['queue'], q);
        assert.equal(d['count'], 1);
        assert.equal(d['exchange'], '');
        assert.deepEqual(d['routing-keys'], [q]);
      }
      assert.deepEqual(await drain(ch, q), ['m3', 'm4']);
    });

    test('x-max-length-bytes counts body bytes only', async () => {
      const q = await h.queue({ arguments: { 'x-max-length-bytes': 10 } });
      const ch = await h.confirmChannel();
      await fill(ch, q, ['aaaa', 'bbbb', 'cccc']); // 12 bytes: the head goes
      assert.equal(await readyCount(ch, q), 2);
      await fill(ch, q, ['dd']); // exactly 10 bytes: all stay
      assert.equal(await readyCount(ch, q), 3);
      // Properties and headers do not count, however large.
      const big = await h.queue({ arguments: { 'x-max-length-bytes': 10 } });
      await fill(ch, big, ['0123456789'], { headers: { pad: 'x'.repeat(2000) }, messageId: 'id' });
      assert.equal(await readyCount(ch, big), 1);
      assert.deepEqual(await drain(ch, q), ['bbbb', 'cccc', 'dd']);
    });

    test('with both limits, whichever is reached first applies', async () => {
      const byBytes = await h.queue({ arguments: { 'x-max-length': 5, 'x-max-length-bytes': 6 } });
      const byCount = await h.queue({ arguments: { 'x-max-length': 2, 'x-max-length-bytes': 600 } });
      const ch = await h.confirmChannel();
      await fill(ch, byBytes, ['aaa', 'bbb', 'ccc', 'ddd']);
      await fill(ch, byCount, ['aaa', 'bbb', 'ccc', 'ddd']);
      assert.deepEqual(await drain(ch, byBytes), ['ccc', 'ddd']);
      assert.deepEqual(await drain(ch, byCount), ['ccc', 'ddd']);
    });

    test('a requeue that takes the queue over the limit drops from the head: the requeued message', async () => {
      const { q, dlq } = await withDlq({ 'x-max-length': 2 });
      const ch = await h.confirmChannel();
      await fill(ch, q, ['a']);
      const held = await ch.get(q);
      assert.ok(held);
      await fill(ch, q, ['b', 'c']);
      ch.nack(held, false, true);
      const [dead] = await takeN(ch, dlq, 1);
      assert.equal(dead?.content.toString(), 'a');
      assert.equal(firstDeath(dead as Message)['reason'], 'maxlen');
      assert.deepEqual(await drain(ch, q), ['b', 'c']);
    });

    test('x-max-length 0: a waiting consumer still gets the message; without one it is dropped', async () => {
      const { q, dlq } = await withDlq({ 'x-max-length': 0 });
      const ch = await h.confirmChannel();
      await fill(ch, q, ['nobody']);
      assert.equal(await readyCount(ch, q), 0);
      const [dead] = await takeN(ch, dlq, 1);
      assert.equal(dead?.content.toString(), 'nobody');
      assert.equal(firstDeath(dead as Message)['reason'], 'maxlen');

      const inbox = await Inbox.consume(await h.channel(), q, {}, true);
      await fill(ch, q, ['taken']);
      await inbox.atLeast(1);
      assert.deepEqual(inbox.bodies(), ['taken']);
      assert.equal(await readyCount(ch, dlq), 0);
    });

    test('publishes to a full drop-head queue are acked and never returned, even mandatory', async () => {
      const q = await h.queue({ arguments: { 'x-max-length': 1 } });
      const ch = await h.confirmChannel();
      let returned = 0;
      ch.on('return', () => returned++);
      await fill(ch, q, ['a']);
      assert.equal(await publishOutcome(ch, '', q, 'b', { mandatory: true }), 'ack');
      assert.equal(returned, 0);
      assert.deepEqual(await drain(ch, q), ['b']);
    });
  });

  describe('reject-publish', () => {
    test('a confirm channel gets basic.nack for the publish that does not fit; the queue keeps the old ones', async () => {
      const q = await h.queue({ arguments: { 'x-max-length': 2, 'x-overflow': 'reject-publish' } });
      const ch = await h.confirmChannel();
      assert.deepEqual(await outcomes(ch, q, range(4)), ['ack', 'ack', 'nack', 'nack']);
      assert.deepEqual(await drain(ch, q), ['m0', 'm1']);
      // Room again: accepted again.
      assert.deepEqual(await outcomes(ch, q, ['m4']), ['ack']);
      assert.deepEqual(await drain(ch, q), ['m4']);
    });

    test('x-max-length-bytes with reject-publish refuses a message that would pass the byte limit', async () => {
      const q = await h.queue({ arguments: { 'x-max-length-bytes': 10, 'x-overflow': 'reject-publish' } });
      const ch = await h.confirmChannel();
      assert.deepEqual(await outcomes(ch, q, ['aaaa', 'bbbb', 'ccc', 'dd']), ['ack', 'ack', 'nack', 'ack']);
      assert.deepEqual(await drain(ch, q), ['aaaa', 'bbbb', 'dd']);
    });

    test('without confirms the message is dropped silently and the channel stays open', async () => {
      const q = await h.queue({ arguments: { 'x-max-length': 2, 'x-overflow': 'reject-publish' } });
      const ch = await h.channel();
      for (const b of range(4)) ch.sendToQueue(q, Buffer.from(b));
      // A synchronous round trip on the same channel: the publishes before it have been handled.
      await waitFor(async () => (await readyCount(ch, q)) === 2);
      assert.equal(isClosed(ch), false);
      assert.deepEqual(await drain(ch, q), ['m0', 'm1']);
    });

    test('the refused message is not dead-lettered, even with a DLX', async () => {
      const { q, dlq } = await withDlq({ 'x-max-length': 1, 'x-overflow': 'reject-publish' });
      const ch = await h.confirmChannel();
      assert.deepEqual(await outcomes(ch, q, ['a', 'b']), ['ack', 'nack']);
      assert.equal(await readyCount(ch, dlq), 0);
      assert.deepEqual(await drain(ch, q), ['a']);
    });

    test('unacked messages do not count toward the limit', async () => {
      const q = await h.queue({ arguments: { 'x-max-length': 2, 'x-overflow': 'reject-publish' } });
      const ch = await h.confirmChannel();
      await fill(ch, q, ['a', 'b']);
      const a = await ch.get(q);
      const b = await ch.get(q);
      assert.ok(a && b);
      assert.deepEqual(await outcomes(ch, q, ['c', 'd', 'e']), ['ack', 'ack', 'nack']);
      // Requeueing is not refused: the queue holds more than its limit until consumed.
      ch.nack(b, false, true);
      ch.nack(a, false, true);
      await waitFor(async () => (await readyCount(ch, q)) === 4);
      assert.equal(await publishOutcome(ch, '', q, 'f'), 'nack');
      assert.deepEqual(await drain(ch, q), ['a', 'b', 'c', 'd']);
    });

    test('a mandatory publish refused by a full queue is nacked, not returned', async () => {
      const q = await h.queue({ arguments: { 'x-max-length': 1, 'x-overflow': 'reject-publish' } });
      const ch = await h.confirmChannel();
      let returned = 0;
      ch.on('return', () => returned++);
      assert.equal(await publishOutcome(ch, '', q, 'a', { mandatory: true }), 'ack');
      assert.equal(await publishOutcome(ch, '', q, 'b', { mandatory: true }), 'nack');
      assert.equal(returned, 0);
      assert.deepEqual(await drain(ch, q), ['a']);
    });

    test('a publish routed to several queues is nacked when one refuses it, and still reaches the others', async () => {
      const x = await h.exchange('fanout');
      const full = await h.queue({ arguments: { 'x-max-length': 1, 'x-overflow': 'reject-publish' } });
      const open = await h.queue();
      const ch = await h.confirmChannel();
      await ch.bindQueue(full, x, '');
      await ch.bindQueue(open, x, '');
      assert.equal(await publishOutcome(ch, x, '', 'a'), 'ack');
      assert.equal(await publishOutcome(ch, x, '', 'b'), 'nack');
      assert.deepEqual(await drain(ch, full), ['a']);
      assert.deepEqual(await drain(ch, open), ['a', 'b']);
    });

    test('x-max-length 0 refuses every publish, even with a consumer waiting', async () => {
      const q = await h.queue({ arguments: { 'x-max-length': 0, 'x-overflow': 'reject-publish' } });
      const inbox = await Inbox.consume(await h.channel(), q, {}, true);
      const ch = await h.confirmChannel();
      assert.equal(await publishOutcome(ch, '', q, 'a'), 'nack');
      // Anything delivered would have arrived before this round trip through the queue's consumer.
      assert.equal((await ch.checkQueue(q)).consumerCount, 1);
      assert.deepEqual(inbox.bodies(), []);
    });
  });

  describe('reject-publish-dlx', () => {
    test('the publisher gets a nack and the refused message is dead-lettered with reason maxlen', async () => {
      const { q, dlq } = await withDlq({ 'x-max-length': 1, 'x-overflow': 'reject-publish-dlx' });
      const ch = await h.confirmChannel();
      assert.deepEqual(await outcomes(ch, q, ['a', 'b', 'c']), ['ack', 'nack', 'nack']);
      const dead = await takeN(ch, dlq, 2);
      assert.deepEqual(
        dead.map((m) => m.content.toString()),
        ['b', 'c'],
      );
      for (const m of dead) {
        const d = firstDeath(m);
        assert.equal(d['reason'], 'maxlen');
        assert.equal(d['queue'], q);
      }
      assert.deepEqual(await drain(ch, q), ['a']);
    });

    test('without confirms the refused message is still dead-lettered', async () => {
      const { q, dlq } = await withDlq({ 'x-max-length': 1, 'x-overflow': 'reject-publish-dlx' });
      const ch = await h.channel();
      for (const b of ['a', 'b']) ch.sendToQueue(q, Buffer.from(b));
      const [dead] = await takeN(ch, dlq, 1);
      assert.equal(dead?.content.toString(), 'b');
      assert.equal(isClosed(ch), false);
      assert.deepEqual(await drain(ch, q), ['a']);
    });

    test('without a DLX it behaves like reject-publish', async () => {
      const q = await h.queue({ arguments: { 'x-max-length': 1, 'x-overflow': 'reject-publish-dlx' } });
      const ch = await h.confirmChannel();
      assert.deepEqual(await outcomes(ch, q, ['a', 'b']), ['ack', 'nack']);
      assert.deepEqual(await drain(ch, q), ['a']);
    });
  });
});
