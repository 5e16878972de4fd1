/**
 * basic.ack / basic.nack / basic.reject / basic.recover: single and multiple, requeue or drop, the
 * redelivered flag, the place a requeued message takes, and 406 for delivery tags the channel does not
 * have outstanding.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Channel, GetMessage, Message } from 'amqplib';
import {
  Inbox,
  REPLY,
  assertReply,
  closedWithError,
  drain,
  fill,
  range,
  readyCount,
  useBroker,
} from '../helpers/amqp.js';
import { waitFor } from '../helpers/wait.js';

describe('acknowledgements', () => {
  const h = useBroker();

  /** basic.get (with ack) `n` times; fails if the queue runs dry. */
  async function getN(ch: Channel, q: string, n: number): Promise<GetMessage[]> {
    const out: GetMessage[] = [];
    for (let i = 0; i < n; i++) {
      const m = await ch.get(q);
      assert.ok(m, `queue ran dry after ${i} messages`);
      out.push(m);
    }
    return out;
  }

  /** Fake delivery with just a tag, for acking tags the channel never handed out. */
  const tag = (deliveryTag: number) => ({ fields: { deliveryTag } }) as unknown as Message;

  async function queueWith(bodies: string[]): Promise<string> {
    const q = await h.queue();
    await fill(await h.confirmChannel(), q, bodies);
    return q;
  }

  /** Waits until `q` holds `n` ready messages and returns them (bodies, redelivered flags), draining it. */
  async function readyAfterClose(q: string, n: number): Promise<Array<[string, boolean]>> {
    const ch = await h.channel();
    await waitFor(async () => (await readyCount(ch, q)) === n, undefined, `${n} ready messages in ${q}`);
    const out: Array<[string, boolean]> = [];
    for (;;) {
      const m = await ch.get(q, { noAck: true });
      if (m === false) return out;
      out.push([m.content.toString(), m.fields.redelivered]);
    }
  }

  test('ack of one delivery settles only that one; the others return redelivered when the channel closes', async () => {
    const q = await queueWith(range(3));
    const ch = await h.channel();
    const [, m1] = await getN(ch, q, 3);
    ch.ack(m1 as GetMessage);
    await ch.close();
    assert.deepEqual(await readyAfterClose(q, 2), [
      ['m0', true],
      ['m2', true],
    ]);
  });

  test('ack with multiple settles every outstanding tag up to and including it', async () => {
    const q = await queueWith(range(4));
    const ch = await h.channel();
    const ms = await getN(ch, q, 4);
    ch.ack(ms[2] as GetMessage, true);
    await ch.close();
    assert.deepEqual(await readyAfterClose(q, 1), [['m3', true]]);
  });

  test('ack of tag 0 with multiple (ackAll) settles everything outstanding', async () => {
    const q = await queueWith(range(3));
    const ch = await h.channel();
    await getN(ch, q, 3);
    ch.ackAll();
    await ch.close();
    const observer = await h.channel();
    assert.equal(await readyCount(observer, q), 0);
    // And the channel had no further outstanding tags: nothing comes back later either.
    await fill(await h.confirmChannel(), q, ['marker']);
    assert.deepEqual(await drain(observer, q), ['marker']);
  });

  test('nack with requeue puts the message back at the head, redelivered=true', async () => {
    const q = await queueWith(range(3));
    const ch = await h.channel();
    const [m0] = await getN(ch, q, 1);
    ch.nack(m0 as GetMessage, false, true);
    const again = await ch.get(q, { noAck: true });
    assert.ok(again);
    assert.equal(again.content.toString(), 'm0');
    assert.equal(again.fields.redelivered, true);
    const next = await ch.get(q, { noAck: true });
    assert.ok(next);
    assert.deepEqual([next.content.toString(), next.fields.redelivered], ['m1', false]);
  });

  test('requeued messages go back in their original order ahead of the rest', async () => {
    const q = await queueWith(range(5));
    const ch = await h.channel();
    const [m0, m1, m2] = await getN(ch, q, 3);
    // Requeue out of order: they still come back as m0, m1, m2.
    ch.reject(m2 as GetMessage, true);
    ch.reject(m0 as GetMessage, true);
    ch.reject(m1 as GetMessage, true);
    await waitFor(async () => (await readyCount(ch, q)) === 5);
    assert.deepEqual(await drain(ch, q), range(5));
  });

  test('nack without requeue drops the message', async () => {
    const q = await queueWith(range(2));
    const ch = await h.channel();
    const [m0] = await getN(ch, q, 1);
    ch.nack(m0 as GetMessage, false, false);
    assert.deepEqual(await drain(ch, q), ['m1']);
    await ch.close();
    assert.equal(await readyCount(await h.channel(), q), 0);
  });

  test('nack with multiple requeues every outstanding tag up to it, in order', async () => {
    const q = await queueWith(range(4));
    const ch = await h.channel();
    const ms = await getN(ch, q, 3);
    ch.nack(ms[2] as GetMessage, true, true);
    await waitFor(async () => (await readyCount(ch, q)) === 4);
    const again = await getN(ch, q, 4);
    assert.deepEqual(
      again.map((m) => [m.content.toString(), m.fields.redelivered]),
      [
        ['m0', true],
        ['m1', true],
        ['m2', true],
        ['m3', false],
      ],
    );
  });

  test('nackAll without requeue drops everything outstanding', async () => {
    const q = await queueWith(range(3));
    const ch = await h.channel();
    await getN(ch, q, 2);
    ch.nackAll(false);
    assert.deepEqual(await drain(ch, q), ['m2']);
    await ch.close();
    assert.equal(await readyCount(await h.channel(), q), 0);
  });

  test('reject with requeue=true returns the message; requeue=false drops it', async () => {
    const q = await queueWith(['a', 'b']);
    const ch = await h.channel();
    const [a, b] = await getN(ch, q, 2);
    ch.reject(a as GetMessage, true);
    ch.reject(b as GetMessage, false);
    await waitFor(async () => (await readyCount(ch, q)) === 1);
    const again = await ch.get(q, { noAck: true });
    assert.ok(again);
    assert.deepEqual([again.content.toString(), again.fields.redelivered], ['a', true]);
    assert.equal(await ch.get(q), false);
  });

  for (const [method, settle] of [
    ['ack', (ch: Channel) => ch.ack(tag(5))],
    ['nack', (ch: Channel) => ch.nack(tag(5), false, true)],
    ['reject', (ch: Channel) => ch.reject(tag(5), true)],
    ['ack multiple', (ch: Channel) => ch.ack(tag(5), true)],
  ] as const) {
    test(`${method} of an unknown delivery tag closes the channel with 406`, async () => {
      const q = await queueWith(['x']);
      const ch = await h.channel();
      await getN(ch, q, 1); // tag 1 is outstanding, 5 is not
      settle(ch);
      assertReply(
        await closedWithError(ch),
        REPLY.PRECONDITION_FAILED,
        'PRECONDITION_FAILED - unknown delivery tag 5',
      );
      // The outstanding message went back to the queue with the channel.
      assert.deepEqual(await readyAfterClose(q, 1), [['x', true]]);
    });
  }

  test('acking the same tag twice closes the channel with 406', async () => {
    const q = await queueWith(['x']);
    const ch = await h.channel();
    const [m] = await getN(ch, q, 1);
    ch.ack(m as GetMessage);
    ch.ack(m as GetMessage);
    assertReply(
      await closedWithError(ch),
      REPLY.PRECONDITION_FAILED,
      'PRECONDITION_FAILED - unknown delivery tag 1',
    );
    // The first ack counted: the message is not requeued by the close.
    assert.equal(await readyCount(await h.channel(), q), 0);
  });

  test('acking a no-ack delivery is an unknown tag (406)', async () => {
    const q = await queueWith(['x']);
    const ch = await h.channel();
    const m = await ch.get(q, { noAck: true });
    assert.ok(m);
    ch.ack(m);
    assertReply(
      await closedWithError(ch),
      REPLY.PRECONDITION_FAILED,
      'PRECONDITION_FAILED - unknown delivery tag 1',
    );
  });

  test("acking on another channel than the delivery's is an unknown tag (406)", async () => {
    const q = await queueWith(['x']);
    const ch1 = await h.channel();
    const ch2 = await h.channel();
    const [m] = await getN(ch1, q, 1);
    ch2.ack(m as GetMessage);
    assertReply(
      await closedWithError(ch2),
      REPLY.PRECONDITION_FAILED,
      'PRECONDITION_FAILED - unknown delivery tag 1',
    );
    ch1.ack(m as GetMessage);
    await ch1.close();
  });

  test('basic.recover redelivers every unacked delivery with redelivered=true', async () => {
    const q = await queueWith(range(3));
    const ch = await h.channel();
    const inbox = await Inbox.consume(ch, q);
    await inbox.atLeast(3);
    assert.ok(inbox.messages.every((m) => !m.fields.redelivered));
    await ch.recover();
    const all = await inbox.atLeast(6);
    const again = all.slice(3);
    assert.deepEqual(
      again.map((m) => m.content.toString()),
      range(3),
    );
    assert.ok(again.every((m) => m.fields.redelivered));
    // New deliveries get new tags; the old ones are no longer outstanding.
    assert.deepEqual(
      again.map((m) => m.fields.deliveryTag),
      [4, 5, 6],
    );
    ch.ack(again[2] as Message, true);
    await ch.close();
    assert.equal(await readyCount(await h.channel(), q), 0);
  });

  test('closing a channel with unacked deliveries requeues them to another consumer, redelivered=true', async () => {
    const q = await queueWith(range(4));
    const first = await h.channel();
    const inbox1 = await Inbox.consume(first, q);
    await inbox1.atLeast(4);
    first.ack(inbox1.messages[0] as Message);
    const second = await h.channel();
    const inbox2 = await Inbox.consume(second, q);
    assert.equal(inbox2.messages.length, 0);
    await first.close();
    await inbox2.atLeast(3);
    assert.deepEqual(
      inbox2.messages.map((m) => [m.content.toString(), m.fields.redelivered]),
      [
        ['m1', true],
        ['m2', true],
        ['m3', true],
      ],
    );
  });
});
