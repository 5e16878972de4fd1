/**
 * A vhost's policies and their application: which one applies to a queue or exchange, and handing it
 * over when that changes. The queue recomputes its settings in `applyPolicy`; an exchange reads its
 * `policy` field when routing (alternate-exchange). The default exchange never gets a policy: it
 * routes straight to queues and RabbitMQ ignores an alternate exchange on it anyway.
 */
import type { Exchange } from './exchange/exchange.js';
import {
  type CompiledPolicy,
  comparePolicies,
  type Policy,
  type PolicyTarget,
  policyMatches,
  queueKind,
} from './policy.js';
import type { Queue } from './queue/queue.js';

export class PolicySet {
  private readonly byName = new Map<string, CompiledPolicy>();
  /** best first (see comparePolicies); rebuilt on every change, read on every match */
  private ordered: CompiledPolicy[] = [];
  /** the policy last handed to each entity, so unchanged ones are not told again */
  private readonly applied = new WeakMap<Queue | Exchange, CompiledPolicy | undefined>();

  get size(): number {
    return this.byName.size;
  }

  get(name: string): Policy | undefined {
    return this.byName.get(name);
  }

  /** Adds a policy, or replaces the one of the same name. */
  put(p: CompiledPolicy): void {
    this.byName.set(p.name, p);
    this.reorder();
  }

  /** Removes a policy; false when there was none of that name. */
  delete(name: string): boolean {
    if (!this.byName.delete(name)) return false;
    this.reorder();
    return true;
  }

  /** Every policy, lowest priority first, as rabbitmqctl list_policies prints them. */
  list(): Policy[] {
    return [...this.ordered].reverse();
  }

  /** The policy that applies to a target, if any. */
  match(target: PolicyTarget): CompiledPolicy | undefined {
    for (const p of this.ordered) if (policyMatches(p, target)) return p;
    return undefined;
  }

  /** Hands a queue the policy that now applies to it, when that changed. */
  applyToQueue(q: Queue): void {
    const p = this.match({ kind: 'queue', name: q.name, type: queueKind(q.arguments['x-queue-type']) });
    if (same(this.applied.get(q), p)) return; // a new entity starts with no policy
    this.applied.set(q, p);
    q.applyPolicy(p?.name, p?.definition);
  }

  /** Sets an exchange's policy to the one that now applies to it (never for the default exchange). */
  applyToExchange(e: Exchange): void {
    if (e.name === '') return;
    const p = this.match({ kind: 'exchange', name: e.name });
    if (same(this.applied.get(e), p)) return;
    this.applied.set(e, p);
    e.policy = p && { name: p.name, definition: p.definition };
  }

  private reorder(): void {
    this.ordered = [...this.byName.values()].sort(comparePolicies);
  }
}

/** Whether an entity would be told nothing new: same policy name and definition (as RabbitMQ compares). */
function same(a: CompiledPolicy | undefined, b: CompiledPolicy | undefined): boolean {
  if (a === b) return true;
  return a !== undefined && b !== undefined && a.name === b.name && a.fingerprint === b.fingerprint;
}
