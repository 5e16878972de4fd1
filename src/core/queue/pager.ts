/**
 * Keeps a queue's memory bounded. Once the broker's ready bodies pass the memory budget (or this
 * queue holds the budget's maxLoaded messages), new arrivals keep only their place in the queue (a
 * QueueEntry with a store ref) and their bodies live on disk. A lane whose consumers keep up (its
 * oldest message is younger than KEEP_UP_MS, and it gave up a message before a whole budget's worth
 * arrived) is spared until HARD_FACTOR times the budget.
 *
 * A lane is three runs: loaded entries at the head, then the paged ones, then a loaded tail of
 * entries that arrived after paging stopped being needed (no tail while nothing is paged).
 * Delivery takes from the head and requeued messages return into the loaded head (they are older
 * than anything paged). An arrival that must be paged while there is a tail pages the tail first,
 * so the paged entries stay one run. When the loaded head runs low, the next batch of paged
 * entries is read back asynchronously (the event loop never waits on disk) and delivery resumes
 * when it arrives.
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

/**
 * A lane whose oldest message arrived less than this long ago, and which gave up a message (to a
 * consumer, mostly) before a budget's worth of bytes arrived, has consumers that keep up: its
 * backlog (a burst, a consumer's pause for GC or for the scheduler) drains by itself. Paging its
 * arrivals would only slow it: each body written, read back and checked again moments later.
 * Measured with 1 MiB messages, one producer and one consumer on two cores: a burst past the
 * budget made the queue page, which cut it from ~1,000 msg/s to ~300. The second condition catches
 * a consumer that stopped reading at once, rather than a second later.
 */
const KEEP_UP_MS = 1000;
/**
 * Lanes that keep up stay in memory until the broker's ready bodies reach this many times the
 * budget; past that they page too, so memory stays bounded however many queues keep up.
 */
const HARD_FACTOR = 4;
/** Arrival stamps kept per lane (one per clock tick): heads older than all of them count as old. */
const MAX_STAMPS = 32;

/**
 * The pager's clock, read on every arrival: performance.now() costs ~45 ns, too much per message,
 * so a timer refreshes this one every CLOCK_TICK_MS while it is read, and stops after a tick in
 * which nobody read it (an idle broker has no timer). Late by a tick at most, plenty for KEEP_UP_MS.
 */
const CLOCK_TICK_MS = 100;
let clock = 0;
let clockRead = false;
let clockTimer: NodeJS.Timeout | undefined;

function tick(): void {
  if (!clockRead) {
    clearInterval(clockTimer);
    clockTimer = undefined;
    return;
  }
  clockRead = false;
  clock = performance.now();
}

function coarseNow(): number {
  clockRead = true;
  if (clockTimer === undefined) {
    clock = performance.now();
    clockTimer = setInterval(tick, CLOCK_TICK_MS);
    clockTimer.unref();
  }
  return clock;
}

export class Pager {
  /** entries whose bodies are on disk only (one run, before the tail), and their body bytes */
  paged = 0;
  pagedBytes = 0;
  /** loaded entries after the paged ones, at the end of the lane; 0 whenever nothing is paged */
  tail = 0;
  /** body bytes arrived since the lane last gave up its head (Lane.shift resets it) */
  sinceTaken = 0;
  private loading = false;
  /** bumped when paged entries leave other than by loading (purge, drop-head): stale loads are discarded */
  private generation = 0;
  private waiters: (() => void)[] = [];
  /**
   * Arrival stamps, oldest first: entry `stampSeq[i]` (and so every later one) arrived at or after
   * `stampAt[i]` on the pager's clock. One per clock tick, so a head's age is known to a tick.
   */
  private stampSeq: number[] = [0];
  private stampAt: number[] = [-Infinity];
  private readonly store: QueueStore;
  private readonly ready: Deque<QueueEntry>;
  private readonly hasConsumers: () => boolean;
  private readonly loadedCallback: () => void;
  private readonly dropCorrupt: (entry: QueueEntry) => void;

