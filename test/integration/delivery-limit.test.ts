/**
 * x-delivery-limit (a Warren extension for classic queues; RabbitMQ has it on quorum queues only, so
 * against an outside broker the same tests run on an `x-queue-type: quorum` queue).
 *
 * The semantics are RabbitMQ's quorum-queue ones: every return of a delivery (nack or reject with
 * requeue, the channel closing) counts; a redelivery carries the count so far in the x-delivery-count
 * header; the return that takes the count past the limit dead-letters the message with reason
 * delivery_limit (or drops it without a DLX). With limit N a message is delivered at most N + 1 times.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Channel, GetMessage, Message } from 'amqplib';
import { Inbox, fill, readyCount, useBroker } from '../helpers/amqp.js';
import { waitFor } from '../helpers/wait.js';

describe('delivery limit (x-delivery-limit)', () => {
  const h = useBroker();

  /** A queue with x-delivery-limit: classic on Warren, quorum (hence durable) on an outside broker. */
  async function limited(limit: number, args: Record<string, unknown> = {}): Promise<string> {
    const external = h.broker.external;
    return h.queue(
      {
        durable: external,
        arguments: { 'x-delivery-limit': limit, ...(external ? { 'x-queue-type': 'quorum' } : {}), ...args },
      },
      'q-dlim',
    );
  }

  async function withDlq(limit: number): Promise<{ q: string; dlq: string }> {
    const dlq = await h.queue({}, 'dlq');
    const q = await limited(limit, { 'x-dead-letter-exchange': '', 'x-dead-letter-routing-key': dlq });
    return { q, dlq };
  }

  /** basic.get (with ack), waiting for the message to be back after a return. */
  async function getNext(ch: Channel, q: string): Promise<GetMessage> {
    let m: GetMessage | false = false;
    await waitFor(async () => (m = await ch.get(q)) !== false, undefined, `a message in ${q}`);
    return m as unknown as GetMessage;
  }

  const count = (m: Message): unknown => m.properties.headers?.['x-delivery-count'];

  /**
   * The header on a first delivery: absent (RabbitMQ 3.13 adds it only once the count is above 0;
   * 3.10's quorum queues send 0 on a basic.get, so the check is skipped against an outside broker).
   */
  function assertFirstDelivery(m: Message): void {
    assert.equal(m.fields.redelivered, false);
    if (!h.broker.external) assert.equal(count(m), undefined);
  }

  async function takeDead(ch: Channel, dlq: string): Promise<GetMessage> {
    await waitFor(async () => (await readyCount(ch, dlq)) === 1, undefined, 'the dead-lettered message');
    const m = await ch.get(dlq, { noAck: true });
    assert.ok(m);
    return m;
  }

  test('redeliveries carry x-delivery-count; the return past the limit dead-letters with reason delivery_limit', async () => {
    const { q, dlq } = await withDlq(2);
    const ch = await h.confirmChannel();
    await fill(ch, q, ['m'], { headers: { own: 'kept' } });

    const first = await getNext(ch, q);
    assertFirstDelivery(first);
    ch.nack(first, false, true);
    const second = await getNext(ch, q);
    assert.deepEqual([second.fields.redelivered, count(second)], [true, 1]);
    ch.nack(second, false, true);
    const third = await getNext(ch, q);
    assert.deepEqual([third.fields.redelivered, count(third)], [true, 2]);
    assert.equal(third.properties.headers?.['own'], 'kept');
    assert.equal(await readyCount(ch, dlq), 0, 'dead-lettered before the limit');
    ch.nack(third, false, true); // the third return: 3 > 2

    const dead = await takeDead(ch, dlq);
    assert.equal(dead.content.toString(), 'm');
    assert.equal(dead.fields.redelivered, false);
    assert.equal(count(dead), undefined);
    assert.equal(dead.properties.headers?.['own'], 'kept');
    const deaths: unknown = dead.properties.headers?.['x-death'];
    assert.ok(Array.isArray(deaths) && deaths.length === 1);
    const { time: _time, ...death } = deaths[0] as Record<string, unknown>;
    assert.deepEqual(death, {
      count: 1,
      reason: 'delivery_limit',
      queue: q,
      exchange: '',
      'routing-keys': [q],
    });
    assert.equal(dead.properties.headers?.['x-first-death-reason'], 'delivery_limit');
    assert.equal(await readyCount(ch, q), 0);
  });

  test('basic.reject with requeue and a closed channel count as returns too; consumers see the header', async () => {
    const { q, dlq } = await withDlq(2);
    const ch = await h.confirmChannel();
    await fill(ch, q, ['m']);
    const first = await getNext(ch, q);
    ch.reject(first, true); // return 1

    const consumerCh = await h.channel();
    const inbox = await Inbox.consume(consumerCh, q);
    const [second] = await inbox.atLeast(1);
    assert.ok(second);
    assert.deepEqual([second.fields.redelivered, count(second)], [true, 1]);
    await consumerCh.close(); // return 2

    const again = await h.channel();
    const inbox2 = await Inbox.consume(again, q);
    const [third] = await inbox2.atLeast(1);
    assert.ok(third);
    assert.deepEqual([third.fields.redelivered, count(third)], [true, 2]);
    await again.close(); // return 3: past the limit

    const dead = await takeDead(ch, dlq);
    assert.equal(dead.properties.headers?.['x-first-death-reason'], 'delivery_limit');
  });

  test('x-delivery-limit 0: the first return dead-letters', async () => {
    const { q, dlq } = await withDlq(0);
    const ch = await h.confirmChannel();
    await fill(ch, q, ['once']);
    const m = await getNext(ch, q);
    assertFirstDelivery(m);
    ch.nack(m, false, true);
    const dead = await takeDead(ch, dlq);
    assert.equal(dead.content.toString(), 'once');
    assert.equal(await readyCount(ch, q), 0);
  });

  test('without a DLX the message is dropped at the limit', async () => {
    const q = await limited(1);
    const ch = await h.confirmChannel();
    await fill(ch, q, ['m']);
    const first = await getNext(ch, q);
    ch.nack(first, false, true);
    const second = await getNext(ch, q);
    assert.equal(count(second), 1);
    ch.nack(second, false, true);
    await waitFor(async () => (await readyCount(ch, q)) === 0);
    assert.equal(await ch.get(q, { noAck: true }), false);
  });

  test('a reject without requeue dead-letters as rejected, without the count header', async () => {
    const { q, dlq } = await withDlq(5);
    const ch = await h.confirmChannel();
    await fill(ch, q, ['m']);
    ch.nack(await getNext(ch, q), false, true);
    const second = await getNext(ch, q);
    assert.equal(count(second), 1);
    ch.nack(second, false, false);
    const dead = await takeDead(ch, dlq);
    assert.equal(count(dead), undefined);
    const deaths: unknown = dead.properties.headers?.['x-death'];
    assert.ok(Array.isArray(deaths));
    assert.equal((deaths[0] as Record<string, unknown>)['reason'], 'rejected');
  });

  test('only the returned message counts: the others keep a clean first delivery', async () => {
    const { q, dlq } = await withDlq(1);
    const ch = await h.confirmChannel();
    await fill(ch, q, ['bad']);
    ch.nack(await getNext(ch, q), false, true);
    ch.nack(await getNext(ch, q), false, true); // past the limit
    await takeDead(ch, dlq);
    await fill(ch, q, ['good']);
    const good = await getNext(ch, q);
    assert.equal(good.content.toString(), 'good');
    assertFirstDelivery(good);
    ch.ack(good);
  });
});
