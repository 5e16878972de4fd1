/**
 * kill -9 realism: a child process (fixtures/kill-writer) appends (some with arrival times), acks and
 * marks deliveries and returns on a real store and reports what whenSynced confirmed; it is SIGKILLed
 * at a random moment, then the store is reopened here and checked: every confirmed message is back, in
 * order, with its arrival time, nothing acked-and-synced is, no delivery count is invented, and
 * segments are reclaimed as the child acks. Several rounds on the same directory, so each child
 * also recovers what the previous one left.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readdir, readFile, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { SegmentStore } from '../../src/store/segment-store.js';
import { prng, recoveredIds, withTempDir } from './helpers.js';

const WRITER = fileURLToPath(new URL('./fixtures/kill-writer.js', import.meta.url));
const ROUNDS = Number(process.env.WARREN_KILL_ROUNDS ?? 6);

interface ChildFacts {
  /** last "synced N A1 A2" line */
  synced: { n: number; acked: Record<1 | 2, number> } | undefined;
  /** highest "ackto" per queue */
  ackto: Record<1 | 2, number>;
}

/** Runs the writer until `killAfterMs` past its first synced line, then SIGKILLs it; reads its facts. */
async function runAndKill(
  dir: string,
  factsPath: string,
  startSeq: number,
  seed: number,
  killAfterMs: number,
): Promise<ChildFacts> {
  const child = spawn(process.execPath, [WRITER, dir, factsPath, String(startSeq), String(seed)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exited = new Promise<NodeJS.Signals | null>((resolve) =>
    child.on('close', (_code, signal) => resolve(signal)),
  );
  let timer: NodeJS.Timeout | undefined;
  child.stdout.on('data', () => (timer ??= setTimeout(() => child.kill('SIGKILL'), killAfterMs)));
  const guard = setTimeout(() => child.kill('SIGKILL'), 30_000);
  const signal = await exited;
  clearTimeout(guard);
  clearTimeout(timer);
  assert.equal(signal, 'SIGKILL', 'the writer ran until killed');

  const facts: ChildFacts = { synced: undefined, ackto: { 1: 0, 2: 0 } };
  for (const line of (await readFile(factsPath, 'utf8')).split('\n')) {
    const [kind, a, b, c] = line.split(' ');
    if (kind === 'ackto') {
      const q = Number(a) as 1 | 2;
      facts.ackto[q] = Math.max(facts.ackto[q], Number(b));
    } else if (kind === 'synced' && c !== undefined) {
      facts.synced = { n: Number(a), acked: { 1: Number(b), 2: Number(c) } };
    }
  }
  await rm(factsPath);
  return facts;
}

describe('SegmentStore survives kill -9', () => {
  test(
    `${ROUNDS} rounds: every message reported synced is recovered, in order`,
    { timeout: 120_000 },
    async () => {
      await withTempDir(async (root) => {
        const dir = join(root, 'store');
        const factsPath = join(root, 'facts');
        const rnd = prng(99);
        for (let round = 0; round < ROUNDS; round++) {
          const startSeq = (round + 1) * 10_000_000;
          const facts = await runAndKill(dir, factsPath, startSeq, round + 1, Math.floor(rnd() * 400));
          const synced = facts.synced!;
          assert.ok(
            synced !== undefined && synced.n >= startSeq,
            `round ${round}: the child confirmed something`,
          );

          const store = new SegmentStore(dir);
          const report = await store.open();
          const ids = await recoveredIds(store, report);
          await store.close();
          const what = `round ${round} (synced up to ${synced.n}, dropped ${JSON.stringify(report.dropped)})`;
          for (const q of [1, 2] as const) {
            const got = (ids.get(q) ?? []).map((e) => e.id);
            for (let i = 1; i < got.length; i++)
              assert.ok(got[i - 1]! < got[i]!, `${what}: queue ${q} in order`);
            assert.ok(
              got.every((id) => id >= synced.acked[q]),
              `${what}: queue ${q} holds nothing acked before a sync (acked below ${synced.acked[q]})`,
            );
            const present = new Set(got);
            const from = Math.max(facts.ackto[q], startSeq);
            for (let n = from; n <= synced.n; n++) {
              if (q === 2 && n % 3 !== 0) continue;
              assert.ok(present.has(n), `${what}: confirmed message ${n} is back in queue ${q}`);
            }
          }
          const entries = report.queues.get(1) ?? [];
          for (const [k, e] of (ids.get(1) ?? []).entries()) {
            if (e.redelivered)
              assert.ok(
                e.id % 5 === 0 || e.id % 7 === 0,
                `${what}: only marked messages come back redelivered`,
              );
            const entry = entries[k]!;
            assert.equal(entry.arrivedAt, e.id % 2 === 0 ? e.id : undefined, `${what}: arrivedAt of ${e.id}`);
            // the second returned-mark may be lost with the kill, never invented
            const counts = e.id % 7 === 0 ? [undefined, 1, 2] : [undefined];
            assert.ok(counts.includes(entry.deliveryCount), `${what}: deliveryCount of ${e.id}`);
          }
          console.log(
            `round ${round}: ${synced.n - startSeq + 1} messages confirmed before the kill,` +
              ` ${ids.get(1)?.length ?? 0} + ${ids.get(2)?.length ?? 0} recovered, dropped: ${JSON.stringify(report.dropped)}`,
          );
          // reclaim keeps up: the msgs files hold little more than the live records (acks go in order,
          // so only the oldest live segment is partly dead), not everything ever written
          const refs = new Map<string, number>();
          for (const entries of report.queues.values())
            for (const e of entries) refs.set(`${e.ref.segment}:${e.ref.offset}`, e.ref.size);
          let liveBytes = 0;
          for (const size of refs.values()) liveBytes += size;
          let fileBytes = 0;
          for (const f of await readdir(dir))
            if (f.startsWith('msgs.')) fileBytes += (await stat(join(dir, f))).size;
          assert.ok(
            fileBytes <= liveBytes + 4 * 256 * 1024,
            `${what}: ${fileBytes} bytes in msgs files for ${liveBytes} live`,
          );
        }
      });
    },
  );
});