  constructor(
    store: QueueStore,
    ready: Deque<QueueEntry>,
    hasConsumers: () => boolean,
    onLoaded: () => void,
    dropCorrupt: (e: QueueEntry) => void,
  ) {
    this.store = store;
    this.ready = ready;
    this.hasConsumers = hasConsumers;
    this.loadedCallback = onLoaded;
    this.dropCorrupt = dropCorrupt;
  }

  /** Whether `entry`, arriving now, must be paged out rather than kept in memory. */
  shouldPage(entry: QueueEntry): boolean {
    const b = this.store.budget;
    const n = this.ready.length;
    this.sinceTaken += entry.size;
    if (n >= b.maxLoaded) return true;
    const now = coarseNow();
    if (n === 0) {
      // The lane is empty: this arrival is its head, and older stamps can never matter again.
      if (this.stampSeq.length !== 1) {
        this.stampSeq.length = 1;
        this.stampAt.length = 1;
      }
      this.stampSeq[0] = entry.seq;
      this.stampAt[0] = now;
    } else if ((this.stampAt[this.stampAt.length - 1] as number) !== now) {
      const last = this.stampAt.length - 1;
      if (last + 1 >= MAX_STAMPS) {
        this.stampSeq.shift();
        this.stampAt.shift();
      }
      this.stampSeq.push(entry.seq);
      this.stampAt.push(now);
    }
    if (b.usedBytes < b.limitBytes) return false;
    if (b.usedBytes >= HARD_FACTOR * b.limitBytes || !this.hasConsumers()) return true;
    if (n === 0) return false;
    return this.sinceTaken > b.limitBytes || this.headAge(now) >= KEEP_UP_MS;
  }

  /** How long ago the lane's head arrived, at most (Infinity if before every stamp kept). */
  private headAge(now: number): number {
    const head = this.ready.peek() as QueueEntry;
    // The newest stamp at or before the head; the ones before it are of entries already gone.
    let i = -1;
    while (i + 1 < this.stampSeq.length && (this.stampSeq[i + 1] as number) <= head.seq) i++;
    if (i < 0) return Infinity;
    if (i > 0) {
      this.stampSeq.splice(0, i);
      this.stampAt.splice(0, i);
    }
    return now - (this.stampAt[0] as number);
  }

  /**
   * Keeps an arrival that needs no paging. Behind paged entries it starts or extends the tail.
   */
  keep(): void {
    if (this.paged > 0) this.tail++;
  }

  /** Pages out the loaded tail (the arrival after it must be paged, and paged entries are one run). */
  pageTail(): void {
    const n = this.ready.length;
    for (let i = n - this.tail; i < n; i++) this.pageOut(this.ready.at(i) as QueueEntry);
    this.tail = 0;
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
    if (this.paged === 0) this.tail = 0;
    this.generation++;
  }

  /** All paged entries are gone (purge, delete). */
  reset(): void {
    this.paged = 0;
    this.pagedBytes = 0;
    this.tail = 0;
    this.generation++;
  }

  /** Calls `cb` once the head of the queue is loaded (at once if it is, or if the queue is empty). */
  whenHeadLoaded(cb: () => void): void {
    if (this.ready.length === 0 || this.ready.length - this.tail > this.paged) {
      cb();
      return;
    }
    this.waiters.push(cb);
    this.maybeLoad();
  }

  /** Starts reading the next batch back if the loaded head is running low. */
  maybeLoad(): void {
    const start = this.ready.length - this.paged - this.tail;
    if (this.loading || this.paged === 0 || start >= LOW_WATER) return;
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
            this.paged--;
            this.pagedBytes -= e.size;
          }
        });
        if (this.paged === 0) this.tail = 0;
        // A record that could not be read back (corrupt) is never delivered: drop it from the queue
        // (removedPaged counts it out: it is still paged).
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
