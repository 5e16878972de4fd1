/**
 * Message TTL: x-message-ttl on the queue, the per-message `expiration` property, the lower of both
 * winning, expired messages never delivered (basic.get and basic.consume) nor counted, TTL 0 meaning
 * "deliver now or never", requeued messages keeping their original expiry, and expiry while the only
 * consumer has no credit.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import type { ConsumeMessage, Message } from 'amqplib';
import { Inbox, drain, fill, range, readyCount, useBroker } from '../helpers/amqp.js';
import { waitFor } from '../helpers/wait.js';

describe('message TTL', () => {
  const h = useBroker();

  /** Waits until `q` reports `n` ready messages (a passive declare per poll). */
  async function untilReady(q: string, n: number, ms?: number): Promise<void> {
    const ch = await h.channel();
    await waitFor(async () => (await readyCount(ch, q)) === n, ms, `${n} ready messages in ${q}`);
    await ch.close();
  }

  /** A queue that dead-letters into a fresh queue; returns both names. */
  async function withDeadLetterQueue(args: Record<string, unknown>): Promise<{ q: string; dlq: string }> {
    const dlq = await h.queue({}, 'dlq');
    const q = await h.queue({
      arguments: { 'x-dead-letter-exchange': '', 'x-dead-letter-routing-key': dlq, ...args },
    });
    return { q, dlq };
  }

  function xDeath(m: Message): Array<Record<string, unknown>> {
    const deaths: unknown = m.properties.headers?.['x-death'];
    assert.ok(Array.isArray(deaths), 'x-death header missing');
    return deaths as Array<Record<string, unknown>>;
  }

  test('x-message-ttl: expired messages leave message_count and basic.get finds nothing', async () => {
    const q = await h.queue({ arguments: { 'x-message-ttl': 400 } });
    const ch = await h.confirmChannel();
    await fill(ch, q, range(3));
    assert.equal(await readyCount(ch, q), 3, 'the messages expired early');
    await untilReady(q, 0);
    assert.equal(await ch.get(q, { noAck: true }), false);
  });

  test('per-message expiration: only that message expires; the property is delivered as sent', async () => {
    const q = await h.queue();
    const ch = await h.confirmChannel();
    await fill(ch, q, ['short'], { expiration: '100' });
    await fill(ch, q, ['long'], { expiration: '60000' });
    await fill(ch, q, ['forever']);
    await untilReady(q, 2);
    const long = await ch.get(q, { noAck: true });
    assert.ok(long);
    assert.equal(long.content.toString(), 'long');
    assert.equal(long.properties.expiration, '60000');
    assert.deepEqual(await drain(ch, q), ['forever']);
  });

  test('the lower of x-message-ttl and expiration wins', async () => {
    const ch = await h.confirmChannel();
    // Queue TTL lower than the message's expiration.
    const shortQueue = await h.queue({ arguments: { 'x-message-ttl': 100 } });
    await fill(ch, shortQueue, ['a'], { expiration: '60000' });
    // Message expiration lower than the queue TTL; a message without expiration stays.
    const longQueue = await h.queue({ arguments: { 'x-message-ttl': 60000 } });
    await fill(ch, longQueue, ['b'], { expiration: '100' });
    await fill(ch, longQueue, ['c']);
    await untilReady(shortQueue, 0);
    await untilReady(longQueue, 1);
    assert.deepEqual(await drain(ch, longQueue), ['c']);
  });

  test('basic.get skips an expired message that still sits behind an unexpired head', async () => {
    const q = await h.queue();
    const ch = await h.confirmChannel();
    await fill(ch, q, ['head']);
    await fill(ch, q, ['expired'], { expiration: '50' });
    await fill(ch, q, ['tail']);
    await delay(150);
    assert.deepEqual(await drain(ch, q), ['head', 'tail']);
    assert.equal(await readyCount(ch, q), 0);
  });

  test('a consumer is never handed an expired message', async () => {
    const q = await h.queue();
    const ch = await h.confirmChannel();
    await fill(ch, q, ['head']);
    await fill(ch, q, ['expired'], { expiration: '50' });
    await fill(ch, q, ['tail']);
    await fill(ch, q, ['expired-tail'], { expiration: '50' });
    await delay(150);
    const inbox = await Inbox.consume(await h.channel(), q, {}, true);
    await inbox.atLeast(2);
    // A third delivery would have arrived by the time a fresh message does.
    await fill(ch, q, ['marker']);
    await inbox.atLeast(3);
    assert.deepEqual(inbox.bodies(), ['head', 'tail', 'marker']);
  });

  test('TTL 0: delivered when a consumer can take the message at once', async () => {
    const q = await h.queue({ arguments: { 'x-message-ttl': 0 } });
    const plain = await h.queue();
    const inQ = await Inbox.consume(await h.channel(), q, {}, true);
    const inPlain = await Inbox.consume(await h.channel(), plain, {}, true);
    const ch = await h.confirmChannel();
    await fill(ch, q, range(3));
    await fill(ch, plain, range(3), { expiration: '0' });
    await inQ.atLeast(3);
    await inPlain.atLeast(3);
    assert.deepEqual(inQ.bodies(), range(3));
    assert.deepEqual(inPlain.bodies(), range(3));
  });

  test('TTL 0 without a consumer: dropped at once, or dead-lettered with reason expired', async () => {
    const ch = await h.confirmChannel();
    const noDlx = await h.queue({ arguments: { 'x-message-ttl': 0 } });
    await fill(ch, noDlx, ['gone']);
    assert.equal(await readyCount(ch, noDlx), 0);

    const { q, dlq } = await withDeadLetterQueue({ 'x-message-ttl': 0 });
    await fill(ch, q, ['queue-ttl']);
    const plain = await withDeadLetterQueue({});
    await fill(ch, plain.q, ['expiration-0'], { expiration: '0' });
    assert.equal(await readyCount(ch, q), 0);
    assert.equal(await readyCount(ch, plain.q), 0);

    await untilReady(dlq, 1);
    await untilReady(plain.dlq, 1);
    const a = await ch.get(dlq, { noAck: true });
    const b = await ch.get(plain.dlq, { noAck: true });
    assert.ok(a && b);
    assert.equal(a.content.toString(), 'queue-ttl');
    assert.equal(xDeath(a)[0]?.['reason'], 'expired');
    assert.equal(b.content.toString(), 'expiration-0');
    assert.equal(xDeath(b)[0]?.['reason'], 'expired');
    assert.equal(xDeath(b)[0]?.['original-expiration'], '0');
  });

  test('TTL 0 with a consumer that has no credit: the message is dropped, not kept for later', async () => {
    const q = await h.queue({ arguments: { 'x-message-ttl': 0 } });
    const consumerCh = await h.channel();
    await consumerCh.prefetch(1);
    const inbox = await Inbox.consume(consumerCh, q);
    const ch = await h.confirmChannel();
    await fill(ch, q, ['taken']);
    const [first] = await inbox.atLeast(1);
    await fill(ch, q, ['dropped']);
    assert.equal(await readyCount(ch, q), 0);
    consumerCh.ack(first as ConsumeMessage);
    await fill(ch, q, ['next']);
    await inbox.atLeast(2);
    assert.deepEqual(inbox.bodies(), ['taken', 'next']);
  });

  test('a message requeued after its expiry is dropped; one still valid comes back redelivered', async () => {
    const q = await h.queue();
    const ch = await h.confirmChannel();
    await fill(ch, q, ['short'], { expiration: '200' });
    await fill(ch, q, ['long'], { expiration: '60000' });
    const short = await ch.get(q);
    const long = await ch.get(q);
    assert.ok(short && long);
    await delay(300);
    ch.nack(short, false, true);
    ch.nack(long, false, true);
    await untilReady(q, 1);
    const again = await ch.get(q, { noAck: true });
    assert.ok(again);
    assert.deepEqual([again.content.toString(), again.fields.redelivered], ['long', true]);
    assert.equal(await ch.get(q, { noAck: true }), false);
  });

  test('x-message-ttl counts from the first enqueue: a message returned by a closed channel keeps its expiry', async () => {
    const q = await h.queue({ arguments: { 'x-message-ttl': 200 } });
    await fill(await h.confirmChannel(), q, ['held']);
    const holder = await h.channel();
    const held = await holder.get(q);
    assert.ok(held);
    await delay(300);
    await holder.close();
    // The requeued message is past its expiry: nobody gets it.
    const observer = await h.channel();
    assert.equal(await readyCount(observer, q), 0);
    assert.equal(await observer.get(q, { noAck: true }), false);
  });

  test('a message requeued before its expiry comes back, then still expires (dead-lettered as expired)', async () => {
    const { q, dlq } = await withDeadLetterQueue({ 'x-message-ttl': 300 });
    const ch = await h.confirmChannel();
    await fill(ch, q, ['m']);
    const m = await ch.get(q);
    assert.ok(m);
    ch.nack(m, false, true);
    await untilReady(dlq, 1);
    assert.equal(await readyCount(ch, q), 0);
    const dead = await ch.get(dlq, { noAck: true });
    assert.ok(dead);
    assert.equal(dead.content.toString(), 'm');
    assert.equal(xDeath(dead)[0]?.['reason'], 'expired');
  });

  test('messages expire while the only consumer has no credit', async () => {
    const q = await h.queue({ arguments: { 'x-message-ttl': 200 } });
    const consumerCh = await h.channel();
    await consumerCh.prefetch(1);
    const inbox = await Inbox.consume(consumerCh, q);
    await fill(await h.confirmChannel(), q, range(3));
    const [m0] = await inbox.atLeast(1);
    await untilReady(q, 0);
    consumerCh.ack(m0 as ConsumeMessage);
    await fill(await h.confirmChannel(), q, ['after']);
    await inbox.atLeast(2);
    assert.deepEqual(inbox.bodies(), ['m0', 'after']);
  });

  test('Warren: an expired message behind a long-lived head stops counting within about a second', async (t) => {
    if (h.broker.external) {
      // RabbitMQ only drops expired messages from the head of a classic queue: this one lingers in
      // message_count until everything in front of it is gone. Warren promises ~1 s.
      t.skip('RabbitMQ keeps counting an expired message that is not at the head');
      return;
    }
    const q = await h.queue();
    const ch = await h.confirmChannel();
    await fill(ch, q, ['head']);
    await fill(ch, q, ['expired'], { expiration: '300' });
    assert.equal(await readyCount(ch, q), 2, 'the message expired early');
    // Expiry at 300 ms, plus Warren's promise of about a second, plus slack for a loaded machine.
    await untilReady(q, 1, 2500);
    assert.deepEqual(await drain(ch, q), ['head']);
  });
});
