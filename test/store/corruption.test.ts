/**
 * Damaged files: a last segment cut at random offsets (a torn tail) keeps every complete record before
 * the cut and reports the drop; a flipped byte anywhere in a record loses that record only; files from
 * another format or version are refused with a clear error. Offsets and bytes come from a seeded PRNG.
 */
import assert from 'node:assert/strict';
import { cp, readdir, readFile, rm, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import type { MessageRef } from '../../src/store/message-store.js';
import { StoreFormatError } from '../../src/store/record-format.js';
import { SegmentStore } from '../../src/store/segment-store.js';
import { numbered, prng, recoveredIds, withTempDir } from './helpers.js';

const SEGMENT = 'msgs.0000000001';

/** A store with `count` random-sized messages in msgs.0000000001 (queues 1 and 2); returns their refs. */
async function makeStore(dir: string, count: number, seed: number): Promise<MessageRef[]> {
  const rnd = prng(seed);
  const store = new SegmentStore(dir);
  await store.open();
  const refs: MessageRef[] = [];
  for (let i = 0; i < count; i++) {
    refs.push(store.append(i % 4 === 0 ? [1, 2] : [1], numbered(i, 4 + Math.floor(rnd() * 1500), rnd)));
  }
  await store.close();
  return refs;
}

/** Closes `store` and reopens its directory. */
async function openAfter(store: SegmentStore, dir: string) {
  await store.close();
  const again = new SegmentStore(dir);
  return { store: again, report: await again.open() };
}

async function openIds(dir: string) {
  const store = new SegmentStore(dir);
  const report = await store.open();
  const ids = await recoveredIds(store, report);
  await store.close();
  return { report, q1: (ids.get(1) ?? []).map((e) => e.id), q2: (ids.get(2) ?? []).map((e) => e.id) };
}

describe('SegmentStore damaged files', () => {
  test('torn tail at random offsets: complete records before the cut survive, the drop is reported', async () => {
    await withTempDir(async (root) => {
      const original = join(root, 'original');
      const refs = await makeStore(original, 200, 11);
      const size = (await readFile(join(original, SEGMENT))).length;
      const rnd = prng(12);
      const cuts = [0, 3, 8, 9, size - 1, ...Array.from({ length: 40 }, () => Math.floor(rnd() * size))];
      for (const cut of cuts) {
        const dir = join(root, `cut-${cut}`);
        await cp(original, dir, { recursive: true });
        await truncate(join(dir, SEGMENT), cut);
        const { report, q1, q2 } = await openIds(dir);
        const complete = refs.map((r, i) => ({ r, i })).filter(({ r }) => r.offset + r.size <= cut);
        assert.deepEqual(
          q1,
          complete.map(({ i }) => i),
          `cut at ${cut}: queue 1`,
        );
        assert.deepEqual(
          q2,
          complete.filter(({ i }) => i % 4 === 0).map(({ i }) => i),
          `cut at ${cut}: queue 2`,
        );
        const atBoundary = cut === 8 || refs.some((r) => r.offset + r.size === cut);
        assert.equal(
          report.dropped.length,
          atBoundary ? 0 : 1,
          `cut at ${cut}: ${JSON.stringify(report.dropped)}`,
        );
        if (!atBoundary) assert.equal(report.dropped[0]!.segment, 1);

        // the repair sticks: a second open finds nothing to drop and the same messages
        const second = await openIds(dir);
        assert.deepEqual(second.report.dropped, []);
        assert.deepEqual(second.q1, q1);
        await rm(dir, { recursive: true });
      }
    });
  });

  test('a flipped byte inside a record loses that record only', async () => {
    await withTempDir(async (root) => {
      const original = join(root, 'original');
      const refs = await makeStore(original, 120, 21);
      const image = await readFile(join(original, SEGMENT));
      const rnd = prng(22);
      for (let round = 0; round < 60; round++) {
        const victim = Math.floor(rnd() * refs.length);
        const ref = refs[victim]!;
        // bias a third of the flips into the 9-byte record header (length, crc, type)
        const at = ref.offset + Math.floor(rnd() * (rnd() < 0.33 ? 9 : ref.size));
        const damaged = Buffer.from(image);
        damaged[at] = damaged[at]! ^ (1 + Math.floor(rnd() * 255));
        const dir = join(root, `flip-${round}`);
        await cp(original, dir, { recursive: true });
        await writeFile(join(dir, SEGMENT), damaged);
        const { report, q1, q2 } = await openIds(dir);
        const want = refs.map((_, i) => i).filter((i) => i !== victim);
        const what = `round ${round}: record ${victim}, byte ${at - ref.offset} of ${ref.size}`;
        assert.deepEqual(q1, want, what);
        assert.deepEqual(
          q2,
          want.filter((i) => i % 4 === 0),
          what,
        );
        assert.ok(report.dropped.length >= 1, `${what}: reported`);
        assert.ok(
          report.dropped.every((d) => d.segment === 1 && d.offset === ref.offset),
          what,
        );
        await rm(dir, { recursive: true });
      }
    });
  });

  test('a corrupt acks file drops the damaged marks only', async () => {
    await withTempDir(async (dir) => {
      const store = new SegmentStore(dir);
      await store.open();
      const refs = Array.from({ length: 10 }, (_, i) => store.append([1], numbered(i)));
      for (const r of refs.slice(0, 6)) store.ack(1, r);
      await store.close();
      const path = join(dir, 'acks.0000000001');
      const acks = await readFile(path);
      acks[8 + 17 * 2 + 12] = acks[8 + 17 * 2 + 12]! ^ 0xff; // the third ack's payload
      await writeFile(path, acks);
      const { report, q1 } = await openIds(dir);
      assert.deepEqual(q1, [2, 6, 7, 8, 9], 'the message whose ack was damaged comes back (at-least-once)');
      assert.equal(report.dropped.length, 1);
      assert.match(report.dropped[0]!.reason, /acks\.1/);
    });
  });

  test('a torn acks tail is cut before new acks are appended after it', async () => {
    await withTempDir(async (dir) => {
      const store = new SegmentStore(dir);
      await store.open();
      for (let i = 0; i < 10; i++) store.append([1], numbered(i));
      const first = await openAfter(store, dir);
      for (const e of first.report.queues.get(1)!.slice(0, 3)) first.store.ack(1, e.ref);
      await first.store.close();
      const path = join(dir, 'acks.0000000001');
      await truncate(path, (await readFile(path)).length - 5); // the third ack is torn

      const second = new SegmentStore(dir);
      const report = await second.open();
      assert.deepEqual(
        (await recoveredIds(second, report)).get(1)!.map((e) => e.id),
        [2, 3, 4, 5, 6, 7, 8, 9],
      );
      assert.equal(report.dropped.length, 1);
      for (const e of report.queues.get(1)!.slice(0, 2)) second.ack(1, e.ref); // appended to acks.1
      await second.close();

      const third = await openIds(dir);
      assert.deepEqual(third.q1, [4, 5, 6, 7, 8, 9]);
      assert.deepEqual(third.report.dropped, [], 'the new acks follow valid data, not a torn record');
    });
  });

  test('an orphan acks file (its messages file gone) is deleted at open', async () => {
    await withTempDir(async (dir) => {
      const store = new SegmentStore(dir);
      await store.open();
      const ref = store.append([1], numbered(1));
      store.append([1], numbered(2));
      store.ack(1, ref);
      await store.close();
      await rm(join(dir, SEGMENT));
      const { q1 } = await openIds(dir);
      assert.deepEqual(q1, []);
      assert.ok(!(await readdir(dir)).includes('acks.0000000001'));
    });
  });

  test('a file with a wrong magic is refused with a clear message', async () => {
    await withTempDir(async (dir) => {
      await writeFile(join(dir, SEGMENT), Buffer.from('RMQS\x00\x01M\x00 some other format'));
      const store = new SegmentStore(dir);
      await assert.rejects(store.open(), (err: Error) => {
        assert.ok(err instanceof StoreFormatError);
        assert.match(err.message, /msgs\.1: not a Warren message store file \(expected magic "WRNS"/);
        return true;
      });
      assert.equal((await readFile(join(dir, SEGMENT))).toString('latin1', 0, 4), 'RMQS', 'left untouched');
    });
  });

  test('a file with another format version is refused with a clear message', async () => {
    await withTempDir(async (dir) => {
      const header = Buffer.from('WRNS\x00\x02M\x00', 'latin1');
      await writeFile(join(dir, SEGMENT), header);
      await assert.rejects(
        new SegmentStore(dir).open(),
        /format version 2, but this Warren reads only version 1/,
      );
      await writeFile(join(dir, SEGMENT), Buffer.from('WRNS\x00\x01A\x00', 'latin1'));
      await assert.rejects(new SegmentStore(dir).open(), /file kind 'A' where 'M' was expected/);
      await writeFile(join(dir, SEGMENT), Buffer.from('XY'));
      await assert.rejects(new SegmentStore(dir).open(), /not a Warren message store file/);
    });
  });
});
