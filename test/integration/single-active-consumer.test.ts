/**
 * Single active consumer (x-single-active-consumer): only the first registered consumer gets messages,
 * even when its prefetch window is full; when it cancels or its channel closes, the next consumer in
 * registration order takes over, and what the old one had unacked is redelivered to it once returned.
 * Exclusive basic.consume is refused on such a queue; the argument must be a boolean.
 *
 * RabbitMQ (3.10 to 3.13) does not deliver to the new active consumer at the moment of a basic.cancel,
 * only at the queue's next event (a publish, an ack, a requeue). The tests publish after a cancel, so
 * they hold whether the takeover delivers at once or at the next publish.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Channel, ConsumeMessage } from 'amqplib';
import { uniqueName } from '../helpers/broker.js';
import {
  Inbox,
  REPLY,
  closedWithError,
  assertReply,
  expectReply,
  fill,
  readyCount,
  useBroker,
} from '../helpers/amqp.js';
import { waitFor } from '../helpers/wait.js';

describe('single active consumer', () => {
  const h = useBroker();

  async function sacQueue(): Promise<string> {
    return h.queue({ arguments: { 'x-single-active-consumer': true } }, 'q-sac');
  }

  /** A consumer on its own channel; prefetch 0 means unlimited. */
  async function consumer(q: string, prefetch = 0, autoAck = true): Promise<{ ch: Channel; inbox: Inbox }> {
    const ch = await h.channel();
    if (prefetch > 0) await ch.prefetch(prefetch);
    return { ch, inbox: await Inbox.consume(ch, q, {}, autoAck) };
  }

  const marked = (m: ConsumeMessage): string => `${m.content.toString()}${m.fields.redelivered ? '*' : ''}`;

  /** Publishes `bodies` and then a marker that `last` must receive: everything before it has been placed. */
  async function publishThrough(
    q: string,
    bodies: string[],
    last: Inbox,
    marker = uniqueName('mark'),
  ): Promise<void> {
    const ch = await h.confirmChannel();
    await fill(ch, q, [...bodies, marker]);
    await waitFor(() => last.bodies().includes(marker), undefined, `the marker at ${last.consumerTag}`);
  }

  test('only the first consumer gets messages; the others wait but are counted', async () => {
    const q = await sacQueue();
    const a = await consumer(q);
    const b = await consumer(q);
    const c = await consumer(q);
    assert.equal((await (await h.channel()).checkQueue(q)).consumerCount, 3);
    await publishThrough(q, ['m0', 'm1', 'm2', 'm3'], a.inbox, 'end');
    assert.deepEqual(a.inbox.bodies(), ['m0', 'm1', 'm2', 'm3', 'end']);
    assert.deepEqual(b.inbox.bodies(), []);
    assert.deepEqual(c.inbox.bodies(), []);
  });

  test('a waiting consumer gets nothing even while the active one has no credit', async () => {
    const q = await sacQueue();
    const a = await consumer(q, 1, false);
    const b = await consumer(q);
    const ch = await h.confirmChannel();
    await fill(ch, q, ['m0', 'm1']);
    await a.inbox.atLeast(1);
    await waitFor(async () => (await readyCount(ch, q)) === 1);
    assert.deepEqual(b.inbox.bodies(), []);
    a.ch.ack(a.inbox.messages[0] as ConsumeMessage);
    await a.inbox.atLeast(2);
    assert.deepEqual(a.inbox.bodies(), ['m0', 'm1']);
    assert.deepEqual(b.inbox.bodies(), []);
  });

  test('when the active consumer cancels, the next in registration order takes over', async () => {
    const q = await sacQueue();
    const a = await consumer(q);
    const b = await consumer(q);
    const c = await consumer(q);
    await publishThrough(q, ['m0'], a.inbox);
    await a.ch.cancel(a.inbox.consumerTag);
    await publishThrough(q, ['m1', 'm2'], b.inbox);
    assert.deepEqual(b.inbox.bodies().slice(0, 2), ['m1', 'm2']);
    await b.ch.cancel(b.inbox.consumerTag);
    await publishThrough(q, ['m3'], c.inbox);
    assert.deepEqual(c.inbox.bodies().slice(0, 1), ['m3']);
    assert.equal(a.inbox.messages.length, 2);
    assert.equal(b.inbox.messages.length, 3);
    assert.equal((await (await h.channel()).checkQueue(q)).consumerCount, 1);
  });

  test("when the active consumer's channel closes, the next one gets its unacked messages, redelivered, first", async () => {
    const q = await sacQueue();
    const a = await consumer(q, 2, false);
    const b = await consumer(q);
    const ch = await h.confirmChannel();
    await fill(ch, q, ['m0', 'm1', 'm2', 'm3']);
    await a.inbox.atLeast(2);
    assert.deepEqual(a.inbox.bodies(), ['m0', 'm1']);
    await a.ch.close();
    await b.inbox.atLeast(4);
    assert.deepEqual(b.inbox.messages.map(marked), ['m0*', 'm1*', 'm2', 'm3']);
  });

  test('a cancelled active consumer keeps its unacked messages; once nacked they go to the new active one', async () => {
    const q = await sacQueue();
    const a = await consumer(q, 2, false);
    const b = await consumer(q);
    const ch = await h.confirmChannel();
    await fill(ch, q, ['m0', 'm1']);
    await a.inbox.atLeast(2);
    await a.ch.cancel(a.inbox.consumerTag);
    await publishThrough(q, ['m2'], b.inbox, 'm3');
    assert.deepEqual(b.inbox.messages.map(marked), ['m2', 'm3']);
    // The cancelled consumer's deliveries are still its channel's to settle.
    a.ch.nack(a.inbox.messages[1] as ConsumeMessage, true, true);
    await b.inbox.atLeast(4);
    assert.deepEqual(b.inbox.messages.map(marked), ['m2', 'm3', 'm0*', 'm1*']);
    assert.equal(a.inbox.messages.length, 2);
  });

  test('Warren: cancelling the active consumer while its prefetch window holds messages back', async (t) => {
    if (h.broker.external) {
      // RabbitMQ 3.10 (and 3.13 has the same code) loses track of its consumers here: after the
      // cancel the queue reports 0 consumers, and the waiting message and later publishes vanish
      // (neither ready nor unacked) until a new consumer registers. Warren must not copy that.
      t.skip('RabbitMQ bug: a blocked active consumer cancelled with messages waiting');
      return;
    }
    const q = await sacQueue();
    const a = await consumer(q, 1, false);
    const b = await consumer(q);
    const ch = await h.confirmChannel();
    await fill(ch, q, ['m0', 'm1']);
    await a.inbox.atLeast(1);
    await waitFor(async () => (await readyCount(ch, q)) === 1);
    await a.ch.cancel(a.inbox.consumerTag);
    await publishThrough(q, [], b.inbox, 'm2');
    assert.deepEqual(b.inbox.messages.map(marked), ['m1', 'm2']);
    a.ch.nack(a.inbox.messages[0] as ConsumeMessage, false, true);
    await b.inbox.atLeast(3);
    assert.deepEqual(b.inbox.messages.map(marked), ['m1', 'm2', 'm0*']);
    assert.equal((await ch.checkQueue(q)).consumerCount, 1);
  });

  test('a consumer registering after the active one left becomes active at once', async () => {
    const q = await sacQueue();
    const a = await consumer(q);
    await publishThrough(q, ['m0'], a.inbox);
    await a.ch.cancel(a.inbox.consumerTag);
    await fill(await h.confirmChannel(), q, ['m1', 'm2']);
    const b = await consumer(q);
    await b.inbox.atLeast(2);
    assert.deepEqual(b.inbox.bodies(), ['m1', 'm2']);
  });

  test('exclusive basic.consume is refused with 403, even when the queue has no consumer', async () => {
    const q = await sacQueue();
    const text = `ACCESS_REFUSED - queue '${q}' in vhost '/' in exclusive use`;
    const first = await h.channel();
    await expectReply(
      first.consume(q, () => {}, { exclusive: true }),
      REPLY.ACCESS_REFUSED,
      text,
    );
    assertReply(await closedWithError(first), REPLY.ACCESS_REFUSED, text);
    await consumer(q);
    await expectReply(
      (await h.channel()).consume(q, () => {}, { exclusive: true }),
      REPLY.ACCESS_REFUSED,
      text,
    );
  });

  test('x-single-active-consumer must be a boolean; false means ordinary round-robin', async () => {
    for (const [value, type] of [
      ['yes', 'longstr'],
      [1, 'byte'],
    ] as const) {
      const name = uniqueName('q-badsac');
      h.deleteAfter('queue', name);
      await expectReply(
        (await h.channel()).assertQueue(name, {
          durable: false,
          arguments: { 'x-single-active-consumer': value },
        }),
        REPLY.PRECONDITION_FAILED,
        `PRECONDITION_FAILED - invalid arg 'x-single-active-consumer' for queue '${name}' in vhost '/': {unacceptable_type,${type}}`,
      );
    }
    const q = await h.queue({ arguments: { 'x-single-active-consumer': false } });
    const a = await consumer(q);
    const b = await consumer(q);
    await fill(await h.confirmChannel(), q, ['m0', 'm1', 'm2', 'm3']);
    await waitFor(() => a.inbox.messages.length + b.inbox.messages.length === 4);
    assert.deepEqual(a.inbox.bodies(), ['m0', 'm2']);
    assert.deepEqual(b.inbox.bodies(), ['m1', 'm3']);
  });
});
