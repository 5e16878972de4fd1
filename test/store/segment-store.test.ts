/**
 * SegmentStore semantics across close and reopen, on real files: per-queue order, acks, delivered
 * marks, dropQueue, fan-out to several queues, read(ref), and a seeded random run against a model.
 */
import assert from 'node:assert/strict';
import { readdir } from 'node:fs/promises';
import { describe, test } from 'node:test';
import type { MessageRef } from '../../src/store/message-store.js';
import { SegmentStore } from '../../src/store/segment-store.js';
import { idOf, numbered, prng, recoveredIds, synced, withTempDir } from './helpers.js';

async function reopen(dir: string, options: ConstructorParameters<typeof SegmentStore>[1] = {}) {
  const store = new SegmentStore(dir, options);
  const report = await store.open();
  return { store, report, ids: await recoveredIds(store, report) };
}

function ids(list: { id: number }[] | undefined): number[] {
  return (list ?? []).map((e) => e.id);
}

describe('SegmentStore recovery', () => {
  test('an empty directory opens to nothing', async () => {
    await withTempDir(async (dir) => {
      const { store, report } = await reopen(dir);
      assert.equal(report.queues.size, 0);
      assert.deepEqual(report.dropped, []);
      await store.close();
    });
  });

  test('unacked messages come back per queue in order; delivered ones come back redelivered', async () => {
    await withTempDir(async (dir) => {
      const store = new SegmentStore(dir);
      await store.open();
      const refs = new Map<number, MessageRef>();
      for (let i = 0; i < 60; i++) refs.set(i, store.append([i % 3], numbered(i, 10 + i * 37)));
      for (let i = 0; i < 60; i += 4) store.ack(i % 3, refs.get(i)!);
      for (let i = 1; i < 60; i += 5) store.delivered(i % 3, refs.get(i)!);
      store.delivered(0, refs.get(0)!); // delivered, then acked: the ack wins
      await store.close();

      const r = await reopen(dir);
      for (const q of [0, 1, 2]) {
        const expected = [];
        for (let i = q; i < 60; i += 3) if (i % 4 !== 0) expected.push({ id: i, redelivered: i % 5 === 1 });
        assert.deepEqual(r.ids.get(q), expected, `queue ${q}`);
      }
      await r.store.close();
    });
  });

  test('recovered refs are still valid: ack after restart sticks, read returns the message', async () => {
    await withTempDir(async (dir) => {
      const store = new SegmentStore(dir);
      await store.open();
      for (let i = 0; i < 10; i++) store.append([7], numbered(i, 5000));
      await store.close();

      const a = await reopen(dir, { eagerLoadBytes: 0 });
      const entries = a.report.queues.get(7)!;
      assert.equal(entries.length, 10);
      assert.equal(entries[0]!.message, undefined, 'lazy: nothing loaded');
      const m = await a.store.read(entries[3]!.ref);
      assert.equal(idOf(m), 3);
      assert.equal(m.body.length, 5000);
      assert.equal(m.exchange, 'amq.direct');
      assert.equal(m.routingKey, 'key.3');
      assert.deepEqual([...m.properties], [0x10, 0x00, 0x02]);
      for (const e of entries.slice(0, 5)) a.store.ack(7, e.ref);
      await a.store.close();

      const b = await reopen(dir);
      assert.deepEqual(ids(b.ids.get(7)), [5, 6, 7, 8, 9]);
      assert.ok(b.report.queues.get(7)![0]!.message !== undefined, 'small store: loaded eagerly');
      await b.store.close();
    });
  });

  test('read works for a message still in the write buffer', async () => {
    await withTempDir(async (dir) => {
      const store = new SegmentStore(dir);
      await store.open();
      const ref = store.append([1], numbered(42, 300));
      assert.equal(idOf(await store.read(ref)), 42);
      await store.close();
    });
  });

  test('dropQueue removes all of its messages, and only its own', async () => {
    await withTempDir(async (dir) => {
      const store = new SegmentStore(dir);
      await store.open();
      for (let i = 0; i < 20; i++) store.append(i % 2 === 0 ? [1, 2] : [1], numbered(i));
      store.dropQueue(1);
      store.append([1], numbered(100)); // the same id reused after the drop: a new queue
      await store.close();

      const r = await reopen(dir);
      assert.deepEqual(ids(r.ids.get(1)), [100]);
      assert.deepEqual(
        ids(r.ids.get(2)),
        Array.from({ length: 10 }, (_, k) => k * 2),
      );
      await r.store.close();

      // the drop survives a second restart (queues.log compaction keeps it while it matters)
      const again = await reopen(dir);
      assert.deepEqual(ids(again.ids.get(1)), [100]);
      await again.store.close();
    });
  });

  test('a message in 3 queues acked by 2 stays for the third', async () => {
    await withTempDir(async (dir) => {
      const store = new SegmentStore(dir);
      await store.open();
      const ref = store.append([1, 2, 3], numbered(5));
      store.ack(1, ref);
      store.ack(3, ref);
      await store.close();

      const r = await reopen(dir);
      assert.deepEqual([...r.ids.keys()], [2]);
      assert.deepEqual(ids(r.ids.get(2)), [5]);
      const ref2 = r.report.queues.get(2)![0]!.ref;
      assert.deepEqual(ref2, ref, 'same ref as at append time');
      r.store.ack(2, ref2);
      await r.store.close();

      const last = await reopen(dir);
      assert.equal(last.report.queues.size, 0);
      await last.store.close();
      assert.deepEqual(await readdir(dir), ['msgs.0000000003'], 'only the fresh current segment is left');
    });
  });

  test('a late ack for a dropped queue is ignored', async () => {
    await withTempDir(async (dir) => {
      const store = new SegmentStore(dir);
      await store.open();
      const ref = store.append([1, 2], numbered(1));
      store.dropQueue(1);
      store.ack(1, ref);
      assert.equal(store.stats.ignoredAcks, 1);
      await store.close();
      const r = await reopen(dir);
      assert.deepEqual(ids(r.ids.get(2)), [1]);
      await r.store.close();
    });
  });

  test('misuse is refused: append before open, no queues, long routing key', async () => {
    await withTempDir(async (dir) => {
      const store = new SegmentStore(dir);
      assert.throws(() => store.append([1], numbered(1)), /not open/);
      await store.open();
      assert.throws(() => store.append([], numbered(1)), RangeError);
      assert.throws(() => store.append([1], { ...numbered(1), routingKey: 'x'.repeat(256) }), RangeError);
      await store.close();
      assert.throws(() => store.append([1], numbered(1)), /closed/);
    });
  });

  test('random operations across restarts match a model (seeded)', async () => {
    for (const seed of [1, 2, 3]) {
      await withTempDir(async (dir) => {
        const rnd = prng(seed);
        // model: queue -> ordered [id, ref, redelivered]
        const model = new Map<number, { id: number; ref: MessageRef; redelivered: boolean }[]>();
        let nextId = 0;
        for (let round = 0; round < 6; round++) {
          const store = new SegmentStore(dir, { segmentSize: 4096 });
          const report = await store.open();
          const got = await recoveredIds(store, report);
          const want = new Map([...model].filter(([, l]) => l.length > 0));
          assert.deepEqual(
            new Map([...got].map(([q, l]) => [q, l])),
            new Map([...want].map(([q, l]) => [q, l.map((e) => ({ id: e.id, redelivered: e.redelivered }))])),
            `seed ${seed} round ${round}`,
          );
          for (const [q, entries] of report.queues) {
            model.set(
              q,
              entries.map((e, i) => ({ id: model.get(q)![i]!.id, ref: e.ref, redelivered: e.redelivered })),
            );
          }
          for (let op = 0; op < 300; op++) {
            const r = rnd();
            const q = Math.floor(rnd() * 5);
            if (r < 0.5) {
              const qs = [q];
              if (rnd() < 0.3) qs.push((q + 1) % 5);
              const id = nextId++;
              const ref = store.append(qs, numbered(id, 4 + Math.floor(rnd() * 700)));
              for (const x of qs) {
                if (!model.has(x)) model.set(x, []);
                model.get(x)!.push({ id, ref, redelivered: false });
              }
            } else if (r < 0.85) {
              const list = model.get(q);
              if (list === undefined || list.length === 0) continue;
              const i = Math.floor(rnd() * Math.min(list.length, 4)); // mostly near the head
              store.ack(q, list[i]!.ref);
              list.splice(i, 1);
            } else if (r < 0.97) {
              const list = model.get(q);
              if (list === undefined || list.length === 0) continue;
              const e = list[Math.floor(rnd() * list.length)]!;
              store.delivered(q, e.ref);
              e.redelivered = true;
            } else {
              store.dropQueue(q);
              model.delete(q);
            }
            if (rnd() < 0.05) await synced(store);
          }
          await store.close();
        }
      });
    }
  });
});
