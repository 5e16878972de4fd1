/**
 * The held messages of one delayed exchange, ordered by due time: a binary min-heap over parallel
 * typed arrays. Each message costs about 40 bytes and no JS object, so a million of them are ~40 MB
 * the garbage collector never walks. Ties in due time go by arrival (publish order).
 *
 * A message lives in a slot (an index into the arrays) from `allocate` until `free`. `push` puts the
 * slot in due order, `pop` takes it out again but leaves its fields readable (so the caller can read
 * the body back first). A slot allocated but not pushed is parked: its time is whatever the caller
 * keeps there until it knows the due time (a recovered message's arrival, say).
 */
import type { MessageRef } from '../../store/message-store.js';

const INITIAL_CAPACITY = 1024;

export class DueHeap {
  /** slots in heap order: heap[0] is due first */
  private heap = new Int32Array(INITIAL_CAPACITY);
  private count = 0;
  private due = new Float64Array(INITIAL_CAPACITY);
  /** arrival order, the tie-break between equal due times */
  private seq = new Float64Array(INITIAL_CAPACITY);
  private segment = new Uint32Array(INITIAL_CAPACITY);
  private offset = new Uint32Array(INITIAL_CAPACITY);
  private recordSize = new Uint32Array(INITIAL_CAPACITY);
  /** what the caller files the slot under (where its body is); opaque here */
  private kinds = new Uint8Array(INITIAL_CAPACITY);
  /** slots freed for reuse, as a stack */
  private freeSlots = new Int32Array(INITIAL_CAPACITY);
  private freeCount = 0;
  /** slots ever handed out; the arrays' used prefix */
  private allocated = 0;
  private nextSeq = 0;

  /** messages in the heap (popped ones not counted) */
  get length(): number {
    return this.count;
  }

  /** Due time of the next message, Infinity when empty. */
  peekDue(): number {
    return this.count === 0 ? Infinity : (this.due[this.heap[0] as number] as number);
  }

  /** A slot for a message with this time, kind and store ref (if it is stored); not yet in due order. */
  allocate(time: number, kind: number, ref: MessageRef | undefined): number {
    let slot: number;
    if (this.freeCount > 0) slot = this.freeSlots[--this.freeCount] as number;
    else {
      if (this.allocated === this.due.length) this.grow();
      slot = this.allocated++;
    }
    this.due[slot] = time;
    this.kinds[slot] = kind;
    this.segment[slot] = ref?.segment ?? 0;
    this.offset[slot] = ref?.offset ?? 0;
    this.recordSize[slot] = ref?.size ?? 0;
    return slot;
  }

  /** Puts an allocated slot in due order; its time is its due time from now on. */
  push(slot: number): void {
    this.seq[slot] = this.nextSeq++;
    this.heap[this.count] = slot;
    this.up(this.count++);
  }

  /** Takes the earliest message out of the heap order and returns its slot (still allocated). */
  pop(): number {
    if (this.count === 0) throw new Error('DueHeap.pop() on an empty heap');
    const top = this.heap[0] as number;
    this.count--;
    if (this.count > 0) {
      this.heap[0] = this.heap[this.count] as number;
      this.down(0);
    }
    return top;
  }

  /** Returns a popped slot for reuse. */
  free(slot: number): void {
    this.freeSlots[this.freeCount++] = slot;
  }

  time(slot: number): number {
    return this.due[slot] as number;
  }

  setTime(slot: number, time: number): void {
    this.due[slot] = time;
  }

  kind(slot: number): number {
    return this.kinds[slot] as number;
  }

  ref(slot: number): MessageRef {
    return {
      segment: this.segment[slot] as number,
      offset: this.offset[slot] as number,
      size: this.recordSize[slot] as number,
    };
  }

  /** Forgets everything (slots handed out before are invalid afterwards). */
  clear(): void {
    this.count = 0;
    this.freeCount = 0;
    this.allocated = 0;
  }

  private grow(): void {
    const n = this.due.length * 2;
    const grown = <T extends Int32Array | Float64Array | Uint32Array | Uint8Array>(a: T): T => {
      const b = new (a.constructor as new (n: number) => T)(n);
      b.set(a);
      return b;
    };
    this.heap = grown(this.heap);
    this.due = grown(this.due);
    this.seq = grown(this.seq);
    this.segment = grown(this.segment);
    this.offset = grown(this.offset);
    this.recordSize = grown(this.recordSize);
    this.kinds = grown(this.kinds);
    this.freeSlots = grown(this.freeSlots);
  }

  private before(a: number, b: number): boolean {
    const da = this.due[a] as number;
    const db = this.due[b] as number;
    return da < db || (da === db && (this.seq[a] as number) < (this.seq[b] as number));
  }

  private up(i: number): void {
    const h = this.heap;
    const slot = h[i] as number;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const p = h[parent] as number;
      if (!this.before(slot, p)) break;
      h[i] = p;
      i = parent;
    }
    h[i] = slot;
  }

  private down(i: number): void {
    const h = this.heap;
    const slot = h[i] as number;
    const half = this.count >> 1;
    while (i < half) {
      let child = 2 * i + 1;
      const right = child + 1;
      if (right < this.count && this.before(h[right] as number, h[child] as number)) child = right;
      const c = h[child] as number;
      if (!this.before(c, slot)) break;
      h[i] = c;
      i = child;
    }
    h[i] = slot;
  }
}
