/**
 * A worker thread of `warren perf`: it runs the producers and consumers (or idle connections) the
 * main thread gave it, each on its own connection, and keeps its counters and latency histogram in
 * shared memory (shared-stats.ts). Several of these run side by side so that one event loop is never
 * what limits a benchmark.
 *
 * Main -> worker: 'go' (producers start), 'stop' (everything closes, then the thread ends).
 * Worker -> main: 'ready' (all connected and subscribed), 'error', 'stopped'.
 */
import { performance } from 'node:perf_hooks';
import { parentPort, workerData } from 'node:worker_threads';
import { monotonicMicros } from './clock.js';
import { PerfConnection } from './connection.js';
import { Consumer } from './consumer.js';
import type { PerfOptions } from './options.js';
import type { WorkerPlan } from './plan.js';
import { Producer } from './producer.js';
import { STAT, type SharedBuffers } from './shared-stats.js';
import { PublishTemplate } from './template.js';
import { threadCpuMicros } from './thread-cpu.js';
import { HEARTBEAT_FRAME } from './wire.js';

export interface WorkerInput {
  options: PerfOptions;
  plan: WorkerPlan;
  shared: SharedBuffers;
}

export type ToWorker = { type: 'go' } | { type: 'stop' };
export type FromWorker = { type: 'ready' } | { type: 'error'; message: string } | { type: 'stopped' };

/** connections opened at the same time while setting up */
const OPEN_CONCURRENCY = 50;
/** bytes per write when producing as fast as possible */
const WRITE_BYTES = 64 * 1024;

const port = parentPort;
if (!port) throw new Error('src/perf/worker.js runs as a worker thread of warren perf');
const { options: o, plan, shared } = workerData as WorkerInput;
const stats = new Float64Array(shared.stats);
const latency = new Float64Array(shared.latency);
const post = (m: FromWorker): void => port.postMessage(m);

let failed = false;
let stopping = false;
function fatal(err: unknown): void {
  if (failed || stopping) return;
  failed = true;
  post({ type: 'error', message: err instanceof Error ? err.message : String(err) });
}

function sampleLoad(): void {
  const elu = performance.eventLoopUtilization();
  stats[STAT.loopActiveMs] = elu.active;
  stats[STAT.loopIdleMs] = elu.idle;
  stats[STAT.threadCpuMicros] = threadCpuMicros() ?? -1;
}
sampleLoad();
const loopTimer = setInterval(sampleLoad, 200);

const producers: Producer[] = [];
/** consumers that subscribe on 'go' (when there are no producers: a drain is timed from 'go') */
const deferred: Consumer[] = [];
const closers: (() => Promise<void>)[] = [];

async function open(name: string): Promise<PerfConnection> {
  const conn = await PerfConnection.open(o.uri, { heartbeat: o.heartbeat, name });
  closers.push(() => conn.close());
  return conn;
}

/** Runs `task` for 0..n-1, at most `limit` at a time. */
async function inParallel(n: number, limit: number, task: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < n && !failed) await task(next++);
  };
  await Promise.all(Array.from({ length: Math.min(limit, n) }, lane));
}

function markDone(): void {
  stats[STAT.lastDoneMicros] = monotonicMicros();
}

async function setup(): Promise<void> {
  if (plan.idleConnections > 0) {
    const sockets: PerfConnection[] = [];
    await inParallel(plan.idleConnections, OPEN_CONCURRENCY, async (i) => {
      const conn = await open(`warren perf: idle ${plan.index + 1}.${i + 1}`);
      conn.onError = fatal;
      sockets.push(conn);
      stats[STAT.connections] = sockets.length;
    });
    if (o.heartbeat > 0) {
      // The broker drops a connection that stays silent for two heartbeat intervals.
      const beat = setInterval(
        () => {
          for (const c of sockets) if (!c.socket.destroyed) c.socket.write(HEARTBEAT_FRAME);
        },
        (o.heartbeat * 1000) / 2,
      );
      closers.push(async () => clearInterval(beat));
    }
    return;
  }
  await inParallel(plan.consumers.length, OPEN_CONCURRENCY, async (i) => {
    const spec = plan.consumers[i];
    if (!spec) return;
    const conn = await open(`warren perf: consumer ${spec.id}`);
    const consumer = new Consumer(
      conn,
      {
        queue: spec.queue,
        autoAck: o.autoAck,
        prefetch: o.prefetch,
        multiAckEvery: o.multiAckEvery,
        cmessages: o.cmessages,
        size: o.size,
        onDone: markDone,
      },
      stats,
      latency,
    );
    conn.onError = fatal;
    await consumer.prepare();
    if (o.producers === 0) deferred.push(consumer);
    else await consumer.consume();
  });
  await inParallel(plan.producers.length, OPEN_CONCURRENCY, async (i) => {
    const spec = plan.producers[i];
    if (!spec) return;
    const conn = await open(`warren perf: producer ${spec.id}`);
    conn.onError = fatal;
    const template = new PublishTemplate({
      channel: 1,
      exchange: o.exchange,
      routingKeys: spec.routingKeys,
      size: o.size,
      persistent: o.persistent,
      priorities: o.priorities,
      frameMax: conn.frameMax,
      writeBytes: WRITE_BYTES,
    });
    const producer = new Producer(
      conn,
      template,
      { confirm: o.confirm, rate: o.rate, pmessages: o.pmessages, onDone: markDone },
      stats,
    );
    if (o.confirm > 0) await producer.enableConfirms();
    producers.push(producer);
  });
}

async function stop(): Promise<void> {
  stopping = true;
  for (const p of producers) p.stop();
  await Promise.all(closers.map((close) => close().catch(() => {})));
  clearInterval(loopTimer);
  post({ type: 'stopped' });
  port?.close();
}

port.on('message', (m: ToWorker) => {
  if (m.type === 'go') {
    for (const p of producers) p.start();
    for (const c of deferred) c.consume().catch(fatal);
  } else if (m.type === 'stop') void stop();
});

setup().then(
  () => {
    if (!failed) post({ type: 'ready' });
  },
  (err: unknown) => fatal(err),
);
