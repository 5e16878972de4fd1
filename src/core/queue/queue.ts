/**
 * A classic in-memory queue: ready messages in FIFO order, round-robin delivery to consumers that have
 * credit, and requeue of unacked messages back near the head in their original order.
 *
 * The queue does not track which consumer holds an unacked message: the channel that received it does
 * (that is where acks arrive). The queue only counts them, and takes them back with `requeue`.
 * A store (durability, next) hooks in at `onEnqueue`/`onRemove`, so this class stays the one place
 * that decides ordering and delivery.
 */
import { Deque } from '../deque.js';
import type { Consumer } from '../consumer.js';
import type { Message } from '../message.js';
import type { FieldTable } from '../../protocol/field-types.js';
import { accessRefused } from '../../protocol/errors.js';
import type { MessageRef, MessageStore } from '../../store/message-store.js';

function intArg(args: FieldTable, key: string): number | undefined {
  const v = args[key];
  return typeof v === 'number' && Number.isInteger(v) && v >= 0 ? v : undefined;
}

export interface QueueEntry {
  readonly msg: Message;
  /** position in this queue's arrival order; requeued entries go back by it */
  readonly seq: number;
  redelivered: boolean;
  /** where the message is on disk, for persistent messages in a durable queue */
  readonly ref: MessageRef | undefined;
  /** the store was told this entry was delivered (written once) */
  markedDelivered: boolean;
}

/** The message store as one durable queue sees it. */
export interface QueueStore {
  readonly id: number;
  readonly store: MessageStore;
}

export interface QueueOwner {
  readonly id: number;
}

export interface QueueOptions {
  name: string;
  vhost: string;
  durable: boolean;
  exclusiveOwner: QueueOwner | null;
  autoDelete: boolean;
  arguments: FieldTable;
}

/** Callbacks a queue makes into its vhost. */
export interface QueueHost {
  /** the last consumer of an auto-delete queue went away */
  autoDelete(queue: Queue): void;
}

export class Queue {
  readonly destinationKind = 'queue';
  readonly name: string;
  readonly vhost: string;
  readonly durable: boolean;
  readonly exclusiveOwner: QueueOwner | null;
  readonly autoDelete: boolean;
  readonly arguments: FieldTable;
  private readonly host: QueueHost;
  /** x-max-length / x-max-length-bytes, read once from the arguments (undefined = no limit) */
  private readonly maxLength: number | undefined;
  private readonly maxBytes: number | undefined;
  private readonly rejectOnFull: boolean;

  private readonly ready = new Deque<QueueEntry>();
  private readyBytes = 0;
  private nextSeq = 1;
  /** delivered, not yet acked (held by channels) */
  unackedCount = 0;
  private readonly consumerList: Consumer[] = [];
  private rr = 0;
  private hadConsumer = false;
  private dispatching = false;
  deleted = false;

  /** set for durable queues when the broker has a message store */
  store: QueueStore | undefined;
  /** counters for stats */
  stats = { published: 0, delivered: 0, acked: 0, redelivered: 0 };

  constructor(opts: QueueOptions, host: QueueHost) {
    this.name = opts.name;
    this.vhost = opts.vhost;
    this.durable = opts.durable;
    this.exclusiveOwner = opts.exclusiveOwner;
    this.autoDelete = opts.autoDelete;
    this.arguments = opts.arguments;
    this.host = host;
    this.maxLength = intArg(opts.arguments, 'x-max-length');
    this.maxBytes = intArg(opts.arguments, 'x-max-length-bytes');
    this.rejectOnFull = String(opts.arguments['x-overflow'] ?? 'drop-head') !== 'drop-head';
  }

  get messageCount(): number {
    return this.ready.length;
  }

  get messageBytes(): number {
    return this.readyBytes;
  }

  get consumerCount(): number {
    return this.consumerList.length;
  }

  get consumers(): readonly Consumer[] {
    return this.consumerList;
  }

  /**
   * Adds a routed message and delivers it at once if a consumer can take it. Returns false when
   * the queue is full and its overflow mode refuses new messages (the publisher gets a nack).
   * With drop-head (the default) the oldest ready messages make room instead.
   */
  enqueue(msg: Message, ref?: MessageRef): boolean {
    if (this.maxLength !== undefined || this.maxBytes !== undefined) {
      if (!this.makeRoom(msg.body.length)) {
        if (ref && this.store) this.store.store.ack(this.store.id, ref);
        return false;
      }
    }
    const entry: QueueEntry = { msg, seq: this.nextSeq++, redelivered: false, ref, markedDelivered: false };
    this.ready.push(entry);
    this.readyBytes += msg.body.length;
    this.stats.published++;
    if (this.consumerList.length > 0) this.dispatch();
    return true;
  }

