/**
 * Direct reply-to (`amq.rabbitmq.reply-to`): the RPC round trip without a reply queue, the rewritten
 * reply_to address, and RabbitMQ's restrictions and quirks around it (every assertion here was first
 * checked against RabbitMQ, and the file passes against it with WARREN_TEST_URL).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Channel, ConsumeMessage, Message } from 'amqplib';
import {
  REPLY,
  assertReply,
  closedWithError,
  expectReply,
  publishConfirmed,
  useBroker,
} from '../helpers/amqp.js';
import { nextEvent, waitFor } from '../helpers/wait.js';

const RT = 'amq.rabbitmq.reply-to';

/** A basic.return as amqplib emits it. */
interface Returned {
  content: Buffer;
  fields: { replyCode: number; replyText: string; exchange: string; routingKey: string };
}

describe('direct reply-to', () => {
  const h = useBroker();

  /** A client channel consuming its replies, with everything that arrived. */
  async function replyConsumer(
    ch?: Channel,
  ): Promise<{ ch: Channel; tag: string; replies: ConsumeMessage[] }> {
    const channel = ch ?? (await h.channel());
    const replies: ConsumeMessage[] = [];
    const ok = await channel.consume(RT, (m) => m && replies.push(m), { noAck: true });
    return { ch: channel, tag: ok.consumerTag, replies };
  }

  /** Sends a request with reply_to amq.rabbitmq.reply-to and returns the reply_to the server saw. */
  async function addressOf(client: Channel): Promise<string> {
    const server = await h.channel(await h.connect());
    const q = (await server.assertQueue('', { exclusive: true })).queue;
    client.sendToQueue(q, Buffer.from('request'), { replyTo: RT });
    let request: Message | false = false;
    await waitFor(async () => {
      request = await server.get(q, { noAck: true });
      return request !== false;
    });
    const replyTo: unknown = request ? (request as Message).properties.replyTo : undefined;
    assert.ok(typeof replyTo === 'string', 'the request carries a reply_to');
    await server.close();
    return replyTo;
  }

  test('RPC round trip: reply_to is rewritten and the reply goes straight to the consumer', async () => {
    const client = await replyConsumer();
    const server = await h.confirmChannel(await h.connect());
    const rpcQueue = (await server.assertQueue('', { exclusive: true })).queue;
    const requests: ConsumeMessage[] = [];
    await server.consume(rpcQueue, (m) => m && requests.push(m), { noAck: true });

    for (const id of ['c1', 'c2', 'c3']) {
      client.ch.sendToQueue(rpcQueue, Buffer.from(`question ${id}`), { replyTo: RT, correlationId: id });
    }
    await waitFor(() => requests.length === 3);
    const address = requests[0]?.properties.replyTo as string;
    assert.ok(address.startsWith(`${RT}.`), `reply_to was rewritten to ${address}`);
    assert.ok(address.length > RT.length + 16, 'the address carries an unguessable token');
    for (const r of requests) {
      assert.equal(r.properties.replyTo, address, 'one address per reply consumer');
      await publishConfirmed(server, '', address, `answer ${String(r.properties.correlationId)}`, {
        correlationId: r.properties.correlationId as string,
      });
    }
    await waitFor(() => client.replies.length === 3);
    assert.deepEqual(
      client.replies.map((m) => [m.content.toString(), m.properties.correlationId]),
      [
        ['answer c1', 'c1'],
        ['answer c2', 'c2'],
        ['answer c3', 'c3'],
      ],
    );
    const first = client.replies[0] as ConsumeMessage;
    assert.equal(first.fields.consumerTag, client.tag);
    assert.equal(first.fields.exchange, '');
    assert.equal(first.fields.routingKey, address);
    assert.equal(first.fields.redelivered, false);
  });

  test('the reply consumer must be no-ack', async () => {
    const ch = await h.channel();
    await expectReply(
      ch.consume(RT, () => {}, { noAck: false }),
      REPLY.PRECONDITION_FAILED,
      'PRECONDITION_FAILED - reply consumer cannot acknowledge',
    );
  });

  test('a second reply consumer on the same channel is refused; another channel may have its own', async () => {
    const { ch } = await replyConsumer();
    const other = await replyConsumer();
    assert.notEqual(await addressOf(ch), await addressOf(other.ch));
    await expectReply(
      ch.consume(RT, () => {}, { noAck: true }),
      REPLY.PRECONDITION_FAILED,
      'PRECONDITION_FAILED - reply consumer already set',
    );
  });

  test('reusing an ordinary consumer tag for the reply consumer closes the connection with 530', async () => {
    const conn = await h.connect();
    const ch = await h.channel(conn);
    const q = (await ch.assertQueue('', { exclusive: true })).queue;
    await ch.consume(q, () => {}, { consumerTag: 'taken' });
    await ch.consume(RT, () => {}, { noAck: true, consumerTag: 'taken' }).catch(() => {});
    assertReply(
      await closedWithError(conn),
      REPLY.NOT_ALLOWED,
      "NOT_ALLOWED - attempt to reuse consumer tag 'taken'",
    );
  });

  test('publishing with reply_to amq.rabbitmq.reply-to needs a reply consumer on that channel', async () => {
    const ch = await h.channel();
    const q = (await ch.assertQueue('', { exclusive: true })).queue;
    ch.sendToQueue(q, Buffer.from('request'), { replyTo: RT });
    assertReply(
      await closedWithError(ch),
      REPLY.PRECONDITION_FAILED,
      'PRECONDITION_FAILED - fast reply consumer does not exist',
    );
  });

  test('queue.declare of amq.rabbitmq.reply-to and of a live address answers 0 messages, 1 consumer', async () => {
    const client = await replyConsumer();
    const address = await addressOf(client.ch);
    const ch = await h.channel(await h.connect());
    assert.deepEqual(await ch.checkQueue(RT), { queue: RT, messageCount: 0, consumerCount: 1 });
    assert.deepEqual(await ch.checkQueue(address), { queue: address, messageCount: 0, consumerCount: 1 });
    // Not passive, any flags: RabbitMQ treats every declare of these names as passive.
    assert.deepEqual(await ch.assertQueue(RT, { durable: true }), {
      queue: RT,
      messageCount: 0,
      consumerCount: 1,
    });
    assert.deepEqual(await ch.assertQueue(address, { exclusive: true }), {
      queue: address,
      messageCount: 0,
      consumerCount: 1,
    });
    await expectReply(ch.checkQueue(`${RT}x`), REPLY.NOT_FOUND, `NOT_FOUND - no queue '${RT}x' in vhost '/'`);
  });

  test('basic.get and basic.consume cannot use the pseudo-queue or an address as a queue', async () => {
    const client = await replyConsumer();
    const address = await addressOf(client.ch);
    await expectReply(
      (await h.channel()).get(RT),
      REPLY.NOT_FOUND,
      `NOT_FOUND - no queue '${RT}' in vhost '/'`,
    );
    await expectReply(
      (await h.channel()).consume(address, () => {}, { noAck: true }),
      REPLY.NOT_FOUND,
      `NOT_FOUND - no queue '${address}' in vhost '/'`,
    );
  });

  test('a reply is not routed to a queue: mandatory returns it although it was delivered; confirms ack', async () => {
    const client = await replyConsumer();
    const address = await addressOf(client.ch);
    const server = await h.confirmChannel(await h.connect());
    const returned = nextEvent(server, 'return');
    await publishConfirmed(server, '', address, 'mandatory answer', { mandatory: true });
    const [ret] = (await returned) as [Returned];
    assert.equal(ret.fields.replyCode, REPLY.NO_ROUTE);
    assert.equal(ret.fields.replyText, 'NO_ROUTE');
    assert.equal(ret.fields.routingKey, address);
    await waitFor(() => client.replies.length === 1);
    assert.equal(client.replies[0]?.content.toString(), 'mandatory answer');
  });

  test('replies carry the next delivery tag without using it up (as RabbitMQ does)', async () => {
    const client = await replyConsumer();
    const address = await addressOf(client.ch);
    const server = await h.confirmChannel(await h.connect());
    await publishConfirmed(server, '', address, 'r1');
    await publishConfirmed(server, '', address, 'r2');
    await waitFor(() => client.replies.length === 2);
    const q = (await client.ch.assertQueue('', { exclusive: true })).queue;
    const ordinary: ConsumeMessage[] = [];
    await client.ch.consume(q, (m) => m && ordinary.push(m), { noAck: true });
    await publishConfirmed(server, '', q, 'ordinary');
    await waitFor(() => ordinary.length === 1);
    await publishConfirmed(server, '', address, 'r3');
    await waitFor(() => client.replies.length === 3);
    assert.deepEqual(
      client.replies.map((m) => m.fields.deliveryTag),
      [1, 1, 2],
    );
    assert.equal(ordinary[0]?.fields.deliveryTag, 1);
  });

  test('after basic.cancel the address is dead: replies dropped (or returned), declare 404, requests 406', async () => {
    const client = await replyConsumer();
    const address = await addressOf(client.ch);
    assert.deepEqual(await client.ch.cancel(client.tag), { consumerTag: client.tag });

    const server = await h.confirmChannel(await h.connect());
    const returned = nextEvent(server, 'return');
    await publishConfirmed(server, '', address, 'too late', { mandatory: true });
    const [ret] = (await returned) as [Returned];
    assert.equal(ret.fields.replyCode, REPLY.NO_ROUTE);
    await publishConfirmed(server, '', address, 'too late, not mandatory');
    await expectReply(
      (await h.channel()).checkQueue(address),
      REPLY.NOT_FOUND,
      `NOT_FOUND - no queue '${address}' in vhost '/'`,
    );

    // A new reply consumer on the same channel gets a new address; the old one stays dead.
    const again = await replyConsumer(client.ch);
    const fresh = await addressOf(client.ch);
    assert.notEqual(fresh, address);
    await publishConfirmed(server, '', address, 'old address');
    await publishConfirmed(server, '', fresh, 'new address');
    await waitFor(() => again.replies.length === 1);
    assert.deepEqual(client.replies, []);
    assert.equal(again.replies[0]?.content.toString(), 'new address');

    await client.ch.cancel(again.tag);
    const q = (await client.ch.assertQueue('', { exclusive: true })).queue;
    client.ch.sendToQueue(q, Buffer.from('request'), { replyTo: RT });
    assertReply(
      await closedWithError(client.ch),
      REPLY.PRECONDITION_FAILED,
      'PRECONDITION_FAILED - fast reply consumer does not exist',
    );
  });

  test('when the client channel closes its address dies; replies to it are dropped', async () => {
    const client = await replyConsumer();
    const address = await addressOf(client.ch);
    await client.ch.close();
    const server = await h.confirmChannel(await h.connect());
    await publishConfirmed(server, '', address, 'nobody home');
    await expectReply((await h.channel()).checkQueue(address), REPLY.NOT_FOUND);
  });

  test('a made-up address reaches nobody and does not disturb the replying channel', async () => {
    const client = await replyConsumer();
    const server = await h.confirmChannel(await h.connect());
    const returned = nextEvent(server, 'return');
    await publishConfirmed(server, '', `${RT}.AAAAAAAAAAAAAAAAAAAAAA`, 'forged', { mandatory: true });
    await returned;
    await publishConfirmed(server, '', RT, 'bare name', {});
    const q = (await server.assertQueue('', { exclusive: true })).queue;
    await publishConfirmed(server, '', q, 'still fine');
    assert.equal(((await server.get(q, { noAck: true })) as Message).content.toString(), 'still fine');
    assert.deepEqual(client.replies, []);
  });

  test('only the default exchange delivers replies; a CC header naming the address does, once', async () => {
    const client = await replyConsumer();
    const address = await addressOf(client.ch);
    const server = await h.confirmChannel(await h.connect());
    await publishConfirmed(server, 'amq.direct', address, 'via amq.direct');
    await publishConfirmed(server, '', 'no-such-queue-for-cc', 'via CC', { CC: [address, address] });
    // Replies from one channel arrive in order: once this one is in, nothing else is on its way.
    await publishConfirmed(server, '', address, 'end');
    await waitFor(() => client.replies.some((m) => m.content.toString() === 'end'));
    assert.deepEqual(
      client.replies.map((m) => [m.content.toString(), m.fields.routingKey]),
      [
        ['via CC', 'no-such-queue-for-cc'],
        ['end', address],
      ],
    );
  });
});
