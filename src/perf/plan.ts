/**
 * Who does what in a run: the queues, the bindings, which queue each consumer reads, which routing
 * keys each producer cycles through, and which worker thread runs which client.
 *
 * Routing: with the default exchange producers publish to the queues by name; with a fanout exchange
 * every queue is bound once with '' and producers publish with ''; with a direct or topic exchange
 * each queue gets --bindings-per-queue keys `perf.<queue>.<n>` and producers cycle through all of
 * them (each message reaches exactly one queue), every producer starting at a different place. A
 * fixed --routing-key replaces all of that: every binding and every publish uses it.
 */
import type { PerfOptions } from './options.js';

export interface Binding {
  queue: string;
  routingKey: string;
}

export interface ProducerPlan {
  id: number;
  routingKeys: string[];
}

export interface ConsumerPlan {
  id: number;
  queue: string;
}

export interface WorkerPlan {
  index: number;
  producers: ProducerPlan[];
  consumers: ConsumerPlan[];
  idleConnections: number;
}

export interface RunPlan {
  queues: string[];
  bindings: Binding[];
  workers: WorkerPlan[];
}

export function queueNames(o: PerfOptions): string[] {
  if (o.queue !== undefined) return [o.queue];
  return Array.from({ length: o.queues }, (_, i) => `${o.queuePrefix}-${i + 1}`);
}

function bindingsFor(o: PerfOptions, queues: string[]): Binding[] {
  if (o.exchange === '') return [];
  if (o.routingKey !== undefined)
    return queues.map((queue) => ({ queue, routingKey: o.routingKey as string }));
  if (o.exchangeType === 'fanout' || o.exchangeType === 'headers')
    return queues.map((queue) => ({ queue, routingKey: '' }));
  const out: Binding[] = [];
  queues.forEach((queue, qi) => {
    for (let n = 0; n < o.bindingsPerQueue; n++) out.push({ queue, routingKey: `perf.${qi + 1}.${n + 1}` });
  });
  return out;
}

/** The keys producers publish with, before each producer rotates them to its own starting point. */
function publishKeys(o: PerfOptions, queues: string[], bindings: Binding[]): string[] {
  if (o.routingKey !== undefined) return [o.routingKey];
  if (o.exchange === '') return queues;
  if (o.exchangeType === 'fanout' || o.exchangeType === 'headers') return [''];
  // Interleave the queues' keys (q1.1, q2.1, ..., q1.2, ...) so consecutive messages go to different queues.
  const perQueue = o.bindingsPerQueue;
  const keys: string[] = [];
  for (let n = 0; n < perQueue; n++)
    for (let q = 0; q < queues.length; q++) keys.push((bindings[q * perQueue + n] as Binding).routingKey);
  return keys;
}

export function workerCount(o: PerfOptions, cores: number): number {
  const clients = o.idleConnections > 0 ? o.idleConnections : o.producers + o.consumers;
  const wanted = o.workers > 0 ? o.workers : cores;
  return Math.max(1, Math.min(wanted, clients));
}

export function makePlan(o: PerfOptions, cores: number): RunPlan {
  const queues = queueNames(o);
  const bindings = bindingsFor(o, queues);
  const keys = publishKeys(o, queues, bindings);
  const n = workerCount(o, cores);
  const workers: WorkerPlan[] = Array.from({ length: n }, (_, index) => ({
    index,
    producers: [],
    consumers: [],
    idleConnections: 0,
  }));
  if (o.idleConnections > 0) {
    workers.forEach(
      (w, i) => (w.idleConnections = Math.floor(o.idleConnections / n) + (i < o.idleConnections % n ? 1 : 0)),
    );
    return { queues: [], bindings: [], workers };
  }
  // Consumers first, then producers, dealt round-robin: with one of each and two workers they land
  // on different threads.
  let next = 0;
  for (let c = 0; c < o.consumers; c++)
    (workers[next++ % n] as WorkerPlan).consumers.push({
      id: c + 1,
      queue: queues[c % queues.length] as string,
    });
  for (let p = 0; p < o.producers; p++) {
    const offset = Math.floor((p * keys.length) / Math.max(1, o.producers));
    const routingKeys = [...keys.slice(offset), ...keys.slice(0, offset)];
    (workers[next++ % n] as WorkerPlan).producers.push({ id: p + 1, routingKeys });
  }
  return { queues, bindings, workers };
}
