/**
 * The Pager's decisions, on a Queue with an in-memory stand-in for the message store whose reads
 * complete only when the test says so: a lane whose consumers keep up (young head, messages taken)
 * is spared past the budget up to HARD_FACTOR times it; one without consumers, with an old head, or
 * whose consumer took nothing while a budget's worth arrived, pages; entries
 * that arrive once paging is no longer needed stay loaded behind the paged ones (the tail), are
 * paged first when paging is needed again, and everything is delivered in arrival order with the
 * byte counts back to zero.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Consumer } from '../../src/core/consumer.js';
import { Message } from '../../src/core/message.js';
import type { MemoryBudget } from '../../src/core/queue/entry.js';
import { Queue, type QueueEntry, type QueueHost } from '../../src/core/queue/queue.js';
import type { MessageRef, MessageStore, StoredMessage } from '../../src/store/message-store.js';

const KiB = 1024;
const BUDGET = 10 * KiB;

/** Appends kept in memory; readMany answers only when release() is called. */
class FakeStore {
  readonly records = new Map<number, StoredMessage>();
  appended = 0;
  private next = 0;
  private pending: (() => void)[] = [];

  append(_ids: readonly number[], message: StoredMessage): MessageRef {
    this.appended++;
    const offset = this.next++;
    this.records.set(offset, { ...message, body: Buffer.from(message.body) });
    return { segment: 0, offset, size: message.body.length };
  }

  ack(): void {}
  delivered(): void {}

  readMany(refs: readonly MessageRef[]): Promise<PromiseSettledResult<StoredMessage>[]> {
    return new Promise((resolve) => {
      this.pending.push(() =>
        resolve(
          refs.map((r) => ({ status: 'fulfilled', value: this.records.get(r.offset) as StoredMessage })),
        ),
      );
    });
  }

  /** Completes the reads asked for so far; resolves after their continuations ran. */
  async release(): Promise<number> {
    const p = this.pending;
    this.pending = [];
    for (const r of p) r();
    await new Promise((r) => setImmediate(r));
    return p.length;
  }
}

const host: QueueHost = {
  autoDelete: () => {},
  expired: () => {},
  deadLetter: () => {},
  consumerChanged: () => {},
};

/** A consumer that takes messages while open or while it has credit, and records their bodies. */
class TestConsumer implements Consumer {
  readonly tag = 'c';
  readonly noAck = true;
  readonly exclusive = false;
  readonly arguments = {};
  readonly ownerId = 1;
  readonly channelNumber = 1;
  readonly prefetch = 0;
  open = false;
  credit = 0;
  readonly got: string[] = [];
  canTake(): boolean {
    return this.open || this.credit > 0;
  }
  deliver(_q: Queue, entry: QueueEntry): void {
    if (!this.open) this.credit--;
    this.got.push((entry.msg as Message).body.subarray(0, 8).toString().trim());
  }
  cancelledByQueue(): void {}
}

function setup(withConsumer: boolean) {
  const store = new FakeStore();
  const budget: MemoryBudget = { usedBytes: 0, limitBytes: BUDGET, maxLoaded: 100_000 };
  const q = new Queue(
    { name: 'q', vhost: '/', durable: false, exclusiveOwner: null, autoDelete: false, arguments: {} },
    host,
  );
  q.store = { id: undefined, pageId: 7, store: store as unknown as MessageStore, budget };
  const c = new TestConsumer();
  if (withConsumer) q.addConsumer(c);
  let n = 0;
  /** Publishes `count` messages of 1 KiB, named m0, m1, ... in order. */
  const publish = (count: number): void => {
    for (let i = 0; i < count; i++) {
      const body = Buffer.alloc(KiB, 0x20);
      body.write(`m${n++}`);
      q.enqueue(new Message('', 'q', Buffer.from([0, 0]), body));
    }
  };
  const names = (from: number, to: number): string[] =>
    Array.from({ length: to - from }, (_, i) => `m${from + i}`);
  return { q, c, store, budget, publish, names };
}

