/**
 * A growable ring buffer: O(1) push/shift at both ends, no per-element allocation. Queues hold their
 * ready messages in one of these; an Array's shift() is O(n) once V8 leaves its fast path.
 */
export class Deque<T> {
  private items: (T | undefined)[];
  private head = 0;
  private count = 0;

  constructor(capacity = 16) {
    this.items = new Array<T | undefined>(capacity);
  }

  get length(): number {
    return this.count;
  }

  push(item: T): void {
    if (this.count === this.items.length) this.grow();
    this.items[(this.head + this.count) % this.items.length] = item;
    this.count++;
  }

  unshift(item: T): void {
    if (this.count === this.items.length) this.grow();
    this.head = (this.head - 1 + this.items.length) % this.items.length;
    this.items[this.head] = item;
    this.count++;
  }

  /** Inserts at position i (0 = head), shifting the entries before it one step towards the head. */
  insertAt(i: number, item: T): void {
    this.unshift(item);
    const n = this.items.length;
    for (let k = 0; k < i; k++) {
      const a = (this.head + k) % n;
      const b = (this.head + k + 1) % n;
      const tmp = this.items[a];
      this.items[a] = this.items[b];
      this.items[b] = tmp;
    }
  }

  shift(): T | undefined {
    if (this.count === 0) return undefined;
    const item = this.items[this.head];
    this.items[this.head] = undefined;
    this.head = (this.head + 1) % this.items.length;
    this.count--;
    return item;
  }

  /** Removes and returns the tail element. */
  pop(): T | undefined {
    if (this.count === 0) return undefined;
    const i = (this.head + this.count - 1) % this.items.length;
    const item = this.items[i];
    this.items[i] = undefined;
    this.count--;
    return item;
  }

  peek(): T | undefined {
    return this.count === 0 ? undefined : this.items[this.head];
  }

  at(i: number): T | undefined {
    if (i < 0 || i >= this.count) return undefined;
    return this.items[(this.head + i) % this.items.length];
  }

  clear(): T[] {
    const all = [...this];
    this.items = new Array<T | undefined>(16);
    this.head = 0;
    this.count = 0;
    return all;
  }

  *[Symbol.iterator](): IterableIterator<T> {
    for (let i = 0; i < this.count; i++) yield this.items[(this.head + i) % this.items.length] as T;
  }

  private grow(): void {
    const next = new Array<T | undefined>(this.items.length * 2);
    for (let i = 0; i < this.count; i++) next[i] = this.items[(this.head + i) % this.items.length];
    this.items = next;
    this.head = 0;
  }
}
