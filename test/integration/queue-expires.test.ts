/**
 * x-expires: a queue that stays unused for that long is deleted. Consumers, basic.get and queue.declare
 * (active or passive) count as use; publishing does not. A queue with a consumer never expires, and
 * the messages of an expired queue are not dead-lettered.
 *
 * Whether a queue still exists is probed with a mandatory publish (basic.return when it is gone):
 * a passive declare would itself count as use and keep the queue alive.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import type { ConfirmChannel } from 'amqplib';
import { uniqueName } from '../helpers/broker.js';
import { Inbox, REPLY, expectReply, publishConfirmed, readyCount, useBroker } from '../helpers/amqp.js';
import { waitFor } from '../helpers/wait.js';

const EXPIRES = 400;

describe('queue expiry (x-expires)', () => {
  const h = useBroker();

  /** Declares a queue with x-expires (deleted after the test if it is still there). */
  async function expiringQueue(extra: Record<string, unknown> = {}): Promise<string> {
    return h.queue({ arguments: { 'x-expires': EXPIRES, ...extra } }, 'q-exp');
  }

  /** Probes existence without touching the queue: a mandatory publish comes back when it is gone. */
  class Prober {
    private returned = false;
    private constructor(private readonly ch: ConfirmChannel) {
      ch.on('return', () => {
        this.returned = true;
      });
    }

    static async open(): Promise<Prober> {
      return new Prober(await h.confirmChannel());
    }

    async exists(q: string): Promise<boolean> {
      this.returned = false;
      await publishConfirmed(this.ch, '', q, 'probe', { mandatory: true });
      return !this.returned;
    }

    async waitGone(q: string, ms = EXPIRES + 5000): Promise<void> {
      await waitFor(async () => !(await this.exists(q)), ms, `queue ${q} to expire`);
    }
  }

  /** Calls `touch` every 100 ms for three expiry periods, checking the queue is still there after each. */
  async function keepTouching(q: string, prober: Prober, touch: () => Promise<unknown>): Promise<void> {
    const until = Date.now() + 3 * EXPIRES;
    while (Date.now() < until) {
      await touch();
      await delay(100);
      assert.equal(await prober.exists(q), true, 'the queue expired although it was in use');
    }
  }

  test('an unused queue is deleted after x-expires; a passive declare then gives 404', async () => {
    const prober = await Prober.open();
    const started = Date.now();
    const q = await expiringQueue();
    assert.equal(await prober.exists(q), true);
    await prober.waitGone(q);
    const lifetime = Date.now() - started;
    assert.ok(lifetime >= EXPIRES - 50, `the queue went after ${lifetime} ms, before x-expires`);
    await expectReply(
      (await h.channel()).checkQueue(q),
      REPLY.NOT_FOUND,
      `NOT_FOUND - no queue '${q}' in vhost '/'`,
    );
  });

  test('publishing does not count as use; the messages of an expired queue are not dead-lettered', async () => {
    const dlq = await h.queue({}, 'dlq');
    const q = await expiringQueue({ 'x-dead-letter-exchange': '', 'x-dead-letter-routing-key': dlq });
    const prober = await Prober.open();
    const ch = await h.confirmChannel();
    for (let i = 0; i < 3; i++) await publishConfirmed(ch, '', q, `m${i}`);
    await prober.waitGone(q);
    assert.equal(await readyCount(ch, dlq), 0);
  });

  test('a queue with a consumer never expires; the clock starts again when the consumer cancels', async () => {
    const q = await expiringQueue();
    const prober = await Prober.open();
    const consumerCh = await h.channel();
    const inbox = await Inbox.consume(consumerCh, q);
    await delay(3 * EXPIRES);
    assert.equal(await prober.exists(q), true, 'the queue expired under its consumer');
    await consumerCh.cancel(inbox.consumerTag);
    const cancelled = Date.now();
    await prober.waitGone(q);
    const after = Date.now() - cancelled;
    assert.ok(after >= EXPIRES - 50, `the queue went ${after} ms after the cancel, before x-expires`);
  });

  test('a queue whose consumer channel closes expires afterwards', async () => {
    const q = await expiringQueue();
    const prober = await Prober.open();
    const consumerCh = await h.channel();
    await Inbox.consume(consumerCh, q);
    await delay(2 * EXPIRES);
    assert.equal(await prober.exists(q), true);
    await consumerCh.close();
    await prober.waitGone(q);
  });

  test('basic.get counts as use, even on an empty queue', async () => {
    const q = await expiringQueue();
    const prober = await Prober.open();
    const ch = await h.channel();
    await keepTouching(q, prober, () => ch.get(q, { noAck: true }));
    await prober.waitGone(q);
  });

  test('redeclaring counts as use', async () => {
    const q = await expiringQueue();
    const prober = await Prober.open();
    const ch = await h.channel();
    await keepTouching(q, prober, () =>
      ch.assertQueue(q, { durable: false, arguments: { 'x-expires': EXPIRES } }),
    );
    await prober.waitGone(q);
  });

  test('a passive declare counts as use', async () => {
    const q = await expiringQueue();
    const prober = await Prober.open();
    const ch = await h.channel();
    await keepTouching(q, prober, () => ch.checkQueue(q));
    await prober.waitGone(q);
  });

  test('an expired queue can be declared afresh, empty', async () => {
    const q = await expiringQueue();
    const prober = await Prober.open();
    const ch = await h.confirmChannel();
    await publishConfirmed(ch, '', q, 'lost');
    await prober.waitGone(q);
    const ok = await ch.assertQueue(q, { durable: false, arguments: { 'x-expires': EXPIRES } });
    assert.deepEqual(ok, { queue: q, messageCount: 0, consumerCount: 0 });
    await ch.deleteQueue(q);
  });

  test('x-expires must be a positive integer', async () => {
    for (const [value, detail] of [
      [0, '{value_zero,0}'],
      [-1, '{value_negative,-1}'],
    ] as const) {
      const name = uniqueName('q-badexp');
      h.deleteAfter('queue', name);
      await expectReply(
        (await h.channel()).assertQueue(name, { durable: false, arguments: { 'x-expires': value } }),
        REPLY.PRECONDITION_FAILED,
        `PRECONDITION_FAILED - invalid arg 'x-expires' for queue '${name}' in vhost '/': ${detail}`,
      );
    }
  });
});
