/**
 * basic.publish / basic.consume / basic.cancel / basic.deliver / basic.return: consumer tags, delivery
 * fields, ordering, round-robin, exclusive consumers, no-ack, cancel from both sides, mandatory returns.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { uniqueName } from '../helpers/broker.js';
import {
  Inbox,
  REPLY,
  drain,
  expectReply,
  fill,
  publishConfirmed,
  range,
  readyCount,
  useBroker,
} from '../helpers/amqp.js';
import { nextEvent, waitFor } from '../helpers/wait.js';

describe('basic.publish and basic.consume', () => {
  const h = useBroker();

  test('consume without a tag gets amq.ctag- plus 22 url-safe base64 characters', async () => {
    const ch = await h.channel();
    const q = await h.queue();
    const tags = new Set<string>();
    for (let i = 0; i < 5; i++) {
      const { consumerTag } = await ch.consume(q, () => {});
      assert.match(consumerTag, /^amq\.ctag-[A-Za-z0-9_-]{22}$/);
      tags.add(consumerTag);
    }
    assert.equal(tags.size, 5);
    assert.equal((await ch.checkQueue(q)).consumerCount, 5);
  });

  test('a client-chosen consumer tag is echoed in consume-ok and in every delivery', async () => {
    const ch = await h.channel();
    const q = await h.queue();
    const tag = uniqueName('my-tag');
    const inbox = await Inbox.consume(ch, q, { consumerTag: tag });
    assert.equal(inbox.consumerTag, tag);
    ch.sendToQueue(q, Buffer.from('x'));
    const [m] = await inbox.atLeast(1);
    assert.equal(m?.fields.consumerTag, tag);
  });

  test('deliveries carry tag, delivery-tag 1..n, redelivered=false, exchange and routing key, in order', async () => {
    const ch = await h.channel();
    const pub = await h.confirmChannel();
    const x = await h.exchange('direct');
    const q = await h.queue();
    await ch.bindQueue(q, x, 'rk');
    const inbox = await Inbox.consume(ch, q, { noAck: true });
    const bodies = range(200);
    for (const b of bodies) pub.publish(x, 'rk', Buffer.from(b));
    await pub.waitForConfirms();
    const msgs = await inbox.atLeast(200);
    assert.deepEqual(inbox.bodies(), bodies);
    msgs.forEach((m, i) => {
      assert.equal(m.fields.consumerTag, inbox.consumerTag);
      assert.equal(m.fields.deliveryTag, i + 1);
      assert.equal(m.fields.redelivered, false);
      assert.equal(m.fields.exchange, x);
      assert.equal(m.fields.routingKey, 'rk');
    });
  });

  test('messages already queued are delivered on consume, oldest first', async () => {
    const pub = await h.confirmChannel();
    const q = await h.queue();
    await fill(pub, q, range(20));
    const inbox = await Inbox.consume(await h.channel(), q, { noAck: true });
    await inbox.atLeast(20);
    assert.deepEqual(inbox.bodies(), range(20));
  });

  test('consume from a missing queue is 404', async () => {
    const missing = uniqueName('missing');
    await expectReply(
      (await h.channel()).consume(missing, () => {}),
      REPLY.NOT_FOUND,
      `NOT_FOUND - no queue '${missing}' in vhost '/'`,
    );
  });

  test('one queue delivers round-robin across its consumers', async () => {
    const ch = await h.channel();
    const pub = await h.confirmChannel();
    const q = await h.queue();
    const a = await Inbox.consume(ch, q, { noAck: true });
    const b = await Inbox.consume(ch, q, { noAck: true });
    await fill(pub, q, range(10));
    await waitFor(() => a.messages.length + b.messages.length === 10);
    const evens = range(10).filter((_, i) => i % 2 === 0);
    const odds = range(10).filter((_, i) => i % 2 === 1);
    assert.deepEqual([a.bodies(), b.bodies()].sort(), [evens, odds].sort());
  });

  test('consumers on several queues of one channel each get their own queue', async () => {
    const ch = await h.channel();
    const pub = await h.confirmChannel();
    const q1 = await h.queue();
    const q2 = await h.queue();
    const i1 = await Inbox.consume(ch, q1, { noAck: true });
    const i2 = await Inbox.consume(ch, q2, { noAck: true });
    await fill(pub, q1, ['one']);
    await fill(pub, q2, ['two']);
    await i1.atLeast(1);
    await i2.atLeast(1);
    assert.deepEqual([i1.bodies(), i2.bodies()], [['one'], ['two']]);
    assert.equal(i1.messages[0]?.fields.consumerTag, i1.consumerTag);
    assert.equal(i2.messages[0]?.fields.consumerTag, i2.consumerTag);
  });

  test('basic.cancel replies cancel-ok with the tag; the queue then keeps new messages', async () => {
    const ch = await h.channel();
    const pub = await h.confirmChannel();
    const q = await h.queue();
    const inbox = await Inbox.consume(ch, q, { noAck: true });
    await fill(pub, q, ['before']);
    await inbox.atLeast(1);
    assert.deepEqual(await ch.cancel(inbox.consumerTag), { consumerTag: inbox.consumerTag });
    assert.equal((await ch.checkQueue(q)).consumerCount, 0);
    await fill(pub, q, ['after']);
    assert.deepEqual(await drain(pub, q), ['after']);
    assert.deepEqual(inbox.bodies(), ['before']);
  });

  test('cancelling an unknown consumer tag is answered with cancel-ok (RabbitMQ 3.10)', async () => {
    const ch = await h.channel();
    assert.deepEqual(await ch.cancel('no-such-tag'), { consumerTag: 'no-such-tag' });
    await ch.checkExchange('amq.direct'); // channel still open
  });

  test('deleting a consumed queue sends basic.cancel to its consumers (amqplib passes null)', async () => {
    const ch = await h.channel();
    const q = await h.queue();
    const inbox = await Inbox.consume(ch, q);
    const cancelEvent = nextEvent(ch, 'cancel');
    await (await h.channel()).deleteQueue(q);
    const [fields] = (await cancelEvent) as [{ consumerTag: string }];
    assert.equal(fields.consumerTag, inbox.consumerTag);
    assert.equal(inbox.cancelledByServer, true);
    await ch.checkExchange('amq.direct'); // the channel stays open
  });

  test('an exclusive consumer keeps others out (403), and cannot join a consumed queue (403)', async () => {
    const q1 = await h.queue();
    const ch = await h.channel();
    await Inbox.consume(ch, q1, { exclusive: true });
    await expectReply(
      (await h.channel()).consume(q1, () => {}),
      REPLY.ACCESS_REFUSED,
      `ACCESS_REFUSED - queue '${q1}' in vhost '/' in exclusive use`,
    );
    // Also from another connection.
    await expectReply(
      (await h.channel(await h.connect())).consume(q1, () => {}),
      REPLY.ACCESS_REFUSED,
      `ACCESS_REFUSED - queue '${q1}' in vhost '/' in exclusive use`,
    );
    const q2 = await h.queue();
    await Inbox.consume(await h.channel(), q2);
    await expectReply(
      (await h.channel()).consume(q2, () => {}, { exclusive: true }),
      REPLY.ACCESS_REFUSED,
      `ACCESS_REFUSED - queue '${q2}' in vhost '/' in exclusive use`,
    );
  });

  test('once the exclusive consumer cancels, others may consume', async () => {
    const q = await h.queue();
    const ch = await h.channel();
    const excl = await Inbox.consume(ch, q, { exclusive: true });
    await ch.cancel(excl.consumerTag);
    const other = await Inbox.consume(await h.channel(), q);
    assert.match(other.consumerTag, /^amq\.ctag-/);
  });

  test('no-ack deliveries are settled on send: closing the channel requeues nothing', async () => {
    const ch = await h.channel();
    const pub = await h.confirmChannel();
    const q = await h.queue();
    const inbox = await Inbox.consume(ch, q, { noAck: true });
    await fill(pub, q, range(5));
    await inbox.atLeast(5);
    await ch.close();
    assert.equal(await readyCount(pub, q), 0);
  });

  test('mandatory publish with no route comes back as basic.return 312 NO_ROUTE with body and properties', async () => {
    const ch = await h.channel();
    const x = await h.exchange('direct');
    const returned = nextEvent(ch, 'return');
    ch.publish(x, 'unbound-key', Buffer.from('bounce'), {
      mandatory: true,
      messageId: 'id-1',
      headers: { h: 1 },
    });
    const [msg] = (await returned) as [
      {
        content: Buffer;
        fields: Record<string, unknown>;
        properties: { messageId: string; headers: unknown };
      },
    ];
    assert.deepEqual(msg.fields, {
      replyCode: REPLY.NO_ROUTE,
      replyText: 'NO_ROUTE',
      exchange: x,
      routingKey: 'unbound-key',
    });
    assert.equal(msg.content.toString(), 'bounce');
    assert.equal(msg.properties.messageId, 'id-1');
    assert.deepEqual(msg.properties.headers, { h: 1 });
  });

  test('mandatory publish that reaches a queue is not returned; non-mandatory unroutable is dropped silently', async () => {
    const ch = await h.confirmChannel();
    const q = await h.queue();
    let returns = 0;
    ch.on('return', () => returns++);
    await publishConfirmed(ch, '', q, 'routed', { mandatory: true });
    await publishConfirmed(ch, 'amq.direct', uniqueName('unbound'), 'dropped');
    assert.equal(returns, 0);
    assert.deepEqual(await drain(ch, q), ['routed']);
  });

  test('a queue with no consumers keeps messages for a consumer on another connection', async () => {
    const pub = await h.confirmChannel(await h.connect());
    const q = await h.queue();
    await fill(pub, q, ['kept']);
    const inbox = await Inbox.consume(await h.channel(await h.connect()), q, { noAck: true });
    await inbox.atLeast(1);
    assert.deepEqual(inbox.bodies(), ['kept']);
  });
});