  private makeRoom(size: number): boolean {
    const fits = (): boolean =>
      (this.maxLength === undefined || this.ready.length + 1 <= this.maxLength) &&
      (this.maxBytes === undefined || this.readyBytes + size <= this.maxBytes);
    if (fits()) return true;
    if (this.rejectOnFull) return false;
    while (this.ready.length > 0 && !fits()) this.forget(this.take() as QueueEntry);
    // A message alone larger than x-max-length-bytes (or x-max-length 0) cannot be kept at all.
    return fits();
  }

  /** Puts back messages recovered from the store at startup, in their original order. */
  restore(msg: Message, ref: MessageRef, redelivered: boolean): void {
    this.ready.push({ msg, seq: this.nextSeq++, redelivered, ref, markedDelivered: redelivered });
    this.readyBytes += msg.body.length;
  }

  /** Next ready message for basic.get, or undefined when empty. */
  get(noAck: boolean): QueueEntry | undefined {
    const entry = this.take();
    if (!entry) return undefined;
    this.handedOut(entry, noAck);
    return entry;
  }

  private take(): QueueEntry | undefined {
    const entry = this.ready.shift();
    if (entry) this.readyBytes -= entry.msg.body.length;
    return entry;
  }

  /** Bookkeeping for a message leaving the ready list towards a client. */
  private handedOut(entry: QueueEntry, noAck: boolean): void {
    this.stats.delivered++;
    if (noAck) {
      this.forget(entry);
      return;
    }
    this.unackedCount++;
    if (entry.ref && this.store && !entry.markedDelivered) {
      entry.markedDelivered = true;
      this.store.store.delivered(this.store.id, entry.ref);
    }
  }

  /** The message is gone from this queue for good: release it in the store. */
  private forget(entry: QueueEntry): void {
    if (entry.ref && this.store) this.store.store.ack(this.store.id, entry.ref);
  }

  /** Delivers ready messages round-robin to consumers with credit until either runs out. */
  dispatch(): void {
    // Deliveries can cause re-entrant calls (a consumer's deliver may close its channel); one loop
    // at a time keeps the round-robin state consistent.
    if (this.dispatching) return;
    this.dispatching = true;
    try {
      const list = this.consumerList;
      while (this.ready.length > 0 && list.length > 0) {
        let chosen: Consumer | undefined;
        for (let i = 0; i < list.length; i++) {
          const c = list[(this.rr + i) % list.length] as Consumer;
          if (c.canTake()) {
            chosen = c;
            this.rr = (this.rr + i + 1) % list.length;
            break;
          }
        }
        if (!chosen) break;
        const entry = this.take() as QueueEntry;
        this.handedOut(entry, chosen.noAck);
        chosen.deliver(this, entry);
      }
    } finally {
      this.dispatching = false;
    }
  }

  /** An unacked message was acked (or rejected without requeue): it is gone for good. */
  settle(entry: QueueEntry): void {
    this.unackedCount--;
    this.stats.acked++;
    if (!this.deleted) this.forget(entry);
  }

  /**
   * Unacked messages come back marked redelivered, in their original arrival order. The ready list
   * is always sorted by arrival (delivery takes from the head, requeue inserts by seq), so a requeued
   * entry goes right where it was: usually at or near the head, found by a short scan.
   */
  requeue(entries: QueueEntry[]): void {
    if (this.deleted) return;
    entries.sort((a, b) => b.seq - a.seq);
    for (const e of entries) {
      e.redelivered = true;
      this.unackedCount--;
      this.stats.redelivered++;
      let i = 0;
      while (i < this.ready.length && (this.ready.at(i) as QueueEntry).seq < e.seq) i++;
      if (i === 0) this.ready.unshift(e);
      else this.ready.insertAt(i, e);
      this.readyBytes += e.msg.body.length;
    }
    if (this.consumerList.length > 0) this.dispatch();
  }

  addConsumer(consumer: Consumer): void {
    if (this.consumerList.some((c) => c.exclusive) || (consumer.exclusive && this.consumerList.length > 0)) {
      throw accessRefused(`queue '${this.name}' in vhost '${this.vhost}' in exclusive use`);
    }
    this.consumerList.push(consumer);
    this.hadConsumer = true;
  }

  removeConsumer(consumer: Consumer): void {
    const i = this.consumerList.indexOf(consumer);
    if (i < 0) return;
    this.consumerList.splice(i, 1);
    if (this.rr > i) this.rr--;
    if (this.consumerList.length === 0) {
      this.rr = 0;
      if (this.autoDelete && this.hadConsumer) this.host.autoDelete(this);
    }
  }

  /** Drops every ready message (unacked ones stay with their channels); returns how many. */
  purge(): number {
    const n = this.ready.length;
    const dropped = this.ready.clear();
    this.readyBytes = 0;
    if (this.store && !this.deleted) for (const e of dropped) this.forget(e);
    return n;
  }

  /** Marks the queue gone and tells its consumers. Returns the number of ready messages dropped. */
  destroy(): number {
    // Set first: the store drops the whole queue in one record, not message by message.
    this.deleted = true;
    const n = this.purge();
    const consumers = this.consumerList.splice(0);
    for (const c of consumers) c.cancelledByQueue(this);
    return n;
  }
}
