/**
 * The crash loop: rounds of mixed load (mixed-load.ts) killed with kill -9 at a random instant, each
 * followed by a restart on the same data directory and a check of everything the clients were
 * promised (ledger.ts). Now and then the restarted broker is killed again during its own recovery.
 * Used by crashloop.test.ts (a few rounds in CI) and crashloop-cli.ts (`npm run crashloop`).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import amqp from 'amqplib';
import type { ChannelModel, ConfirmChannel } from 'amqplib';
import { prng } from '../helpers/prng.js';
import { spawnAndKill, spawnBroker, type BrokerProcess } from '../reliability/broker-process.js';
import { Ledger, type Violation } from './ledger.js';
import { MARKERS, MixedLoad, WORK_QUEUES, type LoadCounts } from './mixed-load.js';

export interface CrashLoopOptions {
  rounds: number;
  seed: number;
  /** one line per round */
  log?: (line: string) => void;
}

export interface CrashLoopResult {
  rounds: number;
  violations: Violation[];
  totals: LoadCounts;
  /** messages found and checked after each restart */
  checked: number;
  /** longest start-up (recovery included), ms */
  slowestStartMs: number;
  /** rounds where the broker was killed again during recovery */
  recoveryKills: number;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const BROKER = { options: { heartbeat: 0, consumerTimeoutMs: 0 as const } };

async function openConfirm(url: string): Promise<{ conn: ChannelModel; ch: ConfirmChannel }> {
  const conn = await amqp.connect(url);
  conn.on('error', () => {});
  const ch = await conn.createConfirmChannel();
  return { conn, ch };
}

/** Passive checks of every durable entity the ledger knows, and probes of some bindings. */
async function checkEntities(url: string, ledger: Ledger, rand: () => number): Promise<Violation[]> {
  const out: Violation[] = [];
  const conn = await amqp.connect(url);
  conn.on('error', () => {});
  const exists = async (name: string, kind: 'exchange' | 'queue'): Promise<boolean> => {
    // A channel per check: a failed passive declare closes its channel.
    const ch = await conn.createChannel();
    ch.on('error', () => {});
    try {
      if (kind === 'exchange') await ch.checkExchange(name);
      else await ch.checkQueue(name);
      await ch.close();
      return true;
    } catch {
      return false;
    }
  };
  for (const [name, kind] of ledger.entities) {
    if (ledger.uncertain.has(name)) continue;
    if (!(await exists(name, kind))) out.push({ kind: 'entity-lost', detail: `${kind} ${name} is gone` });
  }
  for (const [name, kind] of ledger.deleted) {
    if (ledger.uncertain.has(name)) continue;
    if (await exists(name, kind))
      out.push({ kind: 'entity-resurrected', detail: `deleted ${kind} ${name} is back` });
  }
  ledger.deleted.clear();
  // Bindings: a mandatory publish through the exchange must reach the queue (a return means lost).
  const { conn: pconn, ch: pch } = await openConfirm(url);
  const returned: string[] = [];
  pch.on('return', (m) => returned.push(m.fields.exchange));
  const probes = [...ledger.bindings].filter(
    ([x, [q]]) => !ledger.uncertain.has(x) && !ledger.uncertain.has(q) && rand() < 0.5,
  );
  for (const [x, [, key]] of probes) pch.publish(x, key, Buffer.from('probe'), { mandatory: true });
  await pch.waitForConfirms();
  for (const x of returned) out.push({ kind: 'binding-lost', detail: `binding of ${x} is gone` });
  await pconn.close();
  await conn.close();
  return out;
}

/** Empties the work queues (acking everything, durably), returning the message numbers seen. */
async function drain(url: string): Promise<number[]> {
  const { conn, ch } = await openConfirm(url);
  const seen: number[] = [];
  await ch.prefetch(1000);
  let last = Date.now();
  for (const q of WORK_QUEUES) {
    await ch.consume(q, (m) => {
      if (!m) return;
      seen.push(Number(m.content.toString()));
      ch.ack(m);
      last = Date.now();
    });
  }
  for (;;) {
    await sleep(50);
    if (Date.now() - last < 300) continue;
    const counts = await Promise.all(WORK_QUEUES.map((q) => ch.checkQueue(q)));
    if (counts.every((c) => c.messageCount === 0)) break;
  }
  // As for consumers under load: a confirm after the acks proves them on disk.
  ch.publish('', MARKERS, Buffer.from('drained'), { persistent: true });
  await ch.waitForConfirms();
  await conn.close();
  return seen;
}

async function ensureQueues(url: string): Promise<void> {
  const conn = await amqp.connect(url);
  const ch = await conn.createChannel();
  for (const q of WORK_QUEUES) await ch.assertQueue(q, { durable: true });
  await ch.assertQueue(MARKERS, { durable: true, arguments: { 'x-max-length': 10 } });
  await conn.close();
}

export async function runCrashLoop(opts: CrashLoopOptions): Promise<CrashLoopResult> {
  const log = opts.log ?? (() => {});
  const rand = prng(opts.seed);
  const dataDir = mkdtempSync(join(tmpdir(), 'rel-crashloop-'));
  const spec = { ...BROKER, options: { ...BROKER.options, dataDir } };
  const ledger = new Ledger();
  const totals: LoadCounts = { published: 0, confirmed: 0, acked: 0, declared: 0, deleted: 0 };
  const violations: Violation[] = [];
  const entityBase = { next: 0 };
  let id = 0;
  let checked = 0;
  let slowestStartMs = 0;
  let recoveryKills = 0;
  const start = async (): Promise<BrokerProcess> => {
    const t0 = Date.now();
    const b = await spawnBroker(spec);
    slowestStartMs = Math.max(slowestStartMs, Date.now() - t0);
    return b;
  };
  const check = async (b: BrokerProcess, round: number): Promise<void> => {
    const found = await checkEntities(b.url, ledger, rand);
    const seen = await drain(b.url);
    checked += seen.length;
    found.push(...ledger.checkDrained(seen));
    for (const v of found) log(`round ${round}: VIOLATION ${v.kind}: ${v.detail}`);
    violations.push(...found);
  };
  try {
    for (let round = 0; round < opts.rounds; round++) {
      const broker = await start();
      if (round > 0) await check(broker, round - 1);
      await ensureQueues(broker.url);
      const load = new MixedLoad(broker.url, ledger, rand, () => id++, entityBase);
      await load.start();
      const runMs = 200 + Math.floor(rand() * 1300);
      await sleep(runMs);
      await broker.kill9();
      await load.stop();
      for (const k of Object.keys(totals) as (keyof LoadCounts)[]) totals[k] += load.counts[k];
      const c = load.counts;
      let line = `round ${round}: killed after ${runMs} ms; published ${c.published}, confirmed ${c.confirmed}, acked ${c.acked}, entities +${c.declared} -${c.deleted}`;
      if (rand() < 0.15) {
        // A crash during recovery: the next start must repair what this one left half-repaired.
        const ms = Math.floor(rand() * 300);
        await spawnAndKill(spec, ms);
        recoveryKills++;
        line += `; killed again ${ms} ms into its restart`;
      }
      log(line);
    }
    const broker = await start();
    await check(broker, opts.rounds - 1);
    await broker.terminate();
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
  return { rounds: opts.rounds, violations, totals, checked, slowestStartMs, recoveryKills };
}
