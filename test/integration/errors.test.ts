/**
 * Errors that close the whole connection (5xx), argument and property validation (406), and how a failed
 * channel or connection leaves everything else working.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { uniqueName } from '../helpers/broker.js';
import {
  Inbox,
  REPLY,
  assertReply,
  closedWithError,
  defs,
  expectReply,
  isClosed,
  publishConfirmed,
  rawPublish,
  readyCount,
  rpc,
  useBroker,
} from '../helpers/amqp.js';

describe('errors', () => {
  const h = useBroker();

  test('an unknown exchange type closes the connection with 503 COMMAND_INVALID', async () => {
    const conn = await h.connect();
    const ch = await h.channel(conn);
    const other = await h.channel(conn);
    const name = uniqueName('x-badtype');
    await assert.rejects(ch.assertExchange(name, 'no-such-type', { durable: false }));
    assertReply(
      await closedWithError(conn),
      REPLY.COMMAND_INVALID,
      "COMMAND_INVALID - unknown exchange type 'no-such-type'",
    );
    // Every channel of the connection is gone with it; other connections are unaffected.
    assert.equal(isClosed(other), true);
    await expectReply((await h.channel()).checkExchange(name), REPLY.NOT_FOUND);
  });

  test('reusing a consumer tag on the same channel closes the connection with 530 NOT_ALLOWED', async () => {
    const conn = await h.connect();
    const ch = await h.channel(conn);
    const q = (await ch.assertQueue('', { exclusive: true })).queue;
    await ch.consume(q, () => {}, { consumerTag: 'dup-tag' });
    await assert.rejects(ch.consume(q, () => {}, { consumerTag: 'dup-tag' }));
    assertReply(
      await closedWithError(conn),
      REPLY.NOT_ALLOWED,
      "NOT_ALLOWED - attempt to reuse consumer tag 'dup-tag'",
    );
  });

  test('the same consumer tag on two different channels is fine', async () => {
    const q = await h.queue();
    const tag = uniqueName('shared-tag');
    const a = await Inbox.consume(await h.channel(), q, { consumerTag: tag });
    const b = await Inbox.consume(await h.channel(), q, { consumerTag: tag });
    assert.deepEqual([a.consumerTag, b.consumerTag], [tag, tag]);
    assert.equal((await (await h.channel()).checkQueue(q)).consumerCount, 2);
  });

  test('basic.qos with a prefetch size closes the connection with 540 NOT_IMPLEMENTED', async () => {
    const conn = await h.connect();
    const ch = await h.channel(conn);
    await assert.rejects(
      rpc(ch, defs.BasicQos, { prefetchSize: 10, prefetchCount: 0, global: false }, defs.BasicQosOk),
    );
    assertReply(
      await closedWithError(conn),
      REPLY.NOT_IMPLEMENTED,
      'NOT_IMPLEMENTED - prefetch_size!=0 (10)',
    );
  });

  test('basic.recover with requeue=false closes the connection with 540 NOT_IMPLEMENTED', async () => {
    const conn = await h.connect();
    const ch = await h.channel(conn);
    await assert.rejects(rpc(ch, defs.BasicRecover, { requeue: false }, defs.BasicRecoverOk));
    assertReply(await closedWithError(conn), REPLY.NOT_IMPLEMENTED, 'NOT_IMPLEMENTED - requeue=false');
  });

  test('basic.publish with immediate=true closes the connection with 540 NOT_IMPLEMENTED', async () => {
    const conn = await h.connect();
    const ch = await h.channel(conn);
    rawPublish(ch, { exchange: '', routingKey: uniqueName('q'), immediate: true }, {}, Buffer.from('now'));
    assertReply(await closedWithError(conn), REPLY.NOT_IMPLEMENTED, 'NOT_IMPLEMENTED - immediate=true');
  });

  test('an invalid expiration property closes the channel with 406', async () => {
    for (const [expiration, detail] of [
      ['abc', /^PRECONDITION_FAILED - invalid expiration 'abc'/],
      ['-5', /^PRECONDITION_FAILED - invalid expiration '-5'/],
    ] as const) {
      const ch = await h.channel();
      const q = await h.queue();
      ch.sendToQueue(q, Buffer.from('x'), { expiration });
      assertReply(await closedWithError(ch), REPLY.PRECONDITION_FAILED, detail);
      assert.equal(await readyCount(await h.channel(), q), 0);
    }
  });

  test('invalid x- queue arguments are refused with 406', async () => {
    const cases: Array<[string, Record<string, unknown>]> = [
      ['x-message-ttl', { 'x-message-ttl': -1 }],
      ['x-message-ttl', { 'x-message-ttl': 'abc' }],
      ['x-expires', { 'x-expires': 0 }],
      ['x-max-length', { 'x-max-length': -1 }],
      ['x-overflow', { 'x-overflow': 'bogus' }],
      ['x-max-priority', { 'x-max-priority': 256 }],
    ];
    for (const [arg, args] of cases) {
      const name = uniqueName('q-badarg');
      h.deleteAfter('queue', name);
      await expectReply(
        (await h.channel()).assertQueue(name, { durable: false, arguments: args }),
        REPLY.PRECONDITION_FAILED,
        new RegExp(`^PRECONDITION_FAILED - invalid arg '${arg}' for queue '${name}' in vhost '/'`),
      );
    }
    const name = uniqueName('q-badarg');
    await expectReply(
      (await h.channel()).assertQueue(name, { durable: false, arguments: { 'x-dead-letter-exchange': 5 } }),
      REPLY.PRECONDITION_FAILED,
      `PRECONDITION_FAILED - invalid type 'byte' for arg 'x-dead-letter-exchange' in queue '${name}' in vhost '/'`,
    );
  });

  test('an empty queue name means the last queue declared on the channel; before any, it is 404', async () => {
    await expectReply(
      (await h.channel()).bindQueue('', 'amq.fanout', ''),
      REPLY.NOT_FOUND,
      'NOT_FOUND - no previously declared queue',
    );
    const ch = await h.confirmChannel();
    const q = (await ch.assertQueue('', { exclusive: true })).queue;
    const x = await h.exchange('fanout');
    await ch.bindQueue('', x, '');
    await publishConfirmed(ch, x, '', 'via-last-queue');
    const m = await ch.get('', { noAck: true });
    assert.ok(m);
    assert.equal(m.fields.routingKey, '');
    assert.equal(m.content.toString(), 'via-last-queue');
    assert.equal(await readyCount(ch, q), 0);
  });

  test('after a channel error the connection opens new channels and serves other connections', async () => {
    const conn = await h.connect();
    const ch = await h.channel(conn);
    await expectReply(ch.checkExchange(uniqueName('missing')), REPLY.NOT_FOUND);
    assert.equal(isClosed(conn), false);
    const fresh = await h.channel(conn);
    const q = (await fresh.assertQueue('', { exclusive: true })).queue;
    assert.match(q, /^amq\.gen-/);
  });
});
