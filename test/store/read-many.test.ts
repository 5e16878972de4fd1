/**
 * readMany: the batch read that pages backlogs and delayed messages back. It must return exactly what
 * read() returns for each ref, in the order asked, across segments and gaps, from the write buffer
 * and from disk, and fail only the records that are corrupt.
 */
import assert from 'node:assert/strict';
import { open } from 'node:fs/promises';
import { describe, test } from 'node:test';
import type { MessageRef } from '../../src/store/message-store.js';
import { msgsPath } from '../../src/store/segment-files.js';
import { SegmentStore } from '../../src/store/segment-store.js';
import { idOf, numbered, prng, synced, withTempDir } from './helpers.js';

describe('SegmentStore readMany', () => {
  test('matches read() for shuffled refs across segments, with gaps, from buffer and disk', async () => {
    await withTempDir(async (dir) => {
      const store = new SegmentStore(dir, { segmentSize: 64 * 1024 });
      await store.open();
      const rand = prng(7);
      const refs: MessageRef[] = [];
      for (let i = 0; i < 600; i++) {
        refs.push(store.append([1], numbered(i, 16 + Math.floor(rand() * 3000))));
      }
      // Every third one, shuffled, so runs have holes and segments interleave in the request.
      const wanted = refs.filter((_, i) => i % 3 !== 1);
      const order = wanted.map((r, i) => ({ r, k: rand(), i })).sort((a, b) => a.k - b.k);
      const asked = order.map((o) => o.r);
      const fromBuffer = await store.readMany(asked);
      await synced(store);
      const fromDisk = await store.readMany(asked);
      const single = await Promise.all(asked.map((r) => store.read(r)));
      assert.ok(new Set(asked.map((r) => r.segment)).size > 3, 'the test spans several segments');
      for (const got of [fromBuffer, fromDisk]) {
        assert.deepEqual(
          got.map((r) => (r.status === 'fulfilled' ? idOf(r.value) : -1)),
          single.map(idOf),
        );
        got.forEach((r, i) => {
          assert.equal(r.status, 'fulfilled');
          if (r.status === 'fulfilled') assert.deepEqual(r.value.body, single[i]?.body);
        });
      }
      await store.close();
    });
  });

  test('a corrupt record fails alone; its neighbours in the same read come back', async () => {
    await withTempDir(async (dir) => {
      const store = new SegmentStore(dir);
      await store.open();
      const refs = Array.from({ length: 5 }, (_, i) => store.append([1], numbered(i)));
      await synced(store);
      const bad = refs[2] as MessageRef;
      const fh = await open(msgsPath(dir, bad.segment), 'r+');
      await fh.write(Buffer.from([0xff]), 0, 1, bad.offset + bad.size - 1); // flip the last body byte
      await fh.close();
      const got = await store.readMany(refs);
      assert.deepEqual(
        got.map((r) => r.status),
        ['fulfilled', 'fulfilled', 'rejected', 'fulfilled', 'fulfilled'],
      );
      await store.close();
    });
  });
});
