/**
 * Keeps a queue's memory bounded. Once the broker's ready bodies pass the memory budget (or this
 * queue holds the budget's maxLoaded messages), new arrivals keep only their place in the queue (a QueueEntry with a store ref) and their bodies live on disk. Paged entries are
 * always the newest ones, a suffix of the ready list: delivery takes from the head, requeued
 * messages return into the loaded part, and everything that arrives while anything is paged is paged
 * too. When the loaded head runs low, the next batch is read back asynchronously (the event loop
 * never waits on disk) and delivery resumes when it arrives.
 */
import { Message } from '../message.js';
import type { Deque } from '../deque.js';
import type { QueueEntry, QueueStore } from './entry.js';

/**
 * Defaults for the MemoryBudget: 32 MiB of bodies broker-wide, 131,072 messages per queue. Measured
 * with one durable queue of 1,000,000 x 1 KiB persistent messages: a 128 MiB budget peaked at 512 MB
 * RSS (entries of paged messages cost ~140 MB on top) and 64 MiB at 414 MB, over the 400 MB target.
 */
export const DEFAULT_BUDGET_BYTES = 32 * 1024 * 1024;
export const DEFAULT_MAX_LOADED = 131_072;
/** Loaded messages below which the next batch is read back. */
const LOW_WATER = 512;
const BATCH = 1024;

export class Pager {
  /** entries at the tail of the ready list whose bodies are on disk only, and their body bytes */
  paged = 0;
  pagedBytes = 0;
  private loading = false;
  /** bumped when paged entries leave other than by loading (purge, drop-head): stale loads are discarded */
  private generation = 0;
  private waiters: (() => void)[] = [];
  private readonly store: QueueStore;
  private readonly ready: Deque<QueueEntry>;
  private readonly loadedCallback: () => void;
  private readonly dropCorrupt: (entry: QueueEntry) => void;

  constructor(
    store: QueueStore,
    ready: Deque<QueueEntry>,
    onLoaded: () => void,
    dropCorrupt: (e: QueueEntry) => void,
  ) {
    this.store = store;
    this.ready = ready;
    this.loadedCallback = onLoaded;
    this.dropCorrupt = dropCorrupt;
  }

  /** Whether the next arrival must be paged out rather than kept in memory. */
  shouldPage(): boolean {
    const b = this.store.budget;
    return this.paged > 0 || b.usedBytes >= b.limitBytes || this.ready.length >= b.maxLoaded;
  }

  /**
   * Pages a new entry out: its body goes to the store under the paging id unless it already has a
   * durable ref, and only the entry stays in memory.
   */
  pageOut(entry: QueueEntry): void {
    const msg = entry.msg as Message;
    if (!entry.ref) {
      entry.ref = this.store.store.append([this.store.pageId], {
        exchange: msg.exchange,
        routingKey: msg.routingKey,
        properties: msg.rawProperties,
        body: msg.body,
      });
      entry.storeId = this.store.pageId;
    }
    entry.msg = undefined;
    this.paged++;
    this.pagedBytes += entry.size;
  }

  /** A recovered entry whose body stays on disk. */
  restoredPaged(entry: QueueEntry): void {
    entry.msg = undefined;
    this.paged++;
    this.pagedBytes += entry.size;
  }

  /** A paged entry left the queue other than through loading. */
  removedPaged(entry: QueueEntry): void {
    this.paged--;
    this.pagedBytes -= entry.size;
    this.generation++;
  }

  /** All paged entries are gone (purge, delete). */
  reset(): void {
    this.paged = 0;
    this.pagedBytes = 0;
    this.generation++;
  }

  /** Calls `cb` once the head of the queue is loaded (at once if it is, or if the queue is empty). */
  whenHeadLoaded(cb: () => void): void {
    if (this.ready.length === 0 || this.ready.length > this.paged) {
      cb();
      return;
    }
    this.waiters.push(cb);
    this.maybeLoad();
  }

  /** Starts reading the next batch back if the loaded head is running low. */
  maybeLoad(): void {
    if (this.loading || this.paged === 0 || this.ready.length - this.paged >= LOW_WATER) return;
    const start = this.ready.length - this.paged;
    const n = Math.min(BATCH, this.paged);
    const batch: QueueEntry[] = [];
    for (let i = 0; i < n; i++) batch.push(this.ready.at(start + i) as QueueEntry);
    const generation = this.generation;
    this.loading = true;
    const store = this.store.store;
    void store.readMany(batch.map((e) => e.ref as NonNullable<QueueEntry['ref']>)).then((results) => {
      this.loading = false;
      if (generation === this.generation) {
        results.forEach((r, i) => {
          const e = batch[i] as QueueEntry;
          if (r.status === 'fulfilled') {
            const m = r.value;
            e.msg = new Message(m.exchange, m.routingKey, m.properties, m.body);
          }
        });
        this.paged -= n;
        // A record that could not be read back (corrupt) is never delivered: drop it from the queue.
        results.forEach((r, i) => {
          if (r.status === 'rejected') this.dropCorrupt(batch[i] as QueueEntry);
        });
      }
      const waiters = this.waiters;
      this.waiters = [];
      this.loadedCallback();
      for (const w of waiters) this.whenHeadLoaded(w);
    });
  }
}
