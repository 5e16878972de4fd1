/**
 * What the clients of a crash loop were promised, and the check of a recovered broker against it.
 *
 * Messages carry a unique number. The promises, from the durability contract (README, Durability):
 * - a message whose publish was confirmed is on disk: after a crash it is in its queue, unless it was
 *   acked;
 * - an ack known to be on disk (the consumer's channel got a confirm for a publish sent after the ack:
 *   a confirm waits for everything the store buffered before it) never comes back;
 * - an ack not known to be on disk may come back once (at-least-once);
 * - no message is in a queue twice.
 * Entities: a durable exchange, queue or binding whose declare-ok arrived exists after a crash, one
 * whose delete-ok arrived does not; one whose answer never came may be either.
 */

export interface Violation {
  kind: 'lost' | 'duplicated' | 'acked-came-back' | 'entity-lost' | 'entity-resurrected' | 'binding-lost';
  detail: string;
}

export class Ledger {
  readonly confirmed = new Set<number>();
  /** acks sent whose durability is not yet known */
  readonly acked = new Set<number>();
  /** acks (and drains) known to be on disk */
  readonly ackedDurable = new Set<number>();
  /** durable entities answered with declare-ok and not deleted since: name -> kind */
  readonly entities = new Map<string, 'exchange' | 'queue'>();
  /** exchange -> [queue, routing key] of bindings answered with bind-ok, both ends alive */
  readonly bindings = new Map<string, [string, string]>();
  /** entities answered with delete-ok */
  readonly deleted = new Map<string, 'exchange' | 'queue'>();
  /** entities whose declare or delete was in flight at the crash: either outcome is right */
  readonly uncertain = new Set<string>();

  /** An ack was sent; `durable` once a confirm after it proved it is on disk. */
  ackSent(id: number): void {
    this.acked.add(id);
  }

  acksDurable(ids: readonly number[]): void {
    for (const id of ids) {
      this.acked.delete(id);
      this.ackedDurable.add(id);
    }
  }

  declared(name: string, kind: 'exchange' | 'queue'): void {
    this.uncertain.delete(name);
    this.deleted.delete(name);
    this.entities.set(name, kind);
  }

  deletedOk(name: string): void {
    const kind = this.entities.get(name);
    this.uncertain.delete(name);
    this.entities.delete(name);
    for (const [x, [q]] of this.bindings) if (x === name || q === name) this.bindings.delete(x);
    if (kind) this.deleted.set(name, kind);
  }

  /**
   * Checks the messages drained from the work queues after a restart (in the order seen, across all
   * queues). Afterwards every drained message counts as acked on disk (the caller makes sure of it).
   */
  checkDrained(seen: readonly number[]): Violation[] {
    const out: Violation[] = [];
    const once = new Set<number>();
    for (const id of seen) {
      if (once.has(id)) out.push({ kind: 'duplicated', detail: `message ${id} was in the queues twice` });
      once.add(id);
      if (this.ackedDurable.has(id))
        out.push({ kind: 'acked-came-back', detail: `message ${id} came back after its ack was on disk` });
    }
    for (const id of this.confirmed) {
      if (!once.has(id) && !this.acked.has(id) && !this.ackedDurable.has(id))
        out.push({ kind: 'lost', detail: `confirmed message ${id} is gone, never acked` });
    }
    // Everything is accounted for: drained messages are gone for good, maybe-acks are settled.
    for (const id of once) this.ackedDurable.add(id);
    for (const id of this.acked) this.ackedDurable.add(id);
    this.acked.clear();
    this.confirmed.clear();
    return out;
  }
}
