/**
 * The main thread's handle on one worker thread: its shared counters, and promises for its 'ready'
 * and 'stopped' messages. Any error in the worker (a broker closing a connection, an exception)
 * rejects `failed`, which the run races against everything it waits for.
 */
import { Worker } from 'node:worker_threads';
import { HISTOGRAM_BUCKETS } from './histogram.js';
import type { PerfOptions } from './options.js';
import type { WorkerPlan } from './plan.js';
import { allocateShared, STAT } from './shared-stats.js';
import type { FromWorker, ToWorker, WorkerInput } from './worker.js';

const WORKER_JS = new URL('./worker.js', import.meta.url);

export class WorkerHandle {
  readonly stats: Float64Array;
  readonly latency: Float64Array;
  readonly ready: Promise<void>;
  readonly stopped: Promise<void>;
  private readonly worker: Worker;

  constructor(options: PerfOptions, plan: WorkerPlan, onError: (err: Error) => void) {
    const shared = allocateShared();
    this.stats = new Float64Array(shared.stats);
    this.latency = new Float64Array(shared.latency);
    const input: WorkerInput = { options, plan, shared };
    this.worker = new Worker(WORKER_JS, { workerData: input });
    const name = `worker ${plan.index + 1}`;
    let ready: () => void = () => {};
    let stopped: () => void = () => {};
    this.ready = new Promise((r) => (ready = r));
    this.stopped = new Promise((r) => (stopped = r));
    let stopping = false;
    this.worker.on('message', (m: FromWorker) => {
      if (m.type === 'ready') ready();
      else if (m.type === 'stopped') stopped();
      else onError(new Error(`${name}: ${m.message}`));
    });
    this.worker.on('error', (err) => onError(new Error(`${name}: ${err.message}`)));
    this.worker.on('exit', (code) => {
      if (!stopping && code !== 0) onError(new Error(`${name} exited with code ${code}`));
      stopped();
    });
    this.stop = async (timeoutMs: number) => {
      stopping = true;
      this.post({ type: 'stop' });
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<boolean>((r) => (timer = setTimeout(() => r(true), timeoutMs)));
      if (await Promise.race([this.stopped.then(() => false), late])) await this.worker.terminate();
      clearTimeout(timer);
    };
  }

  /** Asks the worker to close its connections and end; terminates it if it takes longer than timeoutMs. */
  readonly stop: (timeoutMs: number) => Promise<void>;

  post(m: ToWorker): void {
    this.worker.postMessage(m);
  }

  stat(field: (typeof STAT)[keyof typeof STAT]): number {
    return this.stats[field] as number;
  }
}

/** A copy of every worker's latency histogram, summed. */
export function latencySnapshot(workers: WorkerHandle[]): Float64Array {
  const out = new Float64Array(HISTOGRAM_BUCKETS);
  for (const w of workers) {
    const h = w.latency;
    for (let i = 0; i < HISTOGRAM_BUCKETS; i++) {
      const c = h[i] as number;
      if (c !== 0) out[i] = (out[i] as number) + c;
    }
  }
  return out;
}
