/**
 * Consumer priorities (x-priority on basic.consume): the highest-priority consumers get the messages
 * while they have credit; lower ones only while every higher one is blocked by its prefetch window;
 * consumers of equal priority share round-robin. Without the argument a consumer has priority 0.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Channel, ConsumeMessage } from 'amqplib';
import { Inbox, REPLY, expectReply, fill, range, readyCount, useBroker } from '../helpers/amqp.js';
import { waitFor } from '../helpers/wait.js';

describe('consumer priorities', () => {
  const h = useBroker();

  /** A consumer on its own channel; prefetch 0 means unlimited (and then it acks at once). */
  async function consumer(
    q: string,
    priority: number | undefined,
    prefetch = 0,
  ): Promise<{ ch: Channel; inbox: Inbox }> {
    const ch = await h.channel();
    if (prefetch > 0) await ch.prefetch(prefetch);
    const options = priority === undefined ? {} : { arguments: { 'x-priority': priority } };
    return { ch, inbox: await Inbox.consume(ch, q, options, prefetch === 0) };
  }

  /** Publishes `bodies` and waits until the consumers got that many more deliveries between them. */
  async function publishAndWait(q: string, bodies: string[], inboxes: Inbox[]): Promise<void> {
    const total = (): number => inboxes.reduce((n, i) => n + i.messages.length, 0);
    const before = total();
    await fill(await h.confirmChannel(), q, bodies);
    await waitFor(() => total() >= before + bodies.length, undefined, `${bodies.length} deliveries`);
  }

  test('the highest-priority consumer gets every message while it has credit', async () => {
    const q = await h.queue();
    const low = await consumer(q, 1);
    const high = await consumer(q, 10);
    const none = await consumer(q, undefined);
    await publishAndWait(q, range(6), [low.inbox, high.inbox, none.inbox]);
    assert.deepEqual(high.inbox.bodies(), range(6));
    assert.deepEqual(low.inbox.bodies(), []);
    assert.deepEqual(none.inbox.bodies(), []);
  });

  test('lower priorities get messages only while every higher consumer is blocked by its prefetch', async () => {
    const q = await h.queue();
    const high = await consumer(q, 10, 2);
    const mid = await consumer(q, 5, 1);
    const low = await consumer(q, 0);
    await publishAndWait(q, range(6), [high.inbox, mid.inbox, low.inbox]);
    assert.deepEqual(high.inbox.bodies(), ['m0', 'm1']);
    assert.deepEqual(mid.inbox.bodies(), ['m2']);
    assert.deepEqual(low.inbox.bodies(), ['m3', 'm4', 'm5']);
    // Credit again: the higher ones are served first once more.
    high.ch.ack(high.inbox.messages[1] as ConsumeMessage, true);
    mid.ch.ack(mid.inbox.messages[0] as ConsumeMessage);
    await publishAndWait(q, ['n0', 'n1', 'n2', 'n3'], [high.inbox, mid.inbox, low.inbox]);
    assert.deepEqual(high.inbox.bodies(), ['m0', 'm1', 'n0', 'n1']);
    assert.deepEqual(mid.inbox.bodies(), ['m2', 'n2']);
    assert.deepEqual(low.inbox.bodies(), ['m3', 'm4', 'm5', 'n3']);
  });

  test('consumers of equal priority share round-robin; lower ones get nothing', async () => {
    const q = await h.queue();
    const a = await consumer(q, 5);
    const b = await consumer(q, 5);
    const low = await consumer(q, 4);
    await publishAndWait(q, range(6), [a.inbox, b.inbox, low.inbox]);
    assert.deepEqual(a.inbox.bodies(), ['m0', 'm2', 'm4']);
    assert.deepEqual(b.inbox.bodies(), ['m1', 'm3', 'm5']);
    assert.deepEqual(low.inbox.bodies(), []);
  });

  test('negative priorities rank below consumers without the argument (priority 0)', async () => {
    const q = await h.queue();
    const negative = await consumer(q, -5);
    const plain = await consumer(q, undefined);
    await publishAndWait(q, range(3), [negative.inbox, plain.inbox]);
    assert.deepEqual(plain.inbox.bodies(), range(3));
    assert.deepEqual(negative.inbox.bodies(), []);
  });

  test('when the high-priority consumer cancels, the lower one gets the backlog', async () => {
    const q = await h.queue();
    const high = await consumer(q, 10, 1);
    const low = await consumer(q, 0, 5);
    const ch = await h.confirmChannel();
    // Fill the low one's window first so that a backlog builds up behind both.
    await fill(ch, q, range(8));
    await high.inbox.atLeast(1);
    await low.inbox.atLeast(5);
    await waitFor(async () => (await readyCount(ch, q)) === 2);
    await high.ch.cancel(high.inbox.consumerTag);
    low.ch.ack(low.inbox.messages[4] as ConsumeMessage, true);
    await low.inbox.atLeast(7);
    assert.deepEqual(low.inbox.bodies(), ['m1', 'm2', 'm3', 'm4', 'm5', 'm6', 'm7']);
  });

  test('x-priority must be an integer', async () => {
    const q = await h.queue();
    await expectReply(
      (await h.channel()).consume(q, () => {}, { arguments: { 'x-priority': 'high' } }),
      REPLY.PRECONDITION_FAILED,
      `PRECONDITION_FAILED - invalid arg 'x-priority' for queue '${q}' in vhost '/': "expected integer, got longstr"`,
    );
  });
});
