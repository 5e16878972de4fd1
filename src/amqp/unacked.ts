/**
 * A channel's delivered-but-unacked messages by delivery tag. Tags rise monotonically and a Map keeps
 * insertion order, so `multiple` acks walk from the oldest entry and stop at the first larger tag.
 * Each delivery carries the time it was made, which the consumer timeout (consumer-timeout.ts) watches.
 */
import type { Queue, QueueEntry } from '../core/queue/queue.js';
import { preconditionFailed } from '../protocol/errors.js';
import { clock, ConsumerTimeout } from './consumer-timeout.js';

export interface Delivery {
  readonly tag: number;
  readonly queue: Queue;
  readonly entry: QueueEntry;
  /** consumer tag, or undefined for basic.get */
  readonly consumerTag: string | undefined;
  /** when it was delivered (consumer-timeout.ts `clock()`) */
  readonly at: number;
}

export class Unacked {
  private readonly map = new Map<number, Delivery>();
  private readonly timeout: ConsumerTimeout;
  /** highest tag in the map's order so far: a smaller one added later breaks the walk in `take` */
  private lastTag = 0;

  /**
   * @param consumerTimeoutMs broker-wide consumer timeout; undefined = off unless a queue sets one
   * @param timedOut called once a delivery stayed unacked past its timeout, with the timeout used
   */
  constructor(consumerTimeoutMs: number | undefined, timedOut: (timeoutMs: number) => void) {
    this.timeout = new ConsumerTimeout(this.map, consumerTimeoutMs, timedOut);
  }

  get size(): number {
    return this.map.size;
  }

  /** Records a new delivery (tags must rise) and returns it. */
  track(tag: number, queue: Queue, entry: QueueEntry, consumerTag: string | undefined): Delivery {
    const d: Delivery = { tag, queue, entry, consumerTag, at: clock() };
    this.map.set(tag, d);
    this.lastTag = tag;
    this.timeout.watch(d);
    return d;
  }

  /** Puts back deliveries taken out earlier (tx.rollback), keeping their original times. */
  restore(ds: readonly Delivery[]): void {
    let ordered = true;
    for (const d of ds) {
      if (d.tag < this.lastTag) ordered = false;
      else this.lastTag = d.tag;
      this.map.set(d.tag, d);
      this.timeout.watch(d);
    }
    if (ordered) return;
    // Re-sort, so that `take` can keep stopping at the first larger tag.
    const sorted = [...this.map.values()].sort((a, b) => a.tag - b.tag);
    this.map.clear();
    for (const d of sorted) this.map.set(d.tag, d);
  }

  /**
   * Removes and returns the deliveries an ack/nack/reject names. Tag 0 with multiple means all.
   * An unknown tag is a 406, as in RabbitMQ (the channel closes).
   */
  take(tag: number, multiple: boolean): Delivery[] {
    if (!multiple) {
      const d = this.map.get(tag);
      if (!d) throw preconditionFailed(`unknown delivery tag ${tag}`);
      this.map.delete(tag);
      return [d];
    }
    if (tag !== 0 && !this.map.has(tag)) throw preconditionFailed(`unknown delivery tag ${tag}`);
    const out: Delivery[] = [];
    for (const [t, d] of this.map) {
      if (tag !== 0 && t > tag) break;
      out.push(d);
      this.map.delete(t);
    }
    return out;
  }

  /** Everything, oldest first, leaving the set empty (channel close, recover). */
  drain(): Delivery[] {
    const all = [...this.map.values()];
    this.map.clear();
    this.timeout.reset();
    return all;
  }
}

/** Hands unacked messages back to their queues, grouped per queue so each keeps its order. */
export function requeueAll(deliveries: Delivery[]): void {
  const byQueue = new Map<Queue, QueueEntry[]>();
  for (const d of deliveries) {
    const list = byQueue.get(d.queue);
    if (list) list.push(d.entry);
    else byQueue.set(d.queue, [d.entry]);
  }
  for (const [q, entries] of byQueue) q.requeue(entries);
}
