/**
 * Durable storage for a broker: the Persistence hooks the core calls (definitions to the definitions
 * log, durable queues attached to the message store), and recovery at startup, which rebuilds vhosts,
 * users and permissions (auth-recovery.ts), exchanges, queues and bindings and then refills each
 * durable queue from the message store.
 */
import type { Permission, TopicPermission } from '../auth/permissions.js';
import type { User } from '../auth/user.js';
import type { Binding } from '../core/binding.js';
import type { Broker } from '../core/broker.js';
import { DelayedExchange } from '../core/exchange/delayed.js';
import type { Exchange } from '../core/exchange/exchange.js';
import { Message } from '../core/message.js';
import type { Persistence } from '../core/persistence.js';
import type { Policy } from '../core/policy.js';
import type { Queue } from '../core/queue/queue.js';
import type { VHost } from '../core/vhost.js';
import type { MemoryBudget } from '../core/queue/entry.js';
import { DEFAULT_BUDGET_BYTES, DEFAULT_MAX_LOADED } from '../core/queue/pager.js';
import type { Logger } from '../log.js';
import {
  permissionDef,
  restoreAccess,
  restoreVhostLimits,
  topicPermissionDef,
  userDef,
  vhostDef,
} from './auth-recovery.js';
import type { DefinitionsStore } from './definitions.js';
import type { MessageStore } from './message-store.js';

export class DurableStorage implements Persistence {
  private readonly defs: DefinitionsStore;
  private readonly store: MessageStore;

  private readonly unlock: () => void;
  /** the broker recovered into, for close */
  private broker: Broker | undefined;
  /** shared by all queues: how many ready bodies the broker keeps in memory before paging */
  readonly budget: MemoryBudget;

  constructor(
    defs: DefinitionsStore,
    store: MessageStore,
    unlock: () => void = () => {},
    limits: { limitBytes: number; maxLoaded: number } = {
      limitBytes: DEFAULT_BUDGET_BYTES,
      maxLoaded: DEFAULT_MAX_LOADED,
    },
  ) {
    this.defs = defs;
    this.store = store;
    this.unlock = unlock;
    this.budget = { usedBytes: 0, ...limits };
  }

  exchangeDeclared(e: Exchange): void {
    const id = e instanceof DelayedExchange ? e.held.store?.id : undefined;
    this.defs.putExchange({
      vhost: e.vhost,
      name: e.name,
      type: e.type,
      autoDelete: e.autoDelete,
      internal: e.internal,
      arguments: e.arguments,
      ...(id !== undefined ? { id } : {}),
    });
  }

  delayedExchangeCreated(e: DelayedExchange): void {
    this.attachHeld(e, undefined);
  }

  /**
   * Gives a delayed exchange its store ids, as `attach` does for a queue: a durable exchange's `id`
   * (recorded with its definition) files persistent held messages; the paging id the rest.
   */
  private attachHeld(e: DelayedExchange, id: number | undefined): void {
    e.held.attach({
      id: e.durable ? (id ?? this.defs.allocateQueueId()) : undefined,
      pageId: this.defs.allocateQueueId(),
      store: this.store,
    });
  }

  exchangeDeleted(e: Exchange): void {
    this.defs.deleteExchange(e.vhost, e.name);
  }

  queueDeclared(q: Queue): void {
    if (!q.durable) {
      this.attach(q, undefined);
      return;
    }
    const id = this.defs.allocateQueueId();
    this.defs.putQueue({
      vhost: q.vhost,
      name: q.name,
      id,
      autoDelete: q.autoDelete,
      arguments: q.arguments,
    });
    this.attach(q, id);
  }

  /**
   * Gives a queue its store ids: the durable one (recorded in the definitions) and a paging id that
   * is never recorded, so bodies paged out only to save memory are dropped by the next recovery.
   */
  private attach(q: Queue, id: number | undefined): void {
    q.store = { id, pageId: this.defs.allocateQueueId(), store: this.store, budget: this.budget };
  }

  queueDeleted(q: Queue): void {
    if (q.durable) this.defs.deleteQueue(q.vhost, q.name);
    const s = q.store;
    if (!s) return;
    if (s.id !== undefined) this.store.dropQueue(s.id);
    this.store.dropQueue(s.pageId);
  }

  bound(b: Binding): void {
    this.defs.putBinding(bindingDef(b));
  }

  unbound(b: Binding): void {
    this.defs.deleteBinding(bindingDef(b));
  }

  policySet(p: Policy): void {
    this.defs.putPolicy({
      vhost: p.vhost,
      name: p.name,
      pattern: p.pattern,
      applyTo: p.applyTo,
      priority: p.priority,
      definition: { ...p.definition },
    });
  }

  policyCleared(vhost: string, name: string): void {
    this.defs.deletePolicy(vhost, name);
  }

  vhostPut(v: VHost): void {
    this.defs.putVhost(vhostDef(v));
  }

  vhostDeleted(name: string): void {
    this.defs.deleteVhost(name);
  }

  userPut(u: User): void {
    this.defs.putUser(userDef(u));
  }

  userDeleted(name: string): void {
    this.defs.deleteUser(name);
  }

  permissionSet(p: Permission): void {
    this.defs.putPermission(permissionDef(p));
  }

  permissionCleared(user: string, vhost: string): void {
    this.defs.deletePermission(user, vhost);
  }

  topicPermissionSet(p: TopicPermission): void {
    this.defs.putTopicPermission(topicPermissionDef(p));
  }

