/**
 * The messages a delayed exchange holds until they are due, and the one timer that releases them.
 *
 * Memory: per message only a DueHeap slot (due time, where its body is in the store); bodies live in
 * the message store and are read back, a batch at a time and never blocking the event loop, when
 * they are due. Without a store (a broker with no data directory) bodies stay in memory.
 *
 * Store ids, as for a queue: `id` (durable exchanges only) files persistent messages and is recorded
 * in the definitions, so they survive a restart; `pageId` files everything else (transient messages,
 * any message of a non-durable exchange) only to keep memory bounded, and recovery drops it.
 *
 * Time: due times are wall-clock ms since the epoch, so they mean the same after a restart
 * (due = arrivedAt + x-delay). setTimeout cannot wait more than 2^31-1 ms, so a longer wait is
 * re-armed in steps. A timer can fire a little early: what is released is decided by steadyNow().
 *
 * Crash story: a held persistent message is confirmed once its record is on disk. When it is due it
 * is routed, written again for the durable queues it reached, and its held record is acked only
 * after that new record is on disk; a crash in between delivers it once more after the restart
 * (at-least-once), never zero times.
 */
import type { MessageRef, MessageStore, RecoveredEntry, StoredMessage } from '../../store/message-store.js';
import { Message } from '../message.js';
import { DueHeap } from './due-heap.js';
import { delayOf, MAX_DUE } from './x-delay.js';
import { steadyNow } from '../clock.js';

/** Where a delayed exchange files held bodies; see the file comment. */
export interface HeldStore {
  readonly id: number | undefined;
  readonly pageId: number;
  readonly store: MessageStore;
}

/** Routes a due message through the exchange; returns the record it was persisted as, if any. */
export type Release = (msg: Message) => MessageRef | undefined;

/** where a slot's body is */
const IN_MEMORY = 0;
const DURABLE = 1;
const PAGED = 2;

/** setTimeout's longest wait */
const MAX_TIMER_MS = 2 ** 31 - 1;
/** bodies read back (and messages routed) per step */
const BATCH = 1024;

export class HeldMessages {
  private storeValue: HeldStore | undefined;
  private readonly heap = new DueHeap();
  /** bodies by slot, when there is no store */
  private readonly bodies: (Message | undefined)[] = [];
  /**
   * slots of recovered messages parked until their x-delay is read back (their time meanwhile: the
   * arrival, or -1 if unknown); unresolved[0, resolved) are scheduled
   */
  private unresolved: number[] = [];
  private resolved = 0;
  private resolving = false;
  /** popped from the heap, being read back and routed */
  private inFlight = 0;
  private timer: NodeJS.Timeout | undefined;
  /** what the timer was armed for (Infinity: not armed) */
  private timerDue = Infinity;
  /** bumped by drop and stop: reads started before are discarded when they complete */
  private generation = 0;
  private stopped = false;
  private readonly release: Release;
  /**
   * A read-back step threw: the store failed (it is fail-stop, and logs why). Nothing more can be
   * released; what is held stays on disk for the next start.
   */
  private readonly failed = (): void => this.stop();

  constructor(release: Release) {
    this.release = release;
  }

  get store(): HeldStore | undefined {
    return this.storeValue;
  }

  /** Attaches the message store; before the first hold or restore. */
  attach(store: HeldStore): void {
    this.storeValue = store;
  }

  /** Messages held, including recovered ones not yet scheduled and those being released. */
  get count(): number {
    return this.heap.length + this.unresolved.length - this.resolved + this.inFlight;
  }

  /**
   * Holds a message for `delay` ms. Returns the record to wait for before confirming (a persistent
   * message on a durable exchange), or undefined when it may be confirmed at once.
   */
  hold(msg: Message, delay: number): MessageRef | undefined {
    const now = steadyNow();
    const due = Math.min(now + delay, MAX_DUE);
    const s = this.storeValue;
    if (s === undefined) {
      const slot = this.heap.allocate(due, IN_MEMORY, undefined);
      this.bodies[slot] = msg;
      this.heap.push(slot);
      this.arm();
      return undefined;
    }
    const durable = s.id !== undefined && msg.persistent;
    const ref = s.store.append([durable ? (s.id as number) : s.pageId], {
      exchange: msg.exchange,
      routingKey: msg.routingKey,
      properties: msg.rawProperties,
      body: msg.body,
      arrivedAt: now,
    });
    this.heap.push(this.heap.allocate(due, durable ? DURABLE : PAGED, ref));
    this.arm();
    return durable ? ref : undefined;
  }

  /**
   * Takes back what the store recovered under the durable id. A message loaded with the recovery
   * is scheduled at once; the others are read back in batches for their x-delay header first, and
   * nothing is released until all are (see arm).
   */
  restore(entries: readonly RecoveredEntry[]): void {
    for (const e of entries) {
      if (e.message)
        this.heap.push(this.heap.allocate(dueAfterRestart(e.message, e.arrivedAt), DURABLE, e.ref));
      else this.unresolved.push(this.heap.allocate(e.arrivedAt ?? -1, DURABLE, e.ref));
    }
    this.arm();
    this.resolve();
  }

