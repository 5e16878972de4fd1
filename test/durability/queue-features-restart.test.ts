/**
 * Issue 4's queue features across restarts of an in-process Warren on one data directory: message
 * TTL counts from the original arrival, priorities keep their order, delivery counts survive, x-expires
 * starts again, and dead-lettered persistent messages are durable in their new queue. (Warren-only:
 * an outside RabbitMQ cannot be restarted from here.)
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { after, before, describe, test } from 'node:test';
import amqp, { type Channel, type ChannelModel, type ConfirmChannel } from 'amqplib';
import { Warren } from '../../src/index.js';

let dir: string;
let broker: Warren | undefined;
let conn: ChannelModel | undefined;

/** (Re)starts the broker on the data directory and returns a confirm channel on a fresh connection. */
async function restart(options: { pagingBudgetBytes?: number } = {}): Promise<ConfirmChannel> {
  await conn?.close().catch(() => {});
  await broker?.close();
  broker = await Warren.start({ host: '127.0.0.1', port: 0, logLevel: 'silent', dataDir: dir, ...options });
  conn = await amqp.connect(broker.url);
  conn.on('error', () => {});
  return conn.createConfirmChannel();
}

async function publish(ch: ConfirmChannel, q: string, bodies: string[], opts: amqp.Options.Publish = {}) {
  for (const b of bodies) ch.sendToQueue(q, Buffer.from(b), { persistent: true, ...opts });
  await ch.waitForConfirms();
}

async function drain(ch: Channel, q: string): Promise<amqp.GetMessage[]> {
  const out: amqp.GetMessage[] = [];
  for (;;) {
    const m = await ch.get(q, { noAck: true });
    if (!m) return out;
    out.push(m);
  }
}

const bodies = (ms: amqp.GetMessage[]): string[] => ms.map((m) => m.content.toString());

describe('queue features across restarts', () => {
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'warren-features-'));
  });
  after(async () => {
    await conn?.close().catch(() => {});
    await broker?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('message TTL counts from the first arrival: a restart does not give a message more time', async () => {
    let ch = await restart();
    await ch.assertQueue('ttl-q', { durable: true, arguments: { 'x-message-ttl': 600 } });
    await ch.assertQueue('exp-q', { durable: true });
    await publish(ch, 'ttl-q', ['a']);
    await publish(ch, 'exp-q', ['b'], { expiration: '600' });
    await publish(ch, 'exp-q', ['keep']);
    ch = await restart();
    assert.equal((await ch.checkQueue('ttl-q')).messageCount, 1, 'still within its TTL');
    await delay(800);
    assert.deepEqual(bodies(await drain(ch, 'ttl-q')), []);
    assert.deepEqual(bodies(await drain(ch, 'exp-q')), ['keep']);
  });

  test('an expired message is dead-lettered at startup, and the copy is durable', async () => {
    let ch = await restart();
    await ch.assertQueue('dead', { durable: true });
    await ch.assertQueue('src', {
      durable: true,
      arguments: { 'x-message-ttl': 200, 'x-dead-letter-exchange': '', 'x-dead-letter-routing-key': 'dead' },
    });
    // The broker is down while the TTL passes; the next start expires it, the one after that shows
    // the dead-lettered copy was stored durably.
    await publish(ch, 'src', ['m']);
    await conn?.close();
    conn = undefined;
    await broker?.close();
    broker = undefined;
    await delay(300);
    ch = await restart();
    await delay(100);
    ch = await restart();
    const got = await drain(ch, 'dead');
    assert.deepEqual(bodies(got), ['m']);
    const death = (got[0]?.properties.headers?.['x-death'] as unknown as Record<string, unknown>[])[0];
    assert.equal(death?.['reason'], 'expired');
    assert.equal((await ch.checkQueue('src')).messageCount, 0);
  });

  test('priority order survives a restart, also when bodies were paged to disk', async () => {
    for (const pagingBudgetBytes of [undefined, 1]) {
      const q = `prio-${pagingBudgetBytes ?? 'mem'}`;
      let ch = await restart(pagingBudgetBytes === undefined ? {} : { pagingBudgetBytes });
      await ch.assertQueue(q, { durable: true, arguments: { 'x-max-priority': 5 } });
      for (const [body, priority] of [
        ['p1', 1],
        ['p5', 5],
        ['p0', 0],
        ['p3', 3],
        ['p5b', 5],
      ] as const) {
        ch.sendToQueue(q, Buffer.from(body), { persistent: true, priority });
      }
      await ch.waitForConfirms();
      ch = await restart(pagingBudgetBytes === undefined ? {} : { pagingBudgetBytes });
      assert.deepEqual(bodies(await drain(ch, q)), ['p5', 'p5b', 'p3', 'p1', 'p0'], q);
    }
  });

  test('delivery counts survive a restart: the limit is not reset by one', async () => {
    let ch = await restart();
    await ch.assertQueue('limited-dead', { durable: true });
    await ch.assertQueue('limited', {
      durable: true,
      arguments: {
        'x-delivery-limit': 2,
        'x-dead-letter-exchange': '',
        'x-dead-letter-routing-key': 'limited-dead',
      },
    });
    await publish(ch, 'limited', ['m']);
    for (let i = 1; i <= 2; i++) {
      const m = await ch.get('limited');
      assert.ok(m);
      ch.nack(m, false, true);
    }
    await ch.checkQueue('limited'); // a round trip: the nacks were processed
    ch = await restart();
    const again = await ch.get('limited');
    assert.ok(again);
    assert.equal(again.properties.headers?.['x-delivery-count'], 2);
    ch.nack(again, false, true); // the third return: over the limit
    await ch.checkQueue('limited');
    assert.equal((await ch.checkQueue('limited')).messageCount, 0);
    const dead = await drain(ch, 'limited-dead');
    assert.deepEqual(bodies(dead), ['m']);
    const death = (dead[0]?.properties.headers?.['x-death'] as unknown as Record<string, unknown>[])[0];
    assert.equal(death?.['reason'], 'delivery_limit');
  });

  test('x-expires runs again after a restart: an unused durable queue goes', async () => {
    let ch = await restart();
    await ch.assertQueue('expiring', { durable: true, arguments: { 'x-expires': 300 } });
    ch = await restart();
    assert.equal((await ch.checkQueue('expiring')).messageCount, 0);
    await delay(600);
    const probe = await (conn as ChannelModel).createChannel();
    probe.on('error', () => {});
    await assert.rejects(probe.checkQueue('expiring'), /404/);
    ch = await restart();
    const probe2 = await (conn as ChannelModel).createChannel();
    probe2.on('error', () => {});
    await assert.rejects(probe2.checkQueue('expiring'), /404/, 'the deletion was durable');
    void ch;
  });
});
