/**
 * Clock steps and slow disks. Which clock what uses (docs/reliability.md):
 * - heartbeats: performance.now() (monotonic) for "last read" and "last write";
 * - message TTL, x-expires, delayed messages: steadyNow() (src/core/clock.ts), the wall clock at start
 *   plus a monotonic clock, so a step while the broker runs moves no deadline;
 * - consumer timeout: performance.now();
 * - confirms: no clock at all, only the store's fsync.
 *
 * The wall clock is stepped here by replacing Date.now in this process (the in-process broker's).
 * Before heartbeats moved to the monotonic clock, a step forward of an hour made the broker drop every
 * connection with heartbeats as silent for an hour, and a step back stopped its heartbeats.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import amqp from 'amqplib';
import { startBroker, type TestBroker } from '../helpers/broker.js';
import { heartbeatFrame, RawClient } from '../helpers/raw-client.js';
import { withTimeout } from '../helpers/wait.js';
import { spawnBroker } from '../reliability/broker-process.js';

const HOUR = 3_600_000;
const SKIP = process.env['WARREN_TEST_URL'] ? 'steps the clock of the in-process broker' : false;
const realNow = Date.now;

/** Runs `fn` with the wall clock stepped by `offset` ms. */
async function stepped<T>(offset: number, fn: () => Promise<T>): Promise<T> {
  Date.now = () => realNow() + offset;
  try {
    return await fn();
  } finally {
    Date.now = realNow;
  }
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('wall-clock steps', { skip: SKIP }, () => {
  let broker: TestBroker | undefined;
  before(async () => {
    broker = await startBroker({ heartbeat: 1, managementPort: false, prometheusPort: false });
  });
  after(async () => {
    Date.now = realNow;
    await broker?.close();
  });

  for (const offset of [HOUR, -HOUR]) {
    test(`heartbeats carry on through a step of ${offset > 0 ? '+' : '-'}1 h`, async () => {
      assert.ok(broker);
      const c = await RawClient.open(broker.port, broker.host, { heartbeat: 1 });
      let beating: NodeJS.Timeout | undefined;
      try {
        await stepped(offset, async () => {
          // Quiet for 700 ms first, well within two intervals: the broker's checks (every 500 ms) see
          // the step before any frame from the client moves "last read" onto the stepped clock.
          await sleep(700);
          assert.equal(c.closed, false, 'the broker dropped a live connection');
          beating = setInterval(() => c.write(heartbeatFrame()), 400);
          // Three heartbeat intervals: the broker must keep sending its beats and keep the client.
          for (let i = 0; i < 3; i++) {
            const f = await c.nextFrame(1600);
            assert.equal(f.type, 8, `expected a heartbeat, got frame type ${f.type}`);
          }
          await sleep(500);
          assert.equal(c.closed, false, 'the broker dropped a live connection');
        });
      } finally {
        if (beating) clearInterval(beating);
        await c.close();
      }
    });
  }

  test('a 1 s TTL still expires after 1 s when the clock steps back an hour', async () => {
    assert.ok(broker);
    const conn = await amqp.connect(broker.url);
    try {
      const ch = await conn.createChannel();
      const { queue } = await ch.assertQueue('', { exclusive: true, arguments: { 'x-message-ttl': 1000 } });
      ch.sendToQueue(queue, Buffer.from('short-lived'));
      await ch.checkQueue(queue);
      await stepped(-HOUR, async () => {
        await sleep(1500);
        assert.equal(await ch.get(queue, { noAck: true }), false, 'the message outlived its TTL');
      });
    } finally {
      await conn.close();
    }
  });

  test('a 60 s TTL does not expire when the clock steps forward an hour', async () => {
    assert.ok(broker);
    const conn = await amqp.connect(broker.url);
    try {
      const ch = await conn.createChannel();
      const { queue } = await ch.assertQueue('', { exclusive: true, arguments: { 'x-message-ttl': 60_000 } });
      ch.sendToQueue(queue, Buffer.from('long-lived'));
      await ch.checkQueue(queue);
      await stepped(HOUR, async () => {
        await sleep(300);
        const m = await ch.get(queue, { noAck: true });
        assert.ok(m !== false, 'the message expired 59 s early');
      });
    } finally {
      await conn.close();
    }
  });
});

test('a disk whose every fsync takes 300 ms: confirms all arrive, heartbeats and TTLs keep time', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'rel-slow-disk-'));
  const b = await spawnBroker({
    options: { dataDir, heartbeat: 1 },
    nodeArgs: ['--import', fileURLToPath(new URL('../reliability/slow-fsync.js', import.meta.url))],
    env: { WARREN_TEST_FSYNC_DELAY_MS: '300' },
  });
  try {
    const conn = await amqp.connect(`${b.url}?heartbeat=1`);
    let closed = false;
    conn.on('close', () => (closed = true));
    const ch = await conn.createConfirmChannel();
    await ch.assertQueue('slow-disk', { durable: true });
    await ch.assertQueue('slow-disk-ttl', { durable: true, arguments: { 'x-message-ttl': 500 } });
    const t0 = Date.now();
    let confirmed = 0;
    for (let i = 0; i < 2000; i++) {
      ch.sendToQueue('slow-disk', Buffer.from(String(i)), { persistent: true }, (err) => {
        if (!err) confirmed++;
      });
    }
    ch.sendToQueue('slow-disk-ttl', Buffer.from('ttl'), { persistent: true });
    await withTimeout(ch.waitForConfirms(), 20_000, 'confirms from the slow disk');
    assert.equal(confirmed, 2000);
    assert.ok(Date.now() - t0 >= 300, 'confirmed before the first fsync could have finished');
    // Heartbeats are timers, not disk writes: 3 s with 1 s heartbeats and the connection stays up.
    await sleep(3000);
    assert.equal(closed, false, 'the connection was dropped while the disk was slow');
    assert.equal(await ch.get('slow-disk-ttl', { noAck: true }), false, 'the 500 ms TTL did not expire');
    assert.equal((await ch.checkQueue('slow-disk')).messageCount, 2000);
    await conn.close();
  } finally {
    await b.kill9();
    rmSync(dataDir, { recursive: true, force: true });
  }
});
