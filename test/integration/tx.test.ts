/**
 * tx.select / tx.commit / tx.rollback (driven through amqplib's internal rpc, as it has no tx API):
 * publishes and acks are held until commit and dropped on rollback; tx and confirm modes exclude each
 * other.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { GetMessage } from 'amqplib';
import {
  REPLY,
  confirmSelect,
  drain,
  expectReply,
  fill,
  range,
  readyCount,
  txCommit,
  txRollback,
  txSelect,
  useBroker,
} from '../helpers/amqp.js';
import { waitFor } from '../helpers/wait.js';

describe('transactions', () => {
  const h = useBroker();

  test('publishes are held until tx.commit', async () => {
    const q = await h.queue();
    const ch = await h.channel();
    const observer = await h.channel();
    await txSelect(ch);
    for (const b of range(3)) ch.sendToQueue(q, Buffer.from(b));
    // A synchronous method on the tx channel: the publishes before it have been processed.
    await ch.checkQueue(q);
    assert.equal(await readyCount(observer, q), 0);
    await txCommit(ch);
    assert.deepEqual(await drain(observer, q), range(3));
  });

  test('tx.rollback discards the publishes since the last commit', async () => {
    const q = await h.queue();
    const ch = await h.channel();
    await txSelect(ch);
    ch.sendToQueue(q, Buffer.from('rolled-back'));
    await txRollback(ch);
    ch.sendToQueue(q, Buffer.from('committed'));
    await txCommit(ch);
    assert.deepEqual(await drain(await h.channel(), q), ['committed']);
  });

  test('the channel stays transactional after commit: later publishes wait for the next commit', async () => {
    const q = await h.queue();
    const ch = await h.channel();
    const observer = await h.channel();
    await txSelect(ch);
    ch.sendToQueue(q, Buffer.from('first'));
    await txCommit(ch);
    ch.sendToQueue(q, Buffer.from('second'));
    await ch.checkQueue(q);
    assert.deepEqual(await drain(observer, q), ['first']);
    await txCommit(ch);
    assert.deepEqual(await drain(observer, q), ['second']);
  });

  test('acks are held until commit and dropped by rollback', async () => {
    const q = await h.queue();
    await fill(await h.confirmChannel(), q, ['a', 'b']);
    const ch = await h.channel();
    await txSelect(ch);
    const a = (await ch.get(q)) as GetMessage;
    const b = (await ch.get(q)) as GetMessage;
    assert.ok(a && b);
    ch.ack(a);
    await txCommit(ch);
    ch.ack(b);
    await txRollback(ch);
    // b's ack was rolled back, so b is still unacked: closing the channel requeues only b.
    await ch.close();
    const observer = await h.channel();
    await waitFor(async () => (await readyCount(observer, q)) === 1, undefined, 'b to be requeued');
    const back = await observer.get(q, { noAck: true });
    assert.ok(back);
    assert.deepEqual([back.content.toString(), back.fields.redelivered], ['b', true]);
  });

  test('a rejected message is requeued only on commit', async () => {
    const q = await h.queue();
    await fill(await h.confirmChannel(), q, ['r']);
    const ch = await h.channel();
    const observer = await h.channel();
    await txSelect(ch);
    const m = (await ch.get(q)) as GetMessage;
    assert.ok(m);
    ch.reject(m, true);
    await ch.checkQueue(q);
    assert.equal(await readyCount(observer, q), 0);
    await txCommit(ch);
    await waitFor(async () => (await readyCount(observer, q)) === 1, undefined, 'the reject to take effect');
  });

  test('tx.commit and tx.rollback on a non-transactional channel are 406', async () => {
    await expectReply(
      txCommit(await h.channel()),
      REPLY.PRECONDITION_FAILED,
      'PRECONDITION_FAILED - channel is not transactional',
    );
    await expectReply(
      txRollback(await h.channel()),
      REPLY.PRECONDITION_FAILED,
      'PRECONDITION_FAILED - channel is not transactional',
    );
  });

  test('confirm.select on a transactional channel is 406', async () => {
    const ch = await h.channel();
    await txSelect(ch);
    await expectReply(
      confirmSelect(ch),
      REPLY.PRECONDITION_FAILED,
      'PRECONDITION_FAILED - cannot switch from tx to confirm mode',
    );
  });

  test('tx.select on a confirm channel is 406', async () => {
    const ch = await h.confirmChannel();
    await expectReply(
      txSelect(ch),
      REPLY.PRECONDITION_FAILED,
      'PRECONDITION_FAILED - cannot switch from confirm to tx mode',
    );
  });

  test('tx.select twice is fine', async () => {
    const ch = await h.channel();
    await txSelect(ch);
    await txSelect(ch);
    const q = await h.queue();
    ch.sendToQueue(q, Buffer.from('x'));
    await txCommit(ch);
    assert.deepEqual(await drain(ch, q), ['x']);
  });

  test('closing a transactional channel discards its uncommitted publishes', async () => {
    const q = await h.queue();
    const ch = await h.channel();
    await txSelect(ch);
    ch.sendToQueue(q, Buffer.from('never'));
    await ch.close();
    const observer = await h.confirmChannel();
    await fill(observer, q, ['marker']);
    assert.deepEqual(await drain(observer, q), ['marker']);
  });
});
