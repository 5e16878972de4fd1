/**
 * A message recovered lazily (body left on disk) still tells its queue where it goes: entries carry
 * a copy of the raw properties when they hold a priority or an expiration, and nothing otherwise.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { SegmentStore } from '../../src/store/segment-store.js';
import { numbered, withTempDir } from './helpers.js';

// flags word, then delivery-mode 2 and the flagged properties in flag order
const PLAIN = Buffer.from([0x10, 0x00, 0x02]);
const PRIORITY = Buffer.from([0x18, 0x00, 0x02, 0x05]);
const EXPIRATION = Buffer.from([0x11, 0x00, 0x02, 0x04, ...Buffer.from('6000')]);

describe('SegmentStore lazy recovery keeps placement properties', () => {
  test('priority or expiration: a copy of the properties; neither, or loaded eagerly: none', async () => {
    await withTempDir(async (dir) => {
      const store = new SegmentStore(dir);
      await store.open();
      for (const [i, properties] of [PLAIN, PRIORITY, EXPIRATION].entries()) {
        store.append([1, 2], { ...numbered(i), properties, arrivedAt: 1000 + i });
      }
      await store.close();

      const lazy = new SegmentStore(dir, { eagerLoadBytes: 0 });
      const report = await lazy.open();
      for (const q of [1, 2]) {
        const entries = report.queues.get(q)!;
        assert.ok(!('properties' in entries[0]!), `queue ${q}: nothing to place by`);
        assert.deepEqual(entries[1]!.properties, PRIORITY);
        assert.deepEqual(entries[2]!.properties, EXPIRATION);
        assert.deepEqual(
          entries.map((e) => e.arrivedAt),
          [1000, 1001, 1002],
        );
      }
      assert.equal(
        report.queues.get(1)![1]!.properties,
        report.queues.get(2)![1]!.properties,
        'one copy per message, shared by the queues it went to',
      );
      await lazy.close();

      const eager = new SegmentStore(dir, { eagerLoadBytes: Infinity });
      const loaded = await eager.open();
      for (const e of loaded.queues.get(1)!) assert.ok(!('properties' in e) && e.message !== undefined);
      await eager.close();
    });
  });
});
