/**
 * Restarts of an in-process Warren on the same data directory: what is durable comes back, what is
 * not does not. (Warren-only: an outside RabbitMQ cannot be restarted from here.)
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import amqp, { type Channel, type ChannelModel } from 'amqplib';
import { Warren } from '../../src/index.js';

let dir: string;
let broker: Warren | undefined;
let conn: ChannelModel | undefined;

async function start(): Promise<Channel> {
  // One broker per data directory at a time: the previous test's broker goes first.
  await conn?.close().catch(() => {});
  await broker?.close();
  broker = await Warren.start({ host: '127.0.0.1', port: 0, logLevel: 'silent', dataDir: dir });
  conn = await amqp.connect(broker.url);
  conn.on('error', () => {});
  return conn.createChannel();
}

/** Clean restart: the client goes, the broker closes, a new one opens the same directory. */
const restart = start;

async function drain(ch: Channel, q: string): Promise<{ body: string; redelivered: boolean }[]> {
  const out: { body: string; redelivered: boolean }[] = [];
  for (;;) {
    const m = await ch.get(q, { noAck: true });
    if (!m) return out;
    out.push({ body: m.content.toString(), redelivered: m.fields.redelivered });
  }
}

/** Runs `op` on a fresh channel and expects the channel to be closed with 404. */
async function expectNotFound(op: (ch: Channel) => Promise<unknown>): Promise<void> {
  const probe = await (conn as ChannelModel).createChannel();
  probe.on('error', () => {});
  await assert.rejects(op(probe), /404/);
}

describe('durability across restarts', () => {
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'warren-restart-'));
  });
  after(async () => {
    await conn?.close().catch(() => {});
    await broker?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('durable exchanges, queues and bindings come back; transient and exclusive ones do not', async () => {
    let ch = await start();
    await ch.assertExchange('dx', 'topic', { durable: true, arguments: { 'alternate-exchange': 'ae' } });
    await ch.assertExchange('tx', 'fanout', { durable: false });
    await ch.assertQueue('dq', { durable: true, arguments: { 'x-max-length': 10 } });
    await ch.assertQueue('tq', { durable: false });
    await ch.assertQueue('eq', { durable: true, exclusive: true });
    await ch.bindQueue('dq', 'dx', 'a.#');
    await ch.bindQueue('tq', 'dx', 'b.#');
    ch = await restart();
    await ch.checkExchange('dx');
    await ch.checkQueue('dq');
    await expectNotFound((p) => p.checkExchange('tx'));
    await expectNotFound((p) => p.checkQueue('tq'));
    await expectNotFound((p) => p.checkQueue('eq'));
    // The durable binding routes again.
    ch.publish('dx', 'a.b', Buffer.from('routed'), { persistent: true });
    await new Promise((r) => setTimeout(r, 50));
    assert.deepEqual(
      (await drain(ch, 'dq')).map((m) => m.body),
      ['routed'],
    );
    // A redeclare with other arguments is refused as before the restart.
    const probe = await (conn as ChannelModel).createChannel();
    probe.on('error', () => {});
    await assert.rejects(
      probe.assertQueue('dq', { durable: true, arguments: { 'x-max-length': 11 } }),
      /406/,
    );
    const probe2 = await (conn as ChannelModel).createChannel();
    probe2.on('error', () => {});
    await assert.rejects(probe2.assertExchange('dx', 'topic', { durable: true }), /406/);
  });

  test('persistent messages in durable queues survive, in order; transient ones do not', async () => {
    let ch = await start();
    await ch.assertQueue('pq', { durable: true });
    await ch.assertQueue('nq', { durable: false });
    const cc = await (conn as ChannelModel).createConfirmChannel();
    for (let i = 0; i < 100; i++) {
      cc.sendToQueue('pq', Buffer.from(`p${i}`), { persistent: i % 2 === 0 });
      cc.sendToQueue('nq', Buffer.from(`n${i}`), { persistent: true });
    }
    await cc.waitForConfirms();
    ch = await restart();
    const got = await drain(ch, 'pq');
    assert.deepEqual(
      got.map((m) => m.body),
      Array.from({ length: 50 }, (_, i) => `p${i * 2}`),
    );
    await expectNotFound((p) => p.checkQueue('nq'));
  });

  test('unacked messages come back redelivered; acked ones stay gone', async () => {
    let ch = await start();
    await ch.assertQueue('uq', { durable: true });
    const cc = await (conn as ChannelModel).createConfirmChannel();
    for (let i = 0; i < 6; i++) cc.sendToQueue('uq', Buffer.from(`m${i}`), { persistent: true });
    await cc.waitForConfirms();
    const got: amqp.GetMessage[] = [];
    for (let i = 0; i < 4; i++) {
      const m = await ch.get('uq');
      assert.ok(m);
      got.push(m);
    }
    ch.ack(got[0] as amqp.GetMessage);
    ch.ack(got[1] as amqp.GetMessage);
    // m2 and m3 delivered, not acked; m4 and m5 never delivered. Give the store a moment to write.
    await new Promise((r) => setTimeout(r, 100));
    ch = await restart();
    assert.deepEqual(await drain(ch, 'uq'), [
      { body: 'm2', redelivered: true },
      { body: 'm3', redelivered: true },
      { body: 'm4', redelivered: false },
      { body: 'm5', redelivered: false },
    ]);
  });

  test('a second broker on the same data directory is refused while the first runs', async () => {
    await start();
    await assert.rejects(
      Warren.start({ host: '127.0.0.1', port: 0, logLevel: 'silent', dataDir: dir }),
      /in use by process/,
    );
  });

  test('purge and delete survive a restart', async () => {
    let ch = await start();
    await ch.assertQueue('purged', { durable: true });
    await ch.assertQueue('deleted', { durable: true });
    const cc = await (conn as ChannelModel).createConfirmChannel();
    for (let i = 0; i < 10; i++) {
      cc.sendToQueue('purged', Buffer.from('x'), { persistent: true });
      cc.sendToQueue('deleted', Buffer.from('x'), { persistent: true });
    }
    await cc.waitForConfirms();
    await ch.purgeQueue('purged');
    await ch.deleteQueue('deleted');
    await new Promise((r) => setTimeout(r, 100));
    ch = await restart();
    assert.equal((await ch.checkQueue('purged')).messageCount, 0);
    await expectNotFound((p) => p.checkQueue('deleted'));
    // Declared again, it starts empty: the old messages do not reappear.
    assert.equal((await ch.assertQueue('deleted', { durable: true })).messageCount, 0);
  });
});
