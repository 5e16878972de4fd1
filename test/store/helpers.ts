/** Shared by the store tests: temp directories, a seeded PRNG, messages that carry their own number. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RecoveryReport, StoredMessage } from '../../src/store/message-store.js';
import type { SegmentStore } from '../../src/store/segment-store.js';
export { prng } from '../helpers/prng.js';

/** Runs `fn` with a fresh empty directory, removed afterwards whatever happens. */
export async function withTempDir<T>(fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), 'warren-store-'));
  try {
    return await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** A message whose body starts with `id` (u32) and is `size` bytes long (at least 4). */
export function numbered(id: number, size = 64, fill?: () => number): StoredMessage {
  const body = Buffer.alloc(Math.max(4, size), id & 0xff);
  if (fill !== undefined) for (let i = 4; i < body.length; i++) body[i] = Math.floor(fill() * 256);
  body.writeUInt32BE(id >>> 0, 0);
  const properties = Buffer.from([0x10, 0x00, 0x02]); // flags word (delivery-mode) + persistent
  return { exchange: 'amq.direct', routingKey: `key.${id % 7}`, properties, body };
}

export function idOf(m: StoredMessage): number {
  return m.body.readUInt32BE(0);
}

/** Recovered queue -> [message id, redelivered] in order, reading lazily loaded messages back. */
export async function recoveredIds(
  store: SegmentStore,
  report: RecoveryReport,
): Promise<Map<number, { id: number; redelivered: boolean }[]>> {
  const out = new Map<number, { id: number; redelivered: boolean }[]>();
  for (const [queueId, entries] of report.queues) {
    const list: { id: number; redelivered: boolean }[] = [];
    for (const e of entries)
      list.push({ id: idOf(e.message ?? (await store.read(e.ref))), redelivered: e.redelivered });
    out.set(queueId, list);
  }
  return out;
}

/** Resolves once everything appended so far is on disk. */
export function synced(store: SegmentStore): Promise<void> {
  return new Promise((resolve) => store.whenSynced(resolve));
}
