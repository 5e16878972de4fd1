/**
 * Group commit: whenSynced callbacks run only after the datasync of the flush that wrote their records,
 * many appends share one flush, and a callback registered while a flush is writing waits for the next.
 * FileHandle.prototype.datasync is wrapped to count completions and, in one test, to hold a flush open.
 */
import assert from 'node:assert/strict';
import { open, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { SegmentStore } from '../../src/store/segment-store.js';
import { numbered, synced, withTempDir } from './helpers.js';

type Datasync = FileHandle['datasync'];

/** Wraps datasync for the duration of `fn`; `gate` (if set) is awaited before each real datasync. */
async function withDatasyncSpy<T>(
  dir: string,
  fn: (spy: { completed: number; gate: Promise<void> | undefined }) => Promise<T>,
): Promise<T> {
  const probe = await open(join(dir, 'probe'), 'w');
  const proto = Object.getPrototypeOf(probe) as { datasync: Datasync };
  await probe.close();
  const original = proto.datasync;
  const spy = { completed: 0, gate: undefined as Promise<void> | undefined };
  proto.datasync = async function (this: FileHandle) {
    if (spy.gate !== undefined) await spy.gate;
    await original.call(this);
    spy.completed++;
  };
  try {
    return await fn(spy);
  } finally {
    proto.datasync = original;
  }
}

describe('SegmentStore group commit', () => {
  test('callbacks run after the datasync, and 1000 appends in one turn share one flush', async () => {
    await withTempDir(async (dir) => {
      await withDatasyncSpy(dir, async (spy) => {
        const store = new SegmentStore(join(dir, 'store'));
        await store.open();
        const before = { flushes: store.stats.flushes, synced: spy.completed };
        let ran = 0;
        for (let i = 0; i < 1000; i++) {
          store.append([1], numbered(i, 200));
          store.whenSynced(() => {
            assert.ok(spy.completed > before.synced, 'a datasync completed before the callback');
            ran++;
          });
        }
        assert.equal(ran, 0, 'nothing runs synchronously');
        await synced(store);
        assert.equal(ran, 1000);
        assert.equal(store.stats.flushes - before.flushes, 1, 'one flush for the whole turn');
        assert.equal(spy.completed - before.synced, 1, 'one datasync (one file written)');
        await store.close();
      });
    });
  });

  test('a buffer past 1 MiB starts a flush without waiting for the end of the turn', async () => {
    await withTempDir(async (dir) => {
      const store = new SegmentStore(dir);
      await store.open();
      for (let i = 0; i < 3000; i++) store.append([1], numbered(i, 1024));
      await synced(store);
      assert.ok(store.stats.flushes >= 2, `flushes: ${store.stats.flushes}`);
      await store.close();
    });
  });

  test('a callback registered while a flush is in flight waits for the next flush', async () => {
    await withTempDir(async (dir) => {
      await withDatasyncSpy(dir, async (spy) => {
        const store = new SegmentStore(join(dir, 'store'));
        await store.open();
        let release!: () => void;
        spy.gate = new Promise((resolve) => (release = resolve));
        const order: string[] = [];
        store.append([1], numbered(1));
        store.whenSynced(() => order.push('first'));
        // let the flush start and block in its datasync
        await new Promise((resolve) => setTimeout(resolve, 20));
        assert.equal(store.stats.flushes, 0);
        store.append([1], numbered(2));
        store.whenSynced(() => order.push(`second after ${store.stats.flushes} flushes`));
        spy.gate = undefined;
        release();
        await synced(store);
        assert.deepEqual(order, ['first', 'second after 2 flushes']);
        await store.close();
      });
    });
  });

  test('with nothing buffered, whenSynced still runs asynchronously', async () => {
    await withTempDir(async (dir) => {
      const store = new SegmentStore(dir);
      await store.open();
      let ran = false;
      store.whenSynced(() => (ran = true));
      assert.equal(ran, false);
      await synced(store);
      assert.equal(ran, true);
      await store.close();
    });
  });

  test('syncIntervalMs gathers several turns into one flush', async () => {
    await withTempDir(async (dir) => {
      const store = new SegmentStore(dir, { syncIntervalMs: 50 });
      await store.open();
      const done: Promise<void>[] = [];
      for (let turn = 0; turn < 5; turn++) {
        store.append([1], numbered(turn));
        done.push(synced(store));
        await new Promise((resolve) => setImmediate(resolve));
      }
      await Promise.all(done);
      assert.equal(store.stats.flushes, 1);
      await store.close();
    });
  });
});
