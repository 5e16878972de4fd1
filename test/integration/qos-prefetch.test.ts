/**
 * basic.qos: prefetch windows per consumer (global=false) and per channel (global=true), how acks open a
 * window, and round-robin that skips consumers whose window is full.
 *
 * A window is proven without sleeping: once the consumer has its N messages, the rest of the queue is
 * taken with basic.get. Every message is then accounted for, so the consumer cannot have received more.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Message } from 'amqplib';
import { Inbox, drain, fill, range, useBroker } from '../helpers/amqp.js';
import { waitFor } from '../helpers/wait.js';

describe('basic.qos', () => {
  const h = useBroker();

  async function queueWith(bodies: string[]): Promise<string> {
    const q = await h.queue();
    await fill(await h.confirmChannel(), q, bodies);
    return q;
  }

  test('per-consumer prefetch (global=false) caps unacked deliveries; each ack lets one more through', async () => {
    const q = await queueWith(range(5));
    const ch = await h.channel();
    await ch.prefetch(2);
    const inbox = await Inbox.consume(ch, q);
    await inbox.atLeast(2);
    const other = await h.confirmChannel();
    assert.deepEqual(await drain(other, q), ['m2', 'm3', 'm4']);
    assert.deepEqual(inbox.bodies(), ['m0', 'm1']);

    await fill(other, q, ['m5', 'm6', 'm7']);
    ch.ack(inbox.messages[0] as Message);
    await inbox.atLeast(3);
    assert.deepEqual(await drain(other, q), ['m6', 'm7']);
    assert.deepEqual(inbox.bodies(), ['m0', 'm1', 'm5']);
  });

  test('an ack with multiple opens the window by as many messages', async () => {
    const q = await queueWith(range(6));
    const ch = await h.channel();
    await ch.prefetch(3);
    const inbox = await Inbox.consume(ch, q);
    await inbox.atLeast(3);
    ch.ack(inbox.messages[1] as Message, true); // acks m0 and m1
    await inbox.atLeast(5);
    assert.deepEqual(await drain(await h.channel(), q), ['m5']);
    assert.deepEqual(inbox.bodies(), range(5));
  });

  test('global=false gives every consumer on the channel its own window', async () => {
    const q1 = await queueWith(range(3, 'a'));
    const q2 = await queueWith(range(3, 'b'));
    const ch = await h.channel();
    await ch.prefetch(1, false);
    const i1 = await Inbox.consume(ch, q1);
    const i2 = await Inbox.consume(ch, q2);
    await i1.atLeast(1);
    await i2.atLeast(1);
    const other = await h.channel();
    assert.deepEqual(await drain(other, q1), ['a1', 'a2']);
    assert.deepEqual(await drain(other, q2), ['b1', 'b2']);
    assert.deepEqual([i1.bodies(), i2.bodies()], [['a0'], ['b0']]);
  });

  test('global=true shares one window among all consumers of the channel', async () => {
    const q1 = await queueWith(range(3, 'a'));
    const q2 = await queueWith(range(3, 'b'));
    const ch = await h.channel();
    await ch.prefetch(2, true);
    const i1 = await Inbox.consume(ch, q1);
    const i2 = await Inbox.consume(ch, q2);
    await waitFor(() => i1.messages.length + i2.messages.length >= 2);
    const other = await h.channel();
    const rest = [...(await drain(other, q1)), ...(await drain(other, q2))];
    assert.equal(rest.length, 4);
    assert.equal(i1.messages.length + i2.messages.length, 2);
    // Acking one frees one slot for either consumer.
    await fill(await h.confirmChannel(), q1, ['a3']);
    ch.ack((i1.messages[0] ?? i2.messages[0]) as Message);
    await waitFor(() => i1.messages.length + i2.messages.length === 3);
    assert.deepEqual(await drain(other, q1), []);
  });

  test('a per-consumer and a per-channel limit apply together', async () => {
    const queues = [
      await queueWith(range(2, 'a')),
      await queueWith(range(2, 'b')),
      await queueWith(range(2, 'c')),
      await queueWith(range(2, 'd')),
    ];
    const ch = await h.channel();
    await ch.prefetch(1, false); // each consumer: 1
    await ch.prefetch(3, true); // the channel: 3
    const inboxes: Inbox[] = [];
    for (const q of queues) inboxes.push(await Inbox.consume(ch, q));
    const total = () => inboxes.reduce((n, i) => n + i.messages.length, 0);
    await waitFor(() => total() >= 3);
    const other = await h.channel();
    let rest = 0;
    for (const q of queues) rest += (await drain(other, q)).length;
    assert.equal(rest, 5);
    assert.equal(total(), 3);
    assert.ok(inboxes.every((i) => i.messages.length <= 1));
  });

  test('prefetch 0 means no limit', async () => {
    const q = await queueWith(range(50));
    const ch = await h.channel();
    await ch.prefetch(0);
    const inbox = await Inbox.consume(ch, q);
    await inbox.atLeast(50);
    assert.deepEqual(inbox.bodies(), range(50));
  });

  test('a new global=false prefetch applies to consumers created after it, not to existing ones', async () => {
    const q1 = await queueWith(range(5, 'a'));
    const q2 = await queueWith(range(5, 'b'));
    const ch = await h.channel();
    await ch.prefetch(1);
    const i1 = await Inbox.consume(ch, q1);
    await i1.atLeast(1);
    await ch.prefetch(3);
    const i2 = await Inbox.consume(ch, q2);
    await i2.atLeast(3);
    const other = await h.channel();
    assert.equal((await drain(other, q1)).length, 4);
    assert.equal((await drain(other, q2)).length, 2);
    assert.deepEqual([i1.messages.length, i2.messages.length], [1, 3]);
  });

  test('raising the channel-wide prefetch lets waiting messages through', async () => {
    const q = await queueWith(range(4));
    const ch = await h.channel();
    await ch.prefetch(1, true);
    const inbox = await Inbox.consume(ch, q);
    await inbox.atLeast(1);
    await ch.prefetch(3, true);
    await inbox.atLeast(3);
    assert.deepEqual(await drain(await h.channel(), q), ['m3']);
    assert.deepEqual(inbox.bodies(), range(3));
  });

  test('round-robin skips a consumer whose window is full', async () => {
    const q = await h.queue();
    const stuckCh = await h.channel();
    const busyCh = await h.channel();
    await stuckCh.prefetch(1);
    await busyCh.prefetch(1);
    const stuck = await Inbox.consume(stuckCh, q); // never acks
    const busy = await Inbox.consume(busyCh, q, {}, true); // acks each delivery at once
    await fill(await h.confirmChannel(), q, range(10));
    await waitFor(() => stuck.messages.length + busy.messages.length === 10);
    assert.equal(stuck.messages.length, 1);
    assert.equal(busy.messages.length, 9);
  });
});
