/**
 * channel.open / channel.close / channel.flow: channels are independent, a channel error closes only its
 * channel, closing a channel settles its consumers and unacked deliveries.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { uniqueName } from '../helpers/broker.js';
import {
  Inbox,
  REPLY,
  channelNumber,
  closedWithError,
  defs,
  expectReply,
  fill,
  isClosed,
  range,
  readyCount,
  rpc,
  useBroker,
} from '../helpers/amqp.js';
import { waitFor } from '../helpers/wait.js';

describe('channels', () => {
  const h = useBroker();

  test('a channel number can be opened, closed and opened again many times', async () => {
    const conn = await h.connect();
    for (let i = 0; i < 50; i++) {
      const ch = await h.channel(conn);
      assert.equal(channelNumber(ch), 1);
      await ch.checkExchange('amq.direct');
      await ch.close();
    }
  });

  test('a channel error closes that channel only; the connection and its other channels carry on', async () => {
    const conn = await h.connect();
    const healthy = await h.channel(conn);
    const doomed = await h.channel(conn);
    const missing = uniqueName('missing');
    await expectReply(doomed.checkQueue(missing), REPLY.NOT_FOUND);
    assert.equal((await closedWithError(doomed)).code, REPLY.NOT_FOUND);
    assert.equal(isClosed(conn), false);
    await healthy.checkExchange('amq.direct');
    // The closed channel's number can be reused.
    const reopened = await h.channel(conn);
    assert.equal(channelNumber(reopened), channelNumber(doomed));
    await reopened.checkExchange('amq.direct');
  });

  test('back-to-back declares on one channel each get their own declare-ok', async () => {
    const ch = await h.channel();
    const names = range(20).map(() => uniqueName('q-order'));
    for (const n of names) h.deleteAfter('queue', n);
    const oks = await Promise.all(names.map((n) => ch.assertQueue(n, { durable: false })));
    assert.deepEqual(
      oks.map((ok) => ok.queue),
      names,
    );
  });

  test('delivery tags are per channel, each starting at 1', async () => {
    const q = await h.queue();
    await fill(await h.confirmChannel(), q, range(4));
    const a = await h.channel();
    const b = await h.channel();
    const tags = [];
    for (const ch of [a, b, a, b]) {
      const m = await ch.get(q, { noAck: true });
      assert.ok(m);
      tags.push(m.fields.deliveryTag);
    }
    assert.deepEqual(tags, [1, 1, 2, 2]);
  });

  test('closing a channel cancels its consumers and requeues its unacked deliveries', async () => {
    const q = await h.queue();
    await fill(await h.confirmChannel(), q, range(3));
    const ch = await h.channel();
    const inbox = await Inbox.consume(ch, q);
    await inbox.atLeast(3);
    const observer = await h.channel();
    assert.equal((await observer.checkQueue(q)).consumerCount, 1);
    await ch.close();
    await waitFor(async () => {
      const ok = await observer.checkQueue(q);
      return ok.consumerCount === 0 && ok.messageCount === 3;
    });
    const again = await observer.get(q, { noAck: true });
    assert.ok(again);
    assert.deepEqual([again.content.toString(), again.fields.redelivered], ['m0', true]);
  });

  test('channel.flow active=true is answered with flow-ok active=true', async () => {
    const ch = await h.channel();
    const ok = await rpc(ch, defs.ChannelFlow, { active: true }, defs.ChannelFlowOk);
    assert.equal(ok['active'], true);
    await ch.checkExchange('amq.direct');
  });

  test('unacked deliveries of a channel closed by an error are requeued too', async () => {
    const q = await h.queue();
    await fill(await h.confirmChannel(), q, ['x']);
    const ch = await h.channel();
    const m = await ch.get(q);
    assert.ok(m);
    await expectReply(ch.checkQueue(uniqueName('missing')), REPLY.NOT_FOUND);
    const observer = await h.channel();
    await waitFor(async () => (await readyCount(observer, q)) === 1);
  });
});
