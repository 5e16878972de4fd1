/**
 * queue.bind / queue.unbind: what a binding routes, what identifies it, and the errors for missing or
 * forbidden ends.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { uniqueName } from '../helpers/broker.js';
import { REPLY, drain, expectReply, publishConfirmed, useBroker } from '../helpers/amqp.js';

describe('bindings', () => {
  const h = useBroker();

  test('queue.bind makes a direct exchange route the key to the queue; queue.unbind stops it', async () => {
    const ch = await h.confirmChannel();
    const x = await h.exchange('direct');
    const q = await h.queue();
    await ch.bindQueue(q, x, 'k1');
    await publishConfirmed(ch, x, 'k1', 'bound');
    await publishConfirmed(ch, x, 'k2', 'other-key');
    assert.deepEqual(await drain(ch, q), ['bound']);
    await ch.unbindQueue(q, x, 'k1');
    await publishConfirmed(ch, x, 'k1', 'unbound');
    assert.deepEqual(await drain(ch, q), []);
  });

  test('binding twice is idempotent: one copy per message, one unbind removes it', async () => {
    const ch = await h.confirmChannel();
    const x = await h.exchange('direct');
    const q = await h.queue();
    await ch.bindQueue(q, x, 'k');
    await ch.bindQueue(q, x, 'k');
    await publishConfirmed(ch, x, 'k', 'once');
    assert.deepEqual(await drain(ch, q), ['once']);
    await ch.unbindQueue(q, x, 'k');
    await publishConfirmed(ch, x, 'k', 'gone');
    assert.deepEqual(await drain(ch, q), []);
  });

  test('several keys bound to one queue route each key; a message matching two gets one copy', async () => {
    const ch = await h.confirmChannel();
    const x = await h.exchange('topic');
    const q = await h.queue();
    await ch.bindQueue(q, x, 'a.*');
    await ch.bindQueue(q, x, '*.b');
    await ch.bindQueue(q, x, 'c');
    for (const key of ['a.x', 'x.b', 'a.b', 'c', 'd']) await publishConfirmed(ch, x, key, key);
    assert.deepEqual(await drain(ch, q), ['a.x', 'x.b', 'a.b', 'c']);
  });

  test('binding arguments are part of the binding: unbind with other arguments leaves it in place', async () => {
    const ch = await h.confirmChannel();
    const x = await h.exchange('direct');
    const q = await h.queue();
    await ch.bindQueue(q, x, 'k', { a: 1 });
    await ch.unbindQueue(q, x, 'k', { a: 2 });
    await ch.unbindQueue(q, x, 'k');
    await publishConfirmed(ch, x, 'k', 'still-bound');
    assert.deepEqual(await drain(ch, q), ['still-bound']);
    await ch.unbindQueue(q, x, 'k', { a: 1 });
    await publishConfirmed(ch, x, 'k', 'unbound');
    assert.deepEqual(await drain(ch, q), []);
  });

  test('one exchange fans a key out to every queue bound with it', async () => {
    const ch = await h.confirmChannel();
    const x = await h.exchange('direct');
    const qs = [await h.queue(), await h.queue(), await h.queue()];
    for (const q of qs.slice(0, 2)) await ch.bindQueue(q, x, 'k');
    await ch.bindQueue(qs[2] as string, x, 'other');
    await publishConfirmed(ch, x, 'k', 'm');
    assert.deepEqual(await Promise.all(qs.map((q) => drain(ch, q))), [['m'], ['m'], []]);
  });

  test('queue.bind to a missing exchange is 404', async () => {
    const q = await h.queue();
    const missing = uniqueName('missing');
    await expectReply(
      (await h.channel()).bindQueue(q, missing, 'k'),
      REPLY.NOT_FOUND,
      `NOT_FOUND - no exchange '${missing}' in vhost '/'`,
    );
  });

  test('queue.bind of a missing queue is 404', async () => {
    const x = await h.exchange('direct');
    const missing = uniqueName('missing');
    await expectReply(
      (await h.channel()).bindQueue(missing, x, 'k'),
      REPLY.NOT_FOUND,
      `NOT_FOUND - no queue '${missing}' in vhost '/'`,
    );
  });

  test('queue.unbind of a binding that does not exist succeeds (RabbitMQ 3.10), even with missing ends', async () => {
    const ch = await h.channel();
    const x = await h.exchange('direct');
    const q = await h.queue();
    await ch.unbindQueue(q, x, 'never-bound');
    await ch.unbindQueue(q, uniqueName('missing-x'), 'k');
    await ch.unbindQueue(uniqueName('missing-q'), x, 'k');
    await ch.unbindExchange(x, uniqueName('missing-x'), 'k');
    await ch.checkQueue(q); // channel still open
  });

  test('binding to or unbinding from the default exchange is 403', async () => {
    const q = await h.queue();
    await expectReply(
      (await h.channel()).bindQueue(q, '', 'k'),
      REPLY.ACCESS_REFUSED,
      'ACCESS_REFUSED - operation not permitted on the default exchange',
    );
    await expectReply(
      (await h.channel()).unbindQueue(q, '', q),
      REPLY.ACCESS_REFUSED,
      'ACCESS_REFUSED - operation not permitted on the default exchange',
    );
  });

  test('the predeclared amq.direct accepts bindings', async () => {
    const ch = await h.confirmChannel();
    const q = await h.queue();
    const key = uniqueName('key');
    await ch.bindQueue(q, 'amq.direct', key);
    await publishConfirmed(ch, 'amq.direct', key, 'via-amq.direct');
    assert.deepEqual(await drain(ch, q), ['via-amq.direct']);
    await ch.unbindQueue(q, 'amq.direct', key);
  });
});