describe('Pager', () => {
  test('a lane whose consumer keeps up stays in memory past the budget, up to four times it', () => {
    const { q, c, store, budget, publish, names } = setup(true);
    /** The consumer takes one message for every three published: behind, but taking. */
    const rounds = (k: number): void => {
      for (let i = 0; i < k; i++) {
        publish(3);
        c.credit = 1;
        q.dispatch();
      }
    };
    rounds(14);
    assert.equal(q.pagedCount, 0, 'paged although the head is young and under 4x the budget');
    assert.equal(budget.usedBytes, 28 * KiB);
    rounds(8);
    assert.ok(q.pagedCount > 0, 'past four times the budget it pages');
    assert.equal(store.appended, q.pagedCount);
    assert.equal(budget.usedBytes + q.pagedBytes, 44 * KiB);
    assert.deepEqual(c.got, names(0, 22));
  });

  test('a consumer that took nothing while a budget of bytes arrived does not keep up', () => {
    const { q, budget, publish } = setup(true);
    publish(25);
    assert.equal(q.pagedCount, 15);
    assert.equal(budget.usedBytes, BUDGET);
  });

  test('a lane without consumers pages at the budget', () => {
    const { q, budget, publish } = setup(false);
    publish(15);
    assert.equal(q.pagedCount, 5);
    assert.equal(budget.usedBytes, BUDGET);
  });

  test('a lane whose head is older than a second pages at the budget', async () => {
    const { q, c, publish } = setup(true);
    publish(5);
    await new Promise((r) => setTimeout(r, 1300));
    c.credit = 1;
    q.dispatch(); // taking, but its head (m1) is old
    publish(10); // six fill the budget, four are paged
    assert.equal(q.pagedCount, 4);
  });

  test('arrivals no longer needing paging stay loaded behind the paged ones, and all come in order', async () => {
    const { q, c, store, budget, publish, names } = setup(false);
    publish(15); // m0-m9 loaded, m10-m14 paged (no consumer: at the budget)
    assert.equal(q.pagedCount, 5);
    q.addConsumer(c);
    c.open = true;
    q.dispatch(); // the loaded head goes; the paged ones are being read back
    assert.deepEqual(c.got, names(0, 10));
    assert.equal(budget.usedBytes, 0);
    c.open = false;
    publish(3); // under the budget again: kept loaded, the tail
    assert.equal(q.pagedCount, 5);
    assert.equal(store.appended, 5, 'the tail was written to the store');
    assert.equal(budget.usedBytes, 3 * KiB);
    c.open = true;
    // Read back in batches (the first began as soon as m40 was paged): each resumes delivery.
    while ((await store.release()) > 0);
    assert.deepEqual(c.got, names(0, 18));
    assert.equal(q.pagedCount, 0);
    assert.equal(q.pagedBytes, 0);
    assert.equal(budget.usedBytes, 0);
    assert.equal(q.messageCount, 0);
  });

  test('a tail is paged first when paging is needed again, and order holds', async () => {
    const { q, c, store, budget, publish, names } = setup(false);
    publish(12); // m0-m9 loaded, m10-m11 paged (no consumer: at the budget)
    assert.equal(q.pagedCount, 2);
    q.addConsumer(c);
    c.open = true;
    q.dispatch();
    assert.deepEqual(c.got, names(0, 10));
    c.open = false;
    publish(4); // m12-m15: under the budget, the tail
    assert.equal(q.pagedCount, 2);
    assert.equal(budget.usedBytes, 4 * KiB);
    q.removeConsumer(c);
    publish(7); // m16-m22: m16-m21 keep the tail growing to the budget, then m22 must page
    assert.equal(q.pagedCount, 2 + 10 + 1, 'the tail was paged before the arrival that needed paging');
    assert.equal(budget.usedBytes, 0);
    assert.equal(store.appended, 13);
    q.addConsumer(c);
    c.open = true;
    q.dispatch();
    while ((await store.release()) > 0);
    assert.deepEqual(c.got, names(0, 23));
    assert.equal(q.pagedBytes, 0);
    assert.equal(budget.usedBytes, 0);
  });
});
