/**
 * A backlog longer than a queue keeps in memory: bodies past the paging limits live on disk only and come
 * back in order, through consume and through basic.get, for durable and transient queues, and after
 * a restart.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import amqp, { type Channel, type ChannelModel } from 'amqplib';
import { Warren } from '../../src/index.js';
/** Small limits so a few thousand messages exercise paging: 64 KiB of bodies, 1,000 per queue. */
const LIMITS = { pagingBudgetBytes: 64 * 1024, pagingMaxLoaded: 1000 };
const N = 3 * 1000 + 17;
let dir: string;
let broker: Warren | undefined;
let conn: ChannelModel | undefined;

async function start(): Promise<Channel> {
  await conn?.close().catch(() => {});
  await broker?.close();
  broker = await Warren.start({ host: '127.0.0.1', port: 0, logLevel: 'silent', dataDir: dir, ...LIMITS });
  conn = await amqp.connect(broker.url);
  conn.on('error', () => {});
  return conn.createChannel();
}

async function fill(queue: string, persistent: boolean): Promise<void> {
  const cc = await (conn as ChannelModel).createConfirmChannel();
  for (let i = 0; i < N; i++) cc.sendToQueue(queue, Buffer.from(`m${i}`), { persistent });
  await cc.waitForConfirms();
  await cc.close();
}

function pagedCount(queue: string): number {
  return (broker as Warren).broker.vhost('/').queues.get(queue)?.pagedCount ?? -1;
}

async function consumeAll(ch: Channel, queue: string): Promise<string[]> {
  const got: string[] = [];
  await ch.prefetch(500);
  await new Promise<void>((resolve) => {
    void ch.consume(queue, (m) => {
      if (!m) return;
      got.push(m.content.toString());
      ch.ack(m);
      if (got.length === N) resolve();
    });
  });
  return got;
}

const expected = Array.from({ length: N }, (_, i) => `m${i}`);

describe('paging message bodies to disk', () => {
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'warren-paging-'));
  });
  after(async () => {
    await conn?.close().catch(() => {});
    await broker?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('a durable queue pages its backlog out and delivers all of it in order to a consumer', async () => {
    const ch = await start();
    await ch.assertQueue('pd', { durable: true });
    await fill('pd', true);
    assert.ok(pagedCount('pd') > 0, 'part of the backlog is on disk only');
    assert.deepEqual(await consumeAll(ch, 'pd'), expected);
    assert.equal(pagedCount('pd'), 0);
  });

  test('a transient queue pages too, and basic.get reads paged messages back in order', async () => {
    const ch = await start();
    await ch.assertQueue('pt', { durable: false });
    await fill('pt', false);
    assert.ok(pagedCount('pt') > 0);
    const got: string[] = [];
    for (;;) {
      const m = await ch.get('pt', { noAck: true });
      if (!m) break;
      got.push(m.content.toString());
    }
    assert.deepEqual(got, expected);
  });

  test('a paged backlog of persistent messages survives a restart, in order', async () => {
    let ch = await start();
    await ch.assertQueue('pr', { durable: true });
    await fill('pr', true);
    ch = await start();
    assert.equal((await ch.checkQueue('pr')).messageCount, N);
    assert.deepEqual(await consumeAll(ch, 'pr'), expected);
  });

  test('purging a paged queue releases everything; later messages still flow', async () => {
    const ch = await start();
    await ch.assertQueue('pp', { durable: true });
    await fill('pp', true);
    assert.equal((await ch.purgeQueue('pp')).messageCount, N);
    assert.equal(pagedCount('pp'), 0);
    ch.sendToQueue('pp', Buffer.from('after'), { persistent: true });
    const m = await ch.get('pp', { noAck: true });
    assert.ok(m);
    assert.equal(m.content.toString(), 'after');
  });
});
