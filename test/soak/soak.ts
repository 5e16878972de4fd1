/**
 * The soak: a broker in its own process under a mixed workload (workload.ts) for N minutes.
 *
 * 1. Calibration: the workload runs unthrottled for a few seconds; what the consumers received per
 *    second is taken as Warren's capacity for it on this machine.
 * 2. The run: publishers together send `load` (default one half) of that rate; every few seconds a
 *    random consumer's connection is cut and it reconnects a moment later.
 * 3. The end: publishers stop, consumers drain everything, and every stream is checked (streams.ts).
 *
 * The broker's RSS is sampled every 5 s. Warm-up is the first fifth of the run (at least 20 s); the
 * verdict compares the median RSS of the last tenth of the run with the median of the tenth just
 * before warm-up ended, and fails past 10% growth, as it fails on any loss or duplicate that is not
 * at-least-once redelivery.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { prng } from '../helpers/prng.js';
import { spawnBroker } from '../reliability/broker-process.js';
import { Streams } from './streams.js';
import { Consumer, declareTopology, Publisher, ROUTES } from './workload.js';

export interface SoakOptions {
  minutes: number;
  /** fraction of the calibrated capacity to run at */
  load?: number;
  calibrationSeconds?: number;
  seed?: number;
  log?: (line: string) => void;
}

export interface RssSample {
  atSeconds: number;
  rssBytes: number;
  deliveredPerSecond: number;
}

export interface SoakResult {
  capacityPerSecond: number;
  targetPerSecond: number;
  published: number;
  delivered: number;
  /** deliveries marked redelivered (the messages a killed consumer held) */
  redelivered: number;
  /** numbers that arrived again, redelivered: at-least-once at work */
  repeats: number;
  consumerKills: number;
  samples: RssSample[];
  warmupRssBytes: number;
  finalRssBytes: number;
  /** empty when the soak passed */
  failures: string[];
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? 0 : (s[Math.floor(s.length / 2)] as number);
}

export async function runSoak(opts: SoakOptions): Promise<SoakResult> {
  const log = opts.log ?? (() => {});
  const rand = prng(opts.seed ?? 1);
  const dataDir = mkdtempSync(join(tmpdir(), 'rel-soak-'));
  const broker = await spawnBroker({ options: { dataDir, heartbeat: 0 } });
  const streams = new Streams();
  let perPublisher = Infinity;
  const publishers = ROUTES.map((r, i) => new Publisher(i, r, rand, () => perPublisher));
  const consumers = ROUTES.flatMap((r) => r.queues)
    .filter((q, i, all) => all.indexOf(q) === i)
    .flatMap((q, i) => [
      new Consumer(broker.url, q, 50 + 150 * (i % 2), streams),
      new Consumer(broker.url, q, 20, streams),
    ]);
  const delivered = (): number => consumers.reduce((n, c) => n + c.delivered, 0);
  const failures: string[] = [];
  const samples: RssSample[] = [];
  try {
    await declareTopology(broker.url);
    for (const c of consumers) await c.start();
    for (const p of publishers) await p.start(broker.url);

    const calibrationMs = (opts.calibrationSeconds ?? 5) * 1000;
    const d0 = delivered();
    await sleep(calibrationMs);
    const capacity = ((delivered() - d0) * 1000) / calibrationMs;
    const target = capacity * (opts.load ?? 0.5);
    // Each publisher's share: the fanout route's messages are delivered twice.
    const deliveriesPerRound = ROUTES.reduce((n, r) => n + r.queues.length, 0);
    perPublisher = target / deliveriesPerRound;
    log(
      `capacity ${capacity.toFixed(0)} deliveries/s; running at ${target.toFixed(0)}/s for ${opts.minutes} min`,
    );

    const runMs = opts.minutes * 60_000;
    const start = Date.now();
    let lastDelivered = delivered();
    let lastSample = start;
    let nextKill = start + 2000 + rand() * 6000;
    const kills: Promise<void>[] = [];
    while (Date.now() - start < runMs) {
      await sleep(250);
      const now = Date.now();
      if (now >= nextKill) {
        const c = consumers[Math.floor(rand() * consumers.length)] as Consumer;
        kills.push(c.kill(100 + rand() * 900));
        nextKill = now + 2000 + rand() * 6000;
      }
      if (now - lastSample >= 5000) {
        const d = delivered();
        samples.push({
          atSeconds: Math.round((now - start) / 1000),
          rssBytes: broker.rss(),
          deliveredPerSecond: ((d - lastDelivered) * 1000) / (now - lastSample),
        });
        lastDelivered = d;
        lastSample = now;
        const s = samples[samples.length - 1] as RssSample;
        if (samples.length % 12 === 0 || samples.length === 1)
          log(
            `${s.atSeconds} s: RSS ${(s.rssBytes / 1e6).toFixed(0)} MB, ${s.deliveredPerSecond.toFixed(0)} deliveries/s`,
          );
      }
      for (const p of publishers) if (p.failed && !failures.includes(p.failed)) failures.push(p.failed);
    }
    await Promise.all(kills);
    for (const p of publishers) await p.stop();
    // Everything sent must arrive: wait for the consumers to drain.
    const complete = (): boolean =>
      publishers.every((p) => p.route.queues.every((q) => streams.get(q, p.id).missing(p.sent) === 0));
    const deadline = Date.now() + 60_000;
    while (!complete() && Date.now() < deadline) await sleep(200);
    for (const p of publishers) {
      for (const q of p.route.queues) {
        const s = streams.get(q, p.id);
        const missing = s.missing(p.sent);
        if (missing > 0)
          failures.push(`${q}: ${missing} of ${p.sent} messages of publisher ${p.id} never arrived`);
        if (s.duplicates > 0)
          failures.push(
            `${q}: ${s.duplicates} messages of publisher ${p.id} came twice, not marked redelivered`,
          );
      }
    }
    const warmupEnd = Math.max(20, opts.minutes * 60 * 0.2);
    const tenth = Math.max(10, opts.minutes * 6);
    const warm = median(
      samples
        .filter((s) => s.atSeconds <= warmupEnd && s.atSeconds > warmupEnd - tenth)
        .map((s) => s.rssBytes),
    );
    const last = median(
      samples.filter((s) => s.atSeconds > opts.minutes * 60 - tenth).map((s) => s.rssBytes),
    );
    if (warm > 0 && last > warm * 1.1)
      failures.push(
        `RSS grew ${(((last - warm) / warm) * 100).toFixed(1)}% after warm-up (${(warm / 1e6).toFixed(0)} -> ${(last / 1e6).toFixed(0)} MB)`,
      );
    const repeats = [...streams.entries()].reduce((n, [, s]) => n + s.redelivered, 0);
    for (const c of consumers) await c.stop();
    return {
      capacityPerSecond: capacity,
      targetPerSecond: target,
      published: publishers.reduce((n, p) => n + p.sent, 0),
      delivered: delivered(),
      redelivered: consumers.reduce((n, c) => n + c.redelivered, 0),
      repeats,
      consumerKills: consumers.reduce((n, c) => n + c.kills, 0),
      samples,
      warmupRssBytes: warm,
      finalRssBytes: last,
      failures,
    };
  } finally {
    await broker.kill9();
    rmSync(dataDir, { recursive: true, force: true });
  }
}
