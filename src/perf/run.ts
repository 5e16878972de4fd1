/**
 * `warren perf`'s main thread: declares the topology, starts the worker threads that run the
 * clients, prints a line per second, cuts out the measured window (after the warm-up, until --time
 * has passed or the message counts are reached), stops everything, cleans up and sums up.
 *
 * The main thread runs no client itself; it only reads the workers' shared counters, so its own
 * load stays negligible whatever the message rate.
 */
import { availableParallelism } from 'node:os';
import { monotonicMicros } from './clock.js';
import { difference, summarize } from './histogram.js';
import { snapshot, sum, type Snapshot } from './snapshot.js';
import { checkOptions, type PerfOptions } from './options.js';
import { makePlan } from './plan.js';
import { secondLine, summaryLines } from './report.js';
import { STAT } from './shared-stats.js';
import { buildSummary, type PerfSummary } from './summary.js';
import { declareTopology, deleteTopology } from './topology.js';
import { WorkerHandle } from './workers.js';

const POLL_MS = 20;
/** without --cmessages, consumers are done once producers are and nothing arrived for this long */
const QUIET_MICROS = 1_000_000;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Runs one benchmark; `out` gets the per-second lines and the summary lines. */
export async function runPerf(o: PerfOptions, out: (line: string) => void): Promise<PerfSummary> {
  checkOptions(o);
  const plan = makePlan(o, availableParallelism());
  const began = monotonicMicros();
  let failure: Error | undefined;
  let failNow: (err: Error) => void = () => {};
  const failed = new Promise<never>((_, reject) => {
    failNow = (err) => {
      failure ??= err;
      reject(failure);
    };
  });
  failed.catch(() => {});
  const guard = <T>(p: Promise<T>): Promise<T> => Promise.race([p, failed]);

  if (plan.queues.length > 0) await declareTopology(o.uri, o, plan);
  const workers = plan.workers.map((wp) => new WorkerHandle(o, wp, (err) => failNow(err)));
  try {
    // Wait for every connection (and subscription); in idle mode, report progress while opening.
    const allReady = Promise.all(workers.map((w) => w.ready));
    let opened = false;
    void allReady.then(() => (opened = true));
    let nextLine = began + 1e6;
    while (!opened) {
      await guard(Promise.race([allReady, sleep(POLL_MS)]));
      if (o.idleConnections > 0 && o.progress && monotonicMicros() >= nextLine && !opened) {
        out(
          `${String(Math.round((nextLine - began) / 1e6)).padStart(4)} s  ${sum(workers, STAT.connections)} connections open`,
        );
        nextLine += 1e6;
      }
    }
    const setupSeconds = (monotonicMicros() - began) / 1e6;

    const go = snapshot(workers);
    for (const w of workers) w.post({ type: 'go' });
    const warmupEnd = go.at + o.warmup * 1e6;
    const idleMode = o.idleConnections > 0;
    let start: Snapshot | undefined = o.warmup === 0 || idleMode ? go : undefined;
    let last = go;
    let end: Snapshot | undefined;
    let second = 1;
    let lastReceived = 0;
    let receivedChangedAt = go.at;
    const producersFinite = o.producers === 0 || o.pmessages > 0;
    const consumersFinite = o.consumers === 0 || o.cmessages > 0 || (producersFinite && o.producers > 0);
    while (!end) {
      await guard(sleep(POLL_MS));
      const now = monotonicMicros();
      if (!start && now >= warmupEnd) start = snapshot(workers, now);
      if (o.progress && idleMode && now >= nextLine) {
        out(
          `${String(Math.round((nextLine - began) / 1e6)).padStart(4)} s  ${sum(workers, STAT.connections)} connections open`,
        );
        nextLine += 1e6;
      } else if (o.progress && !idleMode && now >= go.at + second * 1e6) {
        const s = snapshot(workers, now);
        const secs = (s.at - last.at) / 1e6;
        out(
          secondLine({
            second,
            warmup: start === undefined || start.at > last.at,
            published: (s.published - last.published) / secs,
            confirmed: o.confirm > 0 ? (s.confirmed - last.confirmed) / secs : undefined,
            received: (s.received - last.received) / secs,
            latency: summarize(difference(s.latency, last.latency)),
            cpuPercent: ((s.cpuMicros - last.cpuMicros) / (s.at - last.at)) * 100,
          }),
        );
        last = s;
        second++;
      }
      const received = sum(workers, STAT.received);
      if (received !== lastReceived) {
        lastReceived = received;
        receivedChangedAt = now;
      }
      const windowStart = start?.at ?? warmupEnd;
      if (o.time > 0 && now >= windowStart + o.time * 1e6) {
        end = snapshot(workers, now);
        break;
      }
      if (idleMode && o.time === 0) {
        end = snapshot(workers, now);
        break;
      }
      if (idleMode || !producersFinite || !consumersFinite) continue;
      const producersDone = sum(workers, STAT.producersDone) >= o.producers;
      let consumersDone = sum(workers, STAT.consumersDone) >= o.consumers;
      let doneAt = Math.max(...workers.map((w) => w.stat(STAT.lastDoneMicros)));
      if (o.consumers > 0 && o.cmessages === 0) {
        // Nothing tells how many messages are still on their way: wait until none arrive for a while.
        consumersDone = producersDone && now - receivedChangedAt >= QUIET_MICROS;
        doneAt = Math.max(doneAt, receivedChangedAt);
      }
      if (producersDone && consumersDone) end = snapshot(workers, Math.max(doneAt, go.at + 1));
    }
    start ??= go;
    if (start.at > end.at) start = go;

    const summary = buildSummary(o, {
      start,
      end,
      workers: workers.length,
      setupSeconds,
      connections: idleMode ? sum(workers, STAT.connections) : undefined,
    });
    await Promise.all(workers.map((w) => w.stop(15000)));
    if (!o.keep && plan.queues.length > 0) await deleteTopology(o.uri, o, plan);
    for (const line of summaryLines(summary)) out(line);
    return summary;
  } finally {
    if (failure) {
      await Promise.all(workers.map((w) => w.stop(5000)));
      if (!o.keep && plan.queues.length > 0) await deleteTopology(o.uri, o, plan).catch(() => {});
    }
  }
}
