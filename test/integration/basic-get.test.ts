/**
 * basic.get: get-ok with message-count, get-empty, acknowledgement modes, and how it shares a queue with
 * consumers.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { uniqueName } from '../helpers/broker.js';
import { Inbox, REPLY, expectReply, fill, range, readyCount, useBroker } from '../helpers/amqp.js';
import { waitFor } from '../helpers/wait.js';

describe('basic.get', () => {
  const h = useBroker();

  test('get-empty on an empty queue (amqplib resolves false)', async () => {
    const q = await h.queue();
    assert.equal(await (await h.channel()).get(q), false);
  });

  test('get-ok carries delivery tag, redelivered, exchange, routing key and the remaining message count', async () => {
    const ch = await h.confirmChannel();
    const x = await h.exchange('direct');
    const q = await h.queue();
    await ch.bindQueue(q, x, 'rk');
    for (const b of range(3)) ch.publish(x, 'rk', Buffer.from(b));
    await ch.waitForConfirms();
    for (let i = 0; i < 3; i++) {
      const m = await ch.get(q, { noAck: true });
      assert.ok(m);
      assert.equal(m.content.toString(), `m${i}`);
      assert.deepEqual(m.fields, {
        deliveryTag: i + 1,
        redelivered: false,
        exchange: x,
        routingKey: 'rk',
        messageCount: 2 - i,
      });
    }
    assert.equal(await ch.get(q), false);
  });

  test('get with ack leaves the message unacked until acked; with no-ack it is gone at once', async () => {
    const ch = await h.confirmChannel();
    const q = await h.queue();
    await fill(ch, q, ['a', 'b']);
    const a = await ch.get(q);
    assert.ok(a);
    assert.equal(await readyCount(ch, q), 1);
    ch.ack(a);
    const b = await ch.get(q, { noAck: true });
    assert.ok(b);
    assert.equal(b.content.toString(), 'b');
    // Closing the channel now requeues nothing: a was acked, b was no-ack.
    await ch.close();
    assert.equal(await readyCount(await h.channel(), q), 0);
  });

  test('an unacked get is requeued, redelivered=true, when its channel closes', async () => {
    const ch = await h.confirmChannel();
    const q = await h.queue();
    await fill(ch, q, ['x']);
    const first = await ch.get(q);
    assert.ok(first);
    assert.equal(first.fields.redelivered, false);
    await ch.close();
    const ch2 = await h.channel();
    await waitFor(async () => (await readyCount(ch2, q)) === 1, undefined, 'the message to be requeued');
    const again = await ch2.get(q, { noAck: true });
    assert.ok(again);
    assert.equal(again.content.toString(), 'x');
    assert.equal(again.fields.redelivered, true);
  });

  test('get and consume share the queue: a consumer with a full window leaves messages for get', async () => {
    const ch = await h.channel();
    const pub = await h.confirmChannel();
    const q = await h.queue();
    await ch.prefetch(1);
    const inbox = await Inbox.consume(ch, q);
    await fill(pub, q, range(3));
    await inbox.atLeast(1);
    const got = await pub.get(q, { noAck: true });
    assert.ok(got);
    assert.equal(got.content.toString(), 'm1');
    assert.equal(got.fields.messageCount, 1);
  });

  test('get from a missing queue is 404', async () => {
    const missing = uniqueName('missing');
    await expectReply(
      (await h.channel()).get(missing),
      REPLY.NOT_FOUND,
      `NOT_FOUND - no queue '${missing}' in vhost '/'`,
    );
  });

  test('delivery tags of gets and deliveries share one sequence per channel', async () => {
    const ch = await h.confirmChannel();
    const q = await h.queue();
    await fill(ch, q, range(2));
    const g = await ch.get(q);
    assert.ok(g);
    const inbox = await Inbox.consume(ch, q);
    const [d] = await inbox.atLeast(1);
    assert.deepEqual([g.fields.deliveryTag, d?.fields.deliveryTag], [1, 2]);
    ch.ack(d as NonNullable<typeof d>, true); // acks both
    await ch.close();
    assert.equal(await readyCount(await h.channel(), q), 0);
  });
});
