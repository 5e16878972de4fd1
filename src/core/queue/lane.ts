/**
 * One FIFO of ready messages. A plain queue has one lane; a priority queue one per priority level
 * (x-max-priority + 1), highest delivered first. Each lane keeps its entries in arrival order (seq)
 * and has its own Pager, so "paged entries are one run, followed only by the pager's loaded tail"
 * holds per lane and paging needs no knowledge of priorities.
 */
import { Deque } from '../deque.js';
import type { QueueEntry, QueueStore } from './entry.js';
import { Pager } from './pager.js';

export class Lane {
  readonly items = new Deque<QueueEntry>();
  /** body bytes of the entries in this lane */
  bytes = 0;
  pager: Pager | undefined;

  get length(): number {
    return this.items.length;
  }

  attach(
    store: QueueStore | undefined,
    hasConsumers: () => boolean,
    onLoaded: () => void,
    dropCorrupt: (e: QueueEntry) => void,
  ): void {
    this.pager = store ? new Pager(store, this.items, hasConsumers, onLoaded, dropCorrupt) : undefined;
  }

  push(entry: QueueEntry): void {
    const pager = this.pager;
    if (pager !== undefined) {
      if (!pager.shouldPage(entry)) pager.keep();
      else {
        if (pager.tail > 0) pager.pageTail();
        pager.pageOut(entry);
      }
    }
    this.items.push(entry);
    this.bytes += entry.size;
  }

  /** A recovered entry; its body may still be on disk. */
  pushRestored(entry: QueueEntry): void {
    // Anything after a paged entry is paged too: recovery makes no tail.
    const pager = this.pager;
    if (pager && (entry.msg === undefined || pager.paged > 0 || pager.shouldPage(entry))) {
      pager.restoredPaged(entry);
    }
    this.items.push(entry);
    this.bytes += entry.size;
  }

  /** Takes the head; a paged head (expired, or dropped by a length limit) leaves the pager too. */
  shift(): QueueEntry | undefined {
    const e = this.items.shift();
    if (e) {
      this.bytes -= e.size;
      const pager = this.pager;
      if (pager !== undefined) {
        pager.sinceTaken = 0;
        if (e.msg === undefined) pager.removedPaged(e);
      }
    }
    return e;
  }

  /** Removes the newest entry (a TTL-0 message nobody could take at once). */
  popNewest(): QueueEntry | undefined {
    const e = this.items.pop();
    if (e) {
      this.bytes -= e.size;
      if (e.msg === undefined) this.pager?.removedPaged(e);
      else if (this.pager !== undefined && this.pager.tail > 0) this.pager.tail--;
    }
    return e;
  }

  /** Puts a returned entry back at its arrival position (usually at or near the head). */
  insertBySeq(e: QueueEntry): void {
    let i = 0;
    while (i < this.items.length && (this.items.at(i) as QueueEntry).seq < e.seq) i++;
    if (i === 0) this.items.unshift(e);
    else this.items.insertAt(i, e);
    this.bytes += e.size;
  }

  /**
   * Removes every entry `drop` selects, in one pass (expiry from the middle of the lane, a corrupt
   * record). Returns the removed entries in lane order.
   */
  removeWhere(drop: (e: QueueEntry) => boolean): QueueEntry[] {
    const removed: QueueEntry[] = [];
    const kept: QueueEntry[] = [];
    // The tail is what is loaded after the last paged entry kept.
    let tail = 0;
    for (const e of this.items.clear()) {
      if (drop(e)) {
        removed.push(e);
        continue;
      }
      kept.push(e);
      tail = e.msg === undefined ? 0 : tail + 1;
    }
    for (const e of kept) this.items.push(e);
    for (const e of removed) {
      this.bytes -= e.size;
      if (e.msg === undefined) this.pager?.removedPaged(e);
    }
    if (this.pager !== undefined) this.pager.tail = this.pager.paged > 0 ? tail : 0;
    return removed;
  }

  /** Empties the lane (purge, delete); returns what it held. */
  clear(): QueueEntry[] {
    const all = this.items.clear();
    this.bytes = 0;
    this.pager?.reset();
    return all;
  }

  /** The head is in memory, or the lane is empty. */
  headLoaded(): boolean {
    const h = this.items.peek();
    return h === undefined || h.msg !== undefined;
  }

  get pagedCount(): number {
    return this.pager?.paged ?? 0;
  }

  get pagedBytes(): number {
    return this.pager?.pagedBytes ?? 0;
  }
}
