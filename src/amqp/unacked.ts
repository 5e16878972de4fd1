/**
 * A channel's delivered-but-unacked messages by delivery tag. Tags rise monotonically and a Map keeps
 * insertion order, so `multiple` acks walk from the oldest entry and stop at the first larger tag.
 */
import type { Queue, QueueEntry } from '../core/queue/queue.js';
import { preconditionFailed } from '../protocol/errors.js';

export interface Delivery {
  readonly tag: number;
  readonly queue: Queue;
  readonly entry: QueueEntry;
  /** consumer tag, or undefined for basic.get */
  readonly consumerTag: string | undefined;
}

export class Unacked {
  private readonly map = new Map<number, Delivery>();

  get size(): number {
    return this.map.size;
  }

  add(d: Delivery): void {
    this.map.set(d.tag, d);
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
