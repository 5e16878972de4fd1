/**
 * A queue's consumers and the choice of who gets the next message.
 *
 * - Consumer priorities (`x-priority` on basic.consume): consumers are grouped by priority, highest
 *   first; a lower group gets a message only when every consumer of the higher groups is blocked
 *   (no credit, full socket). Within a group, round-robin. Without priorities there is one group and
 *   the choice is the plain round-robin it always was.
 * - Single active consumer (`x-single-active-consumer`): only the oldest registered consumer
 *   receives; when it goes, the next one in registration order takes over.
 */
import type { Consumer } from '../consumer.js';

interface Group {
  readonly priority: number;
  readonly members: Consumer[];
  rr: number;
}

export function consumerPriority(c: Consumer): number {
  const p = c.arguments['x-priority'];
  return typeof p === 'number' && Number.isInteger(p) ? p : 0;
}

export class ConsumerSet {
  /** every consumer in registration order (listings, single-active-consumer succession) */
  readonly all: Consumer[] = [];
  /** priority groups, highest priority first */
  private readonly groups: Group[] = [];
  singleActive: boolean;

  constructor(singleActive: boolean) {
    this.singleActive = singleActive;
  }

  get size(): number {
    return this.all.length;
  }

  /** The consumer that receives under single-active-consumer: the oldest one. */
  get active(): Consumer | undefined {
    return this.singleActive ? this.all[0] : undefined;
  }

  add(c: Consumer): void {
    this.all.push(c);
    const priority = consumerPriority(c);
    let i = 0;
    while (i < this.groups.length && (this.groups[i] as Group).priority > priority) i++;
    const g = this.groups[i];
    if (g && g.priority === priority) g.members.push(c);
    else this.groups.splice(i, 0, { priority, members: [c], rr: 0 });
  }

  /** Removes a consumer; returns false when it was not registered. */
  remove(c: Consumer): boolean {
    const i = this.all.indexOf(c);
    if (i < 0) return false;
    this.all.splice(i, 1);
    const gi = this.groups.findIndex((g) => g.members.includes(c));
    const g = this.groups[gi] as Group;
    const mi = g.members.indexOf(c);
    g.members.splice(mi, 1);
    if (g.rr > mi) g.rr--;
    if (g.rr >= g.members.length) g.rr = 0;
    if (g.members.length === 0) this.groups.splice(gi, 1);
    return true;
  }

  /** The consumer to hand the next message to, or undefined when nobody can take one now. */
  next(): Consumer | undefined {
    if (this.singleActive) {
      const a = this.all[0];
      return a?.canTake() ? a : undefined;
    }
    for (const g of this.groups) {
      const list = g.members;
      const n = list.length;
      for (let i = 0; i < n; i++) {
        const k = (g.rr + i) % n;
        const c = list[k] as Consumer;
        if (c.canTake()) {
          g.rr = (k + 1) % n;
          return c;
        }
      }
    }
    return undefined;
  }

  clear(): Consumer[] {
    const all = this.all.splice(0);
    this.groups.length = 0;
    return all;
  }
}
