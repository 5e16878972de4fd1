/**
 * A classic queue: ready messages in FIFO order, round-robin delivery to consumers that have credit,
 * and requeue of unacked messages back to their original position.
 *
 * The queue does not track which consumer holds an unacked message: the channel that received it does
 * (that is where acks arrive). The queue only counts them, and takes them back with `requeue`.
 * With a message store attached, the queue files what leaves it for good (`forget`) and marks first
 * deliveries, and its Pager keeps memory bounded by paging the bodies of a long backlog to disk.
 */
import { Deque } from '../deque.js';
import type { Consumer } from '../consumer.js';
import type { Message } from '../message.js';
import type { FieldTable } from '../../protocol/field-types.js';
import { accessRefused } from '../../protocol/errors.js';
import type { MessageRef } from '../../store/message-store.js';
import type { QueueEntry, QueueStore } from './entry.js';
import { Pager } from './pager.js';
import { resolveQueueSettings, type PolicyDefinition, type QueueSettings } from './settings.js';

export type { QueueEntry, QueueStore } from './entry.js';

function intArg(args: FieldTable, key: string): number | undefined {
  const v = args[key];
  return typeof v === 'number' && Number.isInteger(v) && v >= 0 ? v : undefined;
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
  private storeValue: QueueStore | undefined;
  private pager: Pager | undefined;
  /** loaded ready bytes last reported to the broker's memory budget */
  private reportedLoaded = 0;

  /** effective settings (arguments combined with the applying policy) */
  settings: QueueSettings;
  /** name of the policy that applies, for listings; undefined when none */
  policy: string | undefined;

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
    this.settings = resolveQueueSettings(opts.arguments, undefined);
    this.policy = undefined;
    this.maxLength = intArg(opts.arguments, 'x-max-length');
    this.maxBytes = intArg(opts.arguments, 'x-max-length-bytes');
    this.rejectOnFull = String(opts.arguments['x-overflow'] ?? 'drop-head') !== 'drop-head';
  }

  /**
   * A policy now applies to this queue (or none, with undefined): settings are recomputed and take
   * effect at once (a lower max-length drops or dead-letters the excess, a new TTL expires...).
   */
  applyPolicy(name: string | undefined, definition: PolicyDefinition | undefined): void {
    this.policy = name;
    this.settings = resolveQueueSettings(this.arguments, definition);
  }

  /** The message store, once storage attached one (durable id and/or paging id). */
  get store(): QueueStore | undefined {
    return this.storeValue;
  }

  set store(s: QueueStore | undefined) {
    if (this.storeValue) this.storeValue.budget.usedBytes -= this.reportedLoaded;
    this.reportedLoaded = 0;
    this.storeValue = s;
    this.pager = s
      ? new Pager(
          s,
          this.ready,
          () => {
            this.account();
            this.dispatch();
          },
          (e) => this.dropEntry(e),
        )
      : undefined;
  }

  /** the store id for persistent messages, when this queue is durable and storage is on */
  get durableStoreId(): number | undefined {
    return this.storeValue?.id;
  }

  get messageCount(): number {
    return this.ready.length;
  }

  get messageBytes(): number {
    return this.readyBytes;
  }

  /** ready messages whose bodies are on disk only */
  get pagedCount(): number {
    return this.pager?.paged ?? 0;
  }

  /** Reports the change in bodies held in memory to the broker's budget (cheap: two subtractions). */
  private account(): void {
    const s = this.storeValue;
    if (!s) return;
    const loaded = this.readyBytes - (this.pager?.pagedBytes ?? 0);
    s.budget.usedBytes += loaded - this.reportedLoaded;
    this.reportedLoaded = loaded;
  }

  get consumerCount(): number {
    return this.consumerList.length;
  }

  get consumers(): readonly Consumer[] {
    return this.consumerList;
  }

  /**
   * Adds a routed message and delivers it at once if a consumer can take it. `ref` is its record in
   * the store when it was persisted for this (durable) queue. Returns false when the queue is full
   * and its overflow mode refuses new messages (the publisher gets a nack); with drop-head (the
   * default) the oldest ready messages make room instead.
   */
  enqueue(msg: Message, ref?: MessageRef): boolean {
    const storeId = ref ? (this.storeValue?.id ?? 0) : 0;
    if (this.maxLength !== undefined || this.maxBytes !== undefined) {
      if (!this.makeRoom(msg.body.length)) {
        if (ref) this.storeValue?.store.ack(storeId, ref);
        return false;
      }
    }
    const entry: QueueEntry = {
      msg,
      size: msg.body.length,
      seq: this.nextSeq++,
      redelivered: false,
      ref,
      storeId,
      markedDelivered: false,
    };
    if (this.pager?.shouldPage()) this.pager.pageOut(entry);
    this.ready.push(entry);
    this.readyBytes += entry.size;
    this.account();
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
    while (this.ready.length > 0 && !fits()) this.dropEntry(this.ready.peek() as QueueEntry);
    // A message alone larger than x-max-length-bytes (or x-max-length 0) cannot be kept at all.
    return fits();
  }

  /** Removes one ready entry (the head, or a corrupt paged one) and releases it in the store. */
  private dropEntry(entry: QueueEntry): void {
    if (this.ready.peek() === entry) this.ready.shift();
    else {
      const rest = this.ready.clear().filter((e) => e !== entry);
      for (const e of rest) this.ready.push(e);
    }
    this.readyBytes -= entry.size;
    if (entry.msg === undefined) this.pager?.removedPaged(entry);
    this.account();
    this.forget(entry);
  }

  /**
   * Puts back a message recovered from the store at startup, in its original order. `msg` is
   * undefined when the store left the body on disk; past the memory limit bodies are paged anyway.
   */
  restore(
    msg: Message | undefined,
    ref: MessageRef,
    storeId: number,
    redelivered: boolean,
    size: number,
  ): void {
    const entry: QueueEntry = {
      msg,
      size,
      seq: this.nextSeq++,
      redelivered,
      ref,
      storeId,
      markedDelivered: redelivered,
    };
    if (this.pager && (msg === undefined || this.pager.shouldPage())) this.pager.restoredPaged(entry);
    this.ready.push(entry);
    this.readyBytes += size;
    this.account();
  }

  /** True when the next message for basic.get is in memory (or there is none). */
  headReady(): boolean {
    return this.ready.length === 0 || (this.ready.peek() as QueueEntry).msg !== undefined;
  }

  /** Calls `cb` once the head message is in memory (at once when it is). */
  whenHeadReady(cb: () => void): void {
    if (!this.pager) cb();
    else this.pager.whenHeadLoaded(cb);
  }

  /** Next ready message for basic.get, or undefined when empty. The head must be ready (headReady). */
  get(noAck: boolean): QueueEntry | undefined {
    if (!this.headReady()) throw new Error('queue head is paged out: wait with whenHeadReady first');
    const entry = this.take();
    if (!entry) return undefined;
    this.handedOut(entry, noAck);
    this.pager?.maybeLoad();
    return entry;
  }

  private take(): QueueEntry | undefined {
    const entry = this.ready.shift();
    if (entry) {
      this.readyBytes -= entry.size;
      this.account();
    }
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
    const durableId = this.storeValue?.id;
    if (entry.ref && durableId !== undefined && entry.storeId === durableId && !entry.markedDelivered) {
      entry.markedDelivered = true;
      this.storeValue?.store.delivered(durableId, entry.ref);
    }
  }

  /** The message is gone from this queue for good: release it in the store. */
  private forget(entry: QueueEntry): void {
    if (entry.ref && this.storeValue) this.storeValue.store.ack(entry.storeId, entry.ref);
  }

  /** Delivers ready messages round-robin to consumers with credit until either runs out. */
  dispatch(): void {
    // Deliveries can cause re-entrant calls (a consumer's deliver may close its channel); one loop
    // at a time keeps the round-robin state consistent.
    if (this.dispatching || this.deleted) return;
    this.dispatching = true;
    try {
      const list = this.consumerList;
      while (this.ready.length > 0 && list.length > 0) {
        if ((this.ready.peek() as QueueEntry).msg === undefined) break; // body still on disk
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
    if (this.consumerList.length > 0) this.pager?.maybeLoad();
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
   * entry goes right where it was: usually at or near the head, found by a short scan. Requeued
   * entries are older than any paged one, so they land in the loaded part.
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
      this.readyBytes += e.size;
    }
    this.account();
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
    this.pager?.reset();
    this.account();
    if (this.storeValue && !this.deleted) for (const e of dropped) this.forget(e);
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
