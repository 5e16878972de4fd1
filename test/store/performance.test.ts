/**
 * Performance, printed not asserted (numbers depend on the disk): append throughput with a whenSynced
 * per message, and recovery time. The 1,000,000-message recovery runs only with WARREN_STORE_BIG=1.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { StoredMessage } from '../../src/store/message-store.js';
import { SegmentStore } from '../../src/store/segment-store.js';
import { synced, withTempDir } from './helpers.js';

const KiB = 1024;
const MiB = KiB * KiB;

function message(i: number): StoredMessage {
  const body = Buffer.alloc(KiB, i & 0xff);
  body.writeUInt32BE(i, 0);
  return { exchange: 'bench', routingKey: `q.${i % 100}`, properties: Buffer.from([0x10, 0x00, 0x02]), body };
}

function turn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/**
 * `count` appends of 1 KiB, `perTurn` per event-loop turn (like publishers read off sockets), each with
 * its own whenSynced; at most `window` unconfirmed at a time (publisher confirm windows).
 */
async function appendThroughput(dir: string, count: number, perTurn: number, window: number): Promise<void> {
  const store = new SegmentStore(dir);
  await store.open();
  let confirmed = 0;
  let appended = 0;
  const started = performance.now();
  while (appended < count) {
    const n = Math.min(perTurn, count - appended, window - (appended - confirmed));
    for (let i = 0; i < n; i++) {
      store.append([appended % 100], message(appended));
      store.whenSynced(() => confirmed++);
      appended++;
    }
    await turn();
  }
  await synced(store);
  const seconds = (performance.now() - started) / 1000;
  assert.equal(confirmed, count);
  console.log(
    `append+whenSynced, ${perTurn}/turn, window ${window}: ${count} x 1 KiB in ${seconds.toFixed(2)} s = ` +
      `${Math.round(count / seconds)} msg/s, ${(count / seconds / KiB).toFixed(1)} MiB/s; ` +
      `${store.stats.flushes} flushes (${Math.round(count / store.stats.flushes)} msgs each), ` +
      `disk ${(store.diskBytes / MiB).toFixed(1)} MiB for ${(count / KiB).toFixed(1)} MiB of bodies`,
  );
  await store.close();
}

/** Writes `count` 1 KiB messages over 100 queues, closes, and times the reopen. */
async function recoveryTime(dir: string, count: number): Promise<void> {
  const writer = new SegmentStore(dir);
  await writer.open();
  for (let i = 0; i < count; i++) {
    writer.append([i % 100], message(i));
    if (i % 1000 === 999) await synced(writer); // keep the write buffers bounded
  }
  await writer.close();
  const disk = writer.diskBytes;

  const memBefore = process.memoryUsage().heapUsed;
  const started = performance.now();
  const store = new SegmentStore(dir);
  const report = await store.open();
  const wall = performance.now() - started;
  const heap = process.memoryUsage().heapUsed - memBefore;
  let total = 0;
  for (const list of report.queues.values()) total += list.length;
  assert.equal(total, count);
  assert.equal(report.queues.size, 100);
  console.log(
    `recovery of ${count} x 1 KiB over 100 queues: ${Math.round(wall)} ms wall (${report.durationMs} ms in open), ` +
      `${report.segments} segments, ${(disk / MiB).toFixed(0)} MiB on disk, ` +
      `heap +${(heap / MiB).toFixed(0)} MiB for the report (${Math.round(heap / count)} bytes/message), ` +
      `eager: ${report.queues.get(0)![0]!.message !== undefined}`,
  );
  await store.close();
}

describe('SegmentStore performance (printed)', () => {
  test('100k appends of 1 KiB with whenSynced', { timeout: 300_000 }, async () => {
    await withTempDir((dir) => appendThroughput(dir, 100_000, 256, Infinity));
    await withTempDir((dir) => appendThroughput(dir, 100_000, 64, 1000));
  });

  test('recovery of 100k messages', { timeout: 300_000 }, async () => {
    await withTempDir((dir) => recoveryTime(dir, 100_000));
  });

  test(
    'recovery of 1M messages (WARREN_STORE_BIG=1)',
    { timeout: 900_000, skip: process.env.WARREN_STORE_BIG !== '1' && 'set WARREN_STORE_BIG=1' },
    async () => {
      await withTempDir((dir) => recoveryTime(dir, 1_000_000));
    },
  );
});
