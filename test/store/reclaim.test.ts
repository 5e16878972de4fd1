/**
 * Segment rollover and reclaim: with a small segmentSize messages spread over many msgs.N files; once
 * everything in a segment is acked (or its queue dropped) msgs.N and acks.N are deleted, and recovery
 * afterwards still returns exactly the live messages.
 */
import assert from 'node:assert/strict';
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import type { MessageRef } from '../../src/store/message-store.js';
import { SegmentStore } from '../../src/store/segment-store.js';
import { numbered, recoveredIds, synced, withTempDir } from './helpers.js';

async function segmentFiles(dir: string): Promise<string[]> {
  return (await readdir(dir)).filter((n) => /^(msgs|acks)\./.test(n)).sort();
}

async function totalSize(dir: string): Promise<number> {
  let total = 0;
  for (const n of await readdir(dir)) total += (await stat(join(dir, n))).size;
  return total;
}

describe('SegmentStore rollover and reclaim', () => {
  test('acking everything in old segments deletes their files; recovery still right', async () => {
    await withTempDir(async (dir) => {
      const store = new SegmentStore(dir, { segmentSize: 8192 });
      await store.open();
      const refs: MessageRef[] = [];
      for (let i = 0; i < 200; i++) refs.push(store.append([1], numbered(i, 500)));
      await synced(store);
      const segments = new Set(refs.map((r) => r.segment));
      assert.ok(segments.size >= 12, `spread over ${segments.size} segments`);
      for (const r of refs) assert.ok(r.offset + r.size <= 8192, 'no segment grows past segmentSize');
      assert.equal(store.diskBytes, await totalSize(dir));

      // ack the first 150: every segment holding only those becomes dead
      for (const r of refs.slice(0, 150)) store.ack(1, r);
      await store.close();
      const liveSegments = new Set(refs.slice(150).map((r) => r.segment));
      const files = await segmentFiles(dir);
      const msgs = files.filter((f) => f.startsWith('msgs.')).map((f) => Number(f.slice(5)));
      assert.deepEqual(
        msgs,
        [...liveSegments].sort((a, b) => a - b),
        'only segments with live messages remain',
      );
      assert.ok(files.filter((f) => f.startsWith('acks.')).every((f) => msgs.includes(Number(f.slice(5)))));
      assert.ok(store.stats.segmentsReclaimed >= 10);

      const again = new SegmentStore(dir, { segmentSize: 8192 });
      const report = await again.open();
      const ids = await recoveredIds(again, report);
      assert.deepEqual(
        ids.get(1)!.map((e) => e.id),
        Array.from({ length: 50 }, (_, k) => 150 + k),
      );
      assert.equal(again.diskBytes, await totalSize(dir));
      // ack the rest after the restart: their segments go too
      for (const e of report.queues.get(1)!) again.ack(1, e.ref);
      await again.close();
      const left = await segmentFiles(dir);
      assert.equal(left.length, 1, `left: ${left.join(' ')}`);
      assert.equal(
        (await stat(join(dir, left[0]!))).size,
        8,
        'only the empty current segment (its header) is left',
      );
    });
  });

  test('dropQueue releases its references: segments held only by it are deleted', async () => {
    await withTempDir(async (dir) => {
      const store = new SegmentStore(dir, { segmentSize: 4096 });
      await store.open();
      for (let i = 0; i < 100; i++) store.append([i < 80 ? 1 : 2], numbered(i, 300));
      store.dropQueue(1);
      await store.close();
      assert.ok(store.stats.segmentsReclaimed >= 5, `reclaimed ${store.stats.segmentsReclaimed}`);

      const again = new SegmentStore(dir, { segmentSize: 4096 });
      const report = await again.open();
      const ids = await recoveredIds(again, report);
      assert.deepEqual([...ids.keys()], [2]);
      assert.deepEqual(
        ids.get(2)!.map((e) => e.id),
        Array.from({ length: 20 }, (_, k) => 80 + k),
      );
      await again.close();
    });
  });

  test('a record larger than segmentSize gets a segment of its own', async () => {
    await withTempDir(async (dir) => {
      const store = new SegmentStore(dir, { segmentSize: 4096 });
      await store.open();
      const a = store.append([1], numbered(1, 100));
      const big = store.append([1], numbered(2, 20_000));
      const c = store.append([1], numbered(3, 100));
      assert.notEqual(a.segment, big.segment);
      assert.notEqual(big.segment, c.segment);
      assert.equal(big.offset, 8, 'right after the file header');
      await store.close();
      const again = new SegmentStore(dir, { segmentSize: 4096 });
      const ids = await recoveredIds(again, await again.open());
      assert.deepEqual(
        ids.get(1)!.map((e) => e.id),
        [1, 2, 3],
      );
      await again.close();
    });
  });
});
