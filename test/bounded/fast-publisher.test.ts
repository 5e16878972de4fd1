/**
 * Publishers faster than the disk. Four raw publishers write persistent 16 KiB messages as fast as
 * TCP lets them, with no confirms to pace them, into a broker whose every fsync takes 200 ms. Without
 * a bound the message store's write buffer grows by (ingest rate x fsync time) per flush; Warren stops
 * reading publishers while more than 32 MiB wait for the disk (src/amqp/input-hold.ts), so what the
 * broker cannot take stays in TCP buffers and its memory stays under the configured ceiling. Nothing
 * is lost: once the publishers stop, every message they wrote ends up in the queue.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import amqp from 'amqplib';
import { spawnBroker } from '../reliability/broker-process.js';
import { flood } from '../reliability/raw-flood.js';
import { waitFor } from '../helpers/wait.js';

const MB = 1_000_000;
const CEILING = 300 * MB;
const SLOW_FSYNC = fileURLToPath(new URL('../reliability/slow-fsync.js', import.meta.url));

test('four publishers flooding a disk with 200 ms fsyncs: RSS stays under the ceiling, nothing lost', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'rel-fast-publisher-'));
  const broker = await spawnBroker({
    options: { dataDir: dir, heartbeat: 0, memoryHighWatermark: { absolute: CEILING } },
    nodeArgs: ['--import', SLOW_FSYNC],
    env: { WARREN_TEST_FSYNC_DELAY_MS: '200' },
  });
  const conn = await amqp.connect(broker.url);
  try {
    const ch = await conn.createChannel();
    await ch.assertQueue('flooded', { durable: true });
    const floods = await Promise.all(
      [0, 1, 2, 3].map(() => flood(broker.port, 'flooded', { bodyBytes: 16 * 1024, persistent: true })),
    );
    let peak = 0;
    const t0 = Date.now();
    while (Date.now() - t0 < 4000) {
      await new Promise((r) => setTimeout(r, 20));
      peak = Math.max(peak, broker.rss());
    }
    await Promise.all(floods.map((f) => f.stop()));
    const sent = floods.reduce((n, f) => n + f.sent, 0);
    t.diagnostic(
      `offered ${((sent * 16 * 1024) / MB).toFixed(0)} MB in 4 s, peak RSS ${(peak / MB).toFixed(0)} MB`,
    );
    assert.ok(peak < CEILING, `peak RSS ${(peak / MB).toFixed(0)} MB, over the ${CEILING / MB} MB ceiling`);
    let ready = 0;
    await waitFor(
      async () => {
        ready = (await ch.checkQueue('flooded')).messageCount;
        peak = Math.max(peak, broker.rss());
        return ready === sent;
      },
      60_000,
      `all ${sent} messages in the queue`,
    );
    assert.ok(peak < CEILING, `peak RSS ${(peak / MB).toFixed(0)} MB while catching up`);
    await Promise.all(floods.map((f) => f.close()));
  } finally {
    await conn.close().catch(() => {});
    await broker.kill9();
    rmSync(dir, { recursive: true, force: true });
  }
});
