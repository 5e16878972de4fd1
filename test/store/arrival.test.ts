/**
 * Arrival times: a message appended with `arrivedAt` gets it back from read() and from recovery (eager
 * and lazy), one appended without has none; directories written before arrival times existed (type-1
 * records, built byte by byte) still open, and take timed messages afterwards.
 */
import assert from 'node:assert/strict';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import type { MessageRef, RecoveredEntry } from '../../src/store/message-store.js';
import { SegmentStore } from '../../src/store/segment-store.js';
import { idOf, numbered, synced, withTempDir } from './helpers.js';
import { oldAcksFile, oldMessagesFile } from './old-format.js';

const T0 = 1_763_700_000_000;

/** Message i arrives at T0 + i * 1000 when i is even; odd ones carry no time. */
function arrival(i: number): number | undefined {
  return i % 2 === 0 ? T0 + i * 1000 : undefined;
}

function message(i: number) {
  const at = arrival(i);
  return at === undefined ? numbered(i) : { ...numbered(i), arrivedAt: at };
}

async function reopen(dir: string, eagerLoadBytes: number) {
  const store = new SegmentStore(dir, { eagerLoadBytes });
  return { store, report: await store.open() };
}

describe('SegmentStore arrival times', () => {
  test('read() returns arrivedAt, from the write buffer and from disk', async () => {
    await withTempDir(async (dir) => {
      const store = new SegmentStore(dir);
      await store.open();
      const refs = Array.from({ length: 6 }, (_, i) => store.append([1], message(i)));
      const fromBuffer = await Promise.all(refs.map((r) => store.read(r))); // read waits for the flush
      await synced(store);
      const fromDisk = await Promise.all(refs.map((r) => store.read(r)));
      for (const got of [fromBuffer, fromDisk]) {
        assert.deepEqual(got.map(idOf), [0, 1, 2, 3, 4, 5]);
        assert.deepEqual(
          got.map((m) => m.arrivedAt),
          [0, 1, 2, 3, 4, 5].map(arrival),
        );
        assert.ok(!('arrivedAt' in got[1]!), 'a message appended without a time reads back without one');
      }
      assert.equal(refs[0]!.size, refs[1]!.size + 8, 'the time costs 8 bytes, and only when given');
      await store.close();
    });
  });

  for (const mode of ['eager', 'lazy'] as const) {
    test(`recovery (${mode}) reports arrivedAt per entry, for every queue a message went to`, async () => {
      await withTempDir(async (dir) => {
        const store = new SegmentStore(dir);
        await store.open();
        const refs: MessageRef[] = [];
        for (let i = 0; i < 40; i++) refs.push(store.append(i % 3 === 0 ? [1, 2] : [1], message(i)));
        store.ack(1, refs[4]!);
        store.ack(1, refs[7]!);
        await store.close();

        const { store: again, report } = await reopen(dir, mode === 'eager' ? Infinity : 0);
        const check = async (entries: RecoveredEntry[], want: number[]): Promise<void> => {
          assert.equal(entries.length, want.length);
          for (const [k, e] of entries.entries()) {
            const i = want[k]!;
            assert.equal(e.arrivedAt, arrival(i), `message ${i}: entry`);
            if (mode === 'eager') assert.ok(e.message !== undefined);
            else assert.equal(e.message, undefined);
            const m = e.message ?? (await again.read(e.ref));
            assert.equal(idOf(m), i);
            assert.equal(m.arrivedAt, arrival(i), `message ${i}: ${mode === 'eager' ? 'loaded' : 'read'}`);
            assert.equal(e.deliveryCount, undefined);
          }
        };
        const all = Array.from({ length: 40 }, (_, i) => i);
        await check(
          report.queues.get(1)!,
          all.filter((i) => i !== 4 && i !== 7),
        );
        await check(
          report.queues.get(2)!,
          all.filter((i) => i % 3 === 0),
        );
        await again.close();
      });
    });
  }

  test('a flipped byte in an arrival time loses that record only, never a wrong time', async () => {
    await withTempDir(async (dir) => {
      const store = new SegmentStore(dir);
      await store.open();
      const refs = Array.from({ length: 5 }, (_, i) => store.append([1], message(i * 2)));
      await store.close();
      const path = join(dir, 'msgs.0000000001');
      const image = await readFile(path);
      const at = refs[2]!.offset + 9 + 7; // low byte of message 4's arrivedAt
      image[at] = image[at]! ^ 0x01;
      await writeFile(path, image);
      const { store: again, report } = await reopen(dir, Infinity);
      assert.deepEqual(
        report.queues.get(1)!.map((e) => [idOf(e.message!), e.arrivedAt]),
        [0, 2, 6, 8].map((i) => [i, arrival(i)]),
      );
      assert.equal(report.dropped.length, 1);
      assert.equal(report.dropped[0]!.offset, refs[2]!.offset);
      await again.close();
    });
  });

  test('a directory written before arrival times opens as before, then takes timed messages', async () => {
    await withTempDir(async (dir) => {
      await mkdir(dir, { recursive: true });
      const properties = Buffer.from([0x10, 0x00, 0x02]);
      const old = oldMessagesFile(
        Array.from({ length: 5 }, (_, i) => ({
          queues: i === 0 ? [1, 2] : [1],
          exchange: 'amq.direct',
          routingKey: `old.${i}`,
          properties,
          body: Buffer.from(`old message ${i}`),
        })),
      );
      await writeFile(join(dir, 'msgs.0000000001'), old.bytes);
      await writeFile(
        join(dir, 'acks.0000000001'),
        oldAcksFile([
          { type: 'ack', queue: 1, offset: old.offsets[1]! },
          { type: 'delivered', queue: 1, offset: old.offsets[3]! },
        ]),
      );

      for (const mode of ['lazy', 'eager'] as const) {
        const { store, report } = await reopen(dir, mode === 'eager' ? Infinity : 0);
        assert.deepEqual(report.dropped, [], mode);
        const q1 = report.queues.get(1)!;
        const messages = await Promise.all(q1.map(async (e) => e.message ?? (await store.read(e.ref))));
        assert.deepEqual(
          messages.map((m) => [m.body.toString(), m.routingKey]),
          [0, 2, 3, 4].map((i) => [`old message ${i}`, `old.${i}`]),
        );
        assert.deepEqual(
          q1.map((e) => e.redelivered),
          [false, false, true, false],
        );
        for (const [k, e] of q1.entries()) {
          assert.ok(!('arrivedAt' in e) && !('deliveryCount' in e), `${mode}: no new fields on old entries`);
          assert.deepEqual(messages[k]!.properties, properties);
          assert.ok(!('arrivedAt' in messages[k]!));
        }
        assert.deepEqual(
          report.queues.get(2)!.map((e) => e.ref.offset),
          [old.offsets[0]],
        );
        await store.close();
      }

      // the same directory now gets a timed message in a new segment; both kinds come back
      const { store, report } = await reopen(dir, Infinity);
      store.append([1], { ...numbered(99), arrivedAt: T0 });
      store.ack(1, report.queues.get(1)![0]!.ref);
      await store.close();
      const last = await reopen(dir, Infinity);
      assert.deepEqual(
        last.report.queues.get(1)!.map((e) => e.arrivedAt),
        [undefined, undefined, undefined, T0],
      );
      assert.equal(idOf(last.report.queues.get(1)![3]!.message!), 99);
      await last.store.close();
    });
  });
});
