/**
 * Returned-marks (delivery counts): the latest count per (queue, message) survives a restart and
 * marks the message redelivered; acks, dropQueue and segment reclaim win over them, and they never
 * bring a message back; a torn or corrupt returned-mark costs only that mark.
 */
import assert from 'node:assert/strict';
import { readdir, readFile, rm, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import type { MessageRef, RecoveryReport } from '../../src/store/message-store.js';
import { SegmentStore } from '../../src/store/segment-store.js';
import { idOf, numbered, synced, withTempDir } from './helpers.js';

const ACKS = 'acks.0000000001';
/** record header 9 + queue id, offset, count */
const RETURNED_RECORD = 21;

async function reopen(dir: string, segmentSize?: number) {
  const store = new SegmentStore(dir, segmentSize === undefined ? {} : { segmentSize });
  return { store, report: await store.open() };
}

/** queue -> [message id, deliveryCount, redelivered] (messages are loaded eagerly at this size) */
function counts(report: RecoveryReport, queueId: number): [number, number | undefined, boolean][] {
  return (report.queues.get(queueId) ?? []).map((e) => [idOf(e.message!), e.deliveryCount, e.redelivered]);
}

describe('SegmentStore returned-marks', () => {
  test('the latest count per queue and message survives a restart, and more can follow', async () => {
    await withTempDir(async (dir) => {
      const store = new SegmentStore(dir);
      await store.open();
      const refs: MessageRef[] = [];
      for (let i = 0; i < 6; i++) refs.push(store.append([1, 2], numbered(i)));
      store.returned(1, refs[0]!, 1);
      store.returned(1, refs[0]!, 2);
      store.returned(1, refs[0]!, 3);
      store.returned(1, refs[2]!, 5);
      store.returned(1, refs[2]!, 2); // latest wins, not the largest
      store.returned(2, refs[3]!, 1); // queue 2 only: queue 1's copy of message 3 was never returned
      store.delivered(1, refs[4]!);
      store.returned(1, refs[5]!, 0); // a zero count reads as never returned
      await store.close(); // never waited on: close flushes

      const first = await reopen(dir);
      assert.deepEqual(counts(first.report, 1), [
        [0, 3, true],
        [1, undefined, false],
        [2, 2, true],
        [3, undefined, false],
        [4, undefined, true],
        [5, undefined, false],
      ]);
      assert.deepEqual(counts(first.report, 2), [
        [0, undefined, false],
        [1, undefined, false],
        [2, undefined, false],
        [3, 1, true],
        [4, undefined, false],
        [5, undefined, false],
      ]);
      // after the restart the old segment's acks file takes further marks
      first.store.returned(1, first.report.queues.get(1)![0]!.ref, 4);
      first.store.returned(1, first.report.queues.get(1)![1]!.ref, 1);
      await first.store.close();

      const second = await reopen(dir);
      assert.deepEqual(counts(second.report, 1).slice(0, 3), [
        [0, 4, true],
        [1, 1, true],
        [2, 2, true],
      ]);
      assert.deepEqual(second.report.dropped, []);
      await second.store.close();
    });
  });

  test('an ack wins over returned-marks, before or after them; dropQueue too', async () => {
    await withTempDir(async (dir) => {
      const store = new SegmentStore(dir);
      await store.open();
      const refs = Array.from({ length: 4 }, (_, i) => store.append([1, 2], numbered(i)));
      store.returned(1, refs[0]!, 1);
      store.ack(1, refs[0]!);
      store.ack(1, refs[1]!);
      store.returned(1, refs[1]!, 7); // a late mark after the ack: must not bring it back
      store.returned(2, refs[2]!, 2);
      store.dropQueue(2);
      store.returned(2, refs[3]!, 3); // after the drop: ignored
      await store.close();

      const { store: again, report } = await reopen(dir);
      assert.deepEqual(counts(report, 1), [
        [2, undefined, false],
        [3, undefined, false],
      ]);
      assert.equal(report.queues.has(2), false);
      await again.close();
    });
  });

  test('segments whose messages are all acked are reclaimed despite returned-marks, which resurrect nothing', async () => {
    await withTempDir(async (dir) => {
      const store = new SegmentStore(dir, { segmentSize: 4096 });
      await store.open();
      const refs = Array.from({ length: 60 }, (_, i) => store.append([1], numbered(i, 300)));
      for (const r of refs) store.returned(1, r, 1);
      for (const r of refs.slice(0, 50)) store.returned(1, r, 2);
      await synced(store);
      const segmentsBefore = new Set(refs.map((r) => r.segment)).size;
      assert.ok(segmentsBefore >= 5, `spread over ${segmentsBefore} segments`);
      for (const r of refs.slice(0, 50)) store.ack(1, r);
      await store.close();
      assert.ok(store.stats.segmentsReclaimed >= 3, `reclaimed ${store.stats.segmentsReclaimed}`);
      const live = [...new Set(refs.slice(50).map((r) => r.segment))];
      const files = (await readdir(dir)).filter((n) => /^(msgs|acks)\./.test(n));
      const segmentsOf = (kind: string): number[] =>
        files.filter((f) => f.startsWith(kind)).map((f) => Number(f.slice(5)));
      assert.deepEqual(segmentsOf('msgs.').sort(), live.sort(), 'only segments with live messages remain');
      assert.ok(
        segmentsOf('acks.').every((s) => live.includes(s)),
        'their acks files went with them',
      );

      const first = await reopen(dir, 4096);
      assert.deepEqual(
        counts(first.report, 1).map(([id, n]) => [id, n]),
        Array.from({ length: 10 }, (_, k) => [50 + k, 1]),
      );
      for (const e of first.report.queues.get(1)!) first.store.ack(1, e.ref);
      await first.store.close();

      const second = await reopen(dir, 4096);
      assert.equal(second.report.queues.size, 0);
      assert.deepEqual(second.report.dropped, []);
      const left = (await readdir(dir)).filter((n) => /^(msgs|acks)\./.test(n));
      assert.equal(left.length, 1, `left: ${left.join(' ')}`);
      await second.store.close();
    });
  });

  test('an orphan acks file of returned-marks (its messages file gone) is deleted, nothing comes back', async () => {
    await withTempDir(async (dir) => {
      const store = new SegmentStore(dir);
      await store.open();
      const ref = store.append([1], numbered(1));
      store.returned(1, ref, 3);
      await store.close();
      // a crash between reclaim's two unlinks leaves exactly this
      await rm(join(dir, 'msgs.0000000001'));
      const { store: again, report } = await reopen(dir);
      assert.equal(report.queues.size, 0);
      assert.ok(!(await readdir(dir)).includes(ACKS));
      await again.close();
    });
  });

  test('a torn tail in the middle of a returned-mark: the previous count stands, new marks follow clean', async () => {
    await withTempDir(async (dir) => {
      const store = new SegmentStore(dir);
      await store.open();
      const a = store.append([1], numbered(1));
      const b = store.append([1], numbered(2));
      store.returned(1, a, 1);
      store.returned(1, b, 1);
      store.returned(1, a, 2);
      await store.close();
      const path = join(dir, ACKS);
      const whole = await readFile(path);
      const size = whole.length;
      assert.equal(size, 8 + 3 * RETURNED_RECORD);
      for (const cut of [size - 1, size - 4, size - 12, size - RETURNED_RECORD + 3]) {
        await writeFile(path, whole);
        await truncate(path, cut);
        const { store: again, report } = await reopen(dir);
        assert.deepEqual(
          counts(report, 1),
          [
            [1, 1, true],
            [2, 1, true],
          ],
          `cut at ${cut}`,
        );
        assert.equal(report.dropped.length, 1, `cut at ${cut}`);
        assert.match(report.dropped[0]!.reason, /acks\.1: .*torn tail/);
        await again.close();
        assert.equal((await readFile(path)).length, size - RETURNED_RECORD, 'the torn mark is cut off');
      }

      const { store: again, report } = await reopen(dir);
      again.returned(1, report.queues.get(1)![0]!.ref, 5); // appended right after the repaired end
      await again.close();
      const last = await reopen(dir);
      assert.deepEqual(counts(last.report, 1), [
        [1, 5, true],
        [2, 1, true],
      ]);
      assert.deepEqual(last.report.dropped, []);
      await last.store.close();
    });
  });

  test('a corrupt returned-mark is skipped; marks around it still count', async () => {
    await withTempDir(async (dir) => {
      const store = new SegmentStore(dir);
      await store.open();
      const refs = Array.from({ length: 3 }, (_, i) => store.append([1], numbered(i)));
      store.returned(1, refs[0]!, 1);
      store.returned(1, refs[0]!, 2);
      store.ack(1, refs[1]!);
      store.returned(1, refs[2]!, 9);
      await store.close();
      const path = join(dir, ACKS);
      const image = await readFile(path);
      // the count of the second mark: 1 -> 2 is lost, 8 bytes of header + one mark + 9 + 8
      const at = 8 + RETURNED_RECORD + 9 + 11;
      image[at] = image[at]! ^ 0x04;
      await writeFile(path, image);
      const { store: again, report } = await reopen(dir);
      assert.deepEqual(counts(report, 1), [
        [0, 1, true],
        [2, 9, true],
      ]);
      assert.equal(report.dropped.length, 1);
      assert.equal(report.dropped[0]!.offset, 8 + RETURNED_RECORD);
      await again.close();
    });
  });

  test('a count that is not a u32 is refused', async () => {
    await withTempDir(async (dir) => {
      const store = new SegmentStore(dir);
      await store.open();
      const ref = store.append([1], numbered(1));
      for (const n of [-1, 1.5, 2 ** 32, Number.NaN]) {
        assert.throws(() => store.returned(1, ref, n), RangeError, String(n));
      }
      await store.close();
    });
  });
});