  topicPermissionCleared(user: string, vhost: string, exchange: string): void {
    this.defs.deleteTopicPermission(user, vhost, exchange);
  }

  /**
   * Rebuilds the broker's durable state. The hooks are detached while it runs so recovered entities
   * are not written back to the log they came from.
   */
  async recover(broker: Broker, log: Logger): Promise<void> {
    const started = Date.now();
    const state = this.defs.open();
    for (const d of state.dropped) log.warn(d);
    // The broker's own hooks (users, vhosts) are detached too, for the whole replay.
    broker.persistence = undefined;
    const detach = (): void => {
      for (const v of broker.vhosts.values()) v.persistence = undefined;
    };
    const reattach = (): void => {
      for (const v of broker.vhosts.values()) v.persistence = this;
      broker.persistence = this;
    };
    const queuesById = new Map<number, Queue>();
    const delayedById = new Map<number, DelayedExchange>();
    this.broker = broker;
    detach();
    try {
      restoreAccess(broker, state, log);
      // Policies first, so every exchange and queue declared below gets its policy on declare.
      for (const p of state.policies) {
        const v = broker.addVhost(p.vhost);
        v.persistence = undefined;
        try {
          v.setPolicy(p);
        } catch (e) {
          // Validated when set; a rule tightened since must not keep the broker from starting.
          log.warn(`policy '${p.name}' in vhost '${p.vhost}' not recovered: ${(e as Error).message}`);
        }
      }
      for (const e of state.exchanges) {
        broker.addVhost(e.vhost).persistence = undefined;
        const ex = broker.vhost(e.vhost).declareExchange({ ...e, passive: false, durable: true });
        if (ex instanceof DelayedExchange) {
          this.attachHeld(ex, e.id);
          if (e.id === undefined) this.exchangeDeclared(ex); // record the id it was just given
          delayedById.set(ex.held.store?.id as number, ex);
        }
      }
      for (const qd of state.queues) {
        broker.addVhost(qd.vhost).persistence = undefined;
        const q = broker.vhost(qd.vhost).declareQueue(
          {
            name: qd.name,
            passive: false,
            durable: true,
            exclusive: false,
            autoDelete: qd.autoDelete,
            arguments: qd.arguments,
            serverNamed: true,
          },
          null,
        );
        this.attach(q, qd.id);
        queuesById.set(qd.id, q);
      }
      for (const b of state.bindings) {
        const v = broker.vhost(b.vhost);
        const dest =
          b.destinationKind === 'queue' ? v.queues.get(b.destination) : v.exchanges.get(b.destination);
        if (!dest || !v.exchanges.has(b.source)) continue;
        v.bind(b.source, dest, b.routingKey, b.arguments);
      }
      restoreVhostLimits(broker, state, log);
    } finally {
      reattach();
    }
    // Logs from before vhosts were recorded name them only through their contents: record them now.
    const recorded = new Set(state.vhosts.map((d) => d.name));
    for (const v of broker.vhosts.values()) {
      if (!recorded.has(v.name) && !broker.isProvisionalVhost(v.name)) this.vhostPut(v);
    }

    const report = await this.store.open();
    for (const d of report.dropped) {
      log.warn({ segment: d.segment, offset: d.offset }, `message store: dropped record: ${d.reason}`);
    }
    let messages = 0;
    for (const [id, entries] of report.queues) {
      const q = queuesById.get(id);
      if (!q) {
        const delayed = delayedById.get(id);
        if (delayed) {
          delayed.held.restore(entries);
          messages += entries.length;
          continue;
        }
        // Messages of a queue that no longer exists (deleted before the crash was logged): release.
        this.store.dropQueue(id);
        continue;
      }
      for (const e of entries) {
        const m = e.message;
        const msg = m && new Message(m.exchange, m.routingKey, m.properties, m.body);
        // A body left on disk is paged in when the queue gets to it; its record size stands in for
        // the body size until then.
        q.restore(msg, e.ref, id, e.redelivered, m ? m.body.length : e.ref.size, {
          arrivedAt: e.arrivedAt,
          returns: e.deliveryCount,
          properties: e.properties,
        });
        messages++;
      }
    }
    log.info(
      `recovered ${state.vhosts.length} vhosts, ${state.users.length} users, ${state.policies.length} policies, ${state.exchanges.length} exchanges, ${state.queues.length} queues, ${state.bindings.length} bindings and ${messages} messages in ${Date.now() - started} ms`,
    );
  }

  async close(): Promise<void> {
    try {
      // Delayed exchanges stop releasing; then one more sync runs, while the store still takes
      // writes, the acks of held records that waited for their released copies to reach disk.
      for (const v of this.broker?.vhosts.values() ?? [])
        for (const e of v.exchanges.values()) if (e instanceof DelayedExchange) e.held.stop();
      await new Promise<void>((resolve) => {
        try {
          this.store.whenSynced(resolve);
        } catch {
          resolve(); // the store failed: close() below reports it
        }
      });
      await this.store.close();
      this.defs.close();
    } finally {
      this.unlock();
    }
  }
}

function bindingDef(b: Binding): {
  vhost: string;
  source: string;
  destinationKind: 'queue' | 'exchange';
  destination: string;
  routingKey: string;
  arguments: Binding['arguments'];
} {
  return {
    vhost: b.source.vhost,
    source: b.source.name,
    destinationKind: b.destination.destinationKind,
    destination: b.destination.name,
    routingKey: b.routingKey,
    arguments: b.arguments,
  };
}