  /** The exchange was deleted: every held message goes, from memory and from the store. */
  drop(): void {
    this.stop();
    this.heap.clear();
    this.bodies.length = 0;
    this.unresolved = [];
    this.resolved = 0;
    const s = this.storeValue;
    if (s === undefined) return;
    if (s.id !== undefined) s.store.dropQueue(s.id);
    s.store.dropQueue(s.pageId);
  }

  /** The broker is closing: no more timers or store calls. What is held stays in the store. */
  stop(): void {
    this.stopped = true;
    this.generation++;
    this.inFlight = 0;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.timerDue = Infinity;
  }

  /**
   * Arms the timer for the earliest due time, unless it already fires by then. Not while a release is
   * in progress (it re-arms when done), nor while recovered messages are still being read back: one
   * of them may be due before everything in the heap, and due order is kept across a restart.
   */
  private arm(): void {
    if (this.stopped || this.inFlight > 0 || this.resolved < this.unresolved.length) return;
    const due = this.heap.peekDue();
    if (due >= this.timerDue) return;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timerDue = due;
    this.timer = setTimeout(() => this.fire(), Math.min(Math.max(due - steadyNow(), 0), MAX_TIMER_MS));
    // held messages must not keep a process alive that has nothing else to do (tests, embedding)
    this.timer.unref();
  }

  /** Releases the next batch of due messages; re-arms for the rest. */
  private fire(): void {
    this.timer = undefined;
    this.timerDue = Infinity;
    if (this.stopped || this.inFlight > 0) return;
    const now = steadyNow();
    const batch: number[] = [];
    while (batch.length < BATCH && this.heap.peekDue() <= now) batch.push(this.heap.pop());
    if (batch.length === 0) {
      this.arm(); // woke early, or one step of a wait longer than setTimeout allows
      return;
    }
    const s = this.storeValue;
    if (s === undefined) {
      for (const slot of batch) this.deliver(slot, this.bodies[slot]);
      this.arm();
      return;
    }
    this.inFlight = batch.length;
    const generation = this.generation;
    void s.store
      .readMany(batch.map((slot) => this.heap.ref(slot)))
      .then((results) => {
        if (generation !== this.generation) return; // dropped or stopped meanwhile
        this.inFlight = 0;
        results.forEach((r, i) => {
          const m = r.status === 'fulfilled' ? r.value : undefined;
          // a record that cannot be read back (corrupt) is never delivered: it is only released
          this.deliver(batch[i] as number, m && new Message(m.exchange, m.routingKey, m.properties, m.body));
        });
        this.arm();
      })
      .catch(this.failed);
  }

  /** Routes one due message (if its body could be had) and releases its slot and record. */
  private deliver(slot: number, msg: Message | undefined): void {
    const persisted = msg && this.release(msg);
    const kind = this.heap.kind(slot);
    const ref = this.heap.ref(slot);
    this.bodies[slot] = undefined;
    this.heap.free(slot);
    const s = this.storeValue;
    if (kind === IN_MEMORY || s === undefined) return;
    if (kind === PAGED) {
      s.store.ack(s.pageId, ref);
      return;
    }
    const id = s.id as number;
    if (persisted === undefined) s.store.ack(id, ref);
    // Only once the copy in the queues is on disk may the held one go (see the crash story).
    else s.store.whenSynced(() => s.store.ack(id, ref));
  }

  /** Reads recovered messages back, a batch at a time, to schedule them by their x-delay. */
  private resolve(): void {
    if (this.resolved === this.unresolved.length) {
      this.unresolved = [];
      this.resolved = 0;
      return;
    }
    const s = this.storeValue;
    if (this.resolving || s === undefined || this.stopped) return;
    const batch = this.unresolved.slice(this.resolved, this.resolved + BATCH);
    this.resolving = true;
    const generation = this.generation;
    void s.store
      .readMany(batch.map((slot) => this.heap.ref(slot)))
      .then((results) => {
        this.resolving = false;
        if (generation !== this.generation) return;
        results.forEach((r, i) => {
          const slot = batch[i] as number;
          const arrivedAt = this.heap.time(slot);
          // unreadable: due at once, so the release path tries it again and drops it
          const due =
            r.status === 'fulfilled' ? dueAfterRestart(r.value, arrivedAt < 0 ? undefined : arrivedAt) : 0;
          this.heap.setTime(slot, due);
          this.heap.push(slot);
        });
        this.resolved += batch.length;
        this.arm();
        this.resolve();
      })
      .catch(this.failed);
  }
}

/** A recovered message is due at its arrival plus its delay (counted from now without an arrival). */
function dueAfterRestart(m: StoredMessage, arrivedAt: number | undefined): number {
  const msg = new Message(m.exchange, m.routingKey, m.properties, m.body);
  return Math.min((arrivedAt ?? steadyNow()) + delayOf(msg), MAX_DUE);
}
