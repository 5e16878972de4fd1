/**
 * Durable storage for a broker: the Persistence hooks the core calls (definitions to the definitions
 * log, durable queues attached to the message store), and recovery at startup, which rebuilds vhosts,
 * exchanges, queues and bindings and then refills each durable queue from the message store.
 */
import type { Binding } from '../core/binding.js';
import type { Broker } from '../core/broker.js';
import type { Exchange } from '../core/exchange/exchange.js';
import { Message } from '../core/message.js';
import type { Persistence } from '../core/persistence.js';
import type { Queue } from '../core/queue/queue.js';
import type { MemoryBudget } from '../core/queue/entry.js';
import { DEFAULT_BUDGET_BYTES, DEFAULT_MAX_LOADED } from '../core/queue/pager.js';
import type { Logger } from '../log.js';
import type { DefinitionsStore } from './definitions.js';
import type { MessageStore } from './message-store.js';

export class DurableStorage implements Persistence {
  private readonly defs: DefinitionsStore;
  private readonly store: MessageStore;

  private readonly unlock: () => void;
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
    this.defs.putExchange({
      vhost: e.vhost,
      name: e.name,
      type: e.type,
      autoDelete: e.autoDelete,
      internal: e.internal,
      arguments: e.arguments,
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

  /**
   * Rebuilds the broker's durable state. The hooks are detached while it runs so recovered entities
   * are not written back to the log they came from.
   */
  async recover(broker: Broker, log: Logger): Promise<void> {
    const started = Date.now();
    const state = this.defs.open();
    for (const d of state.dropped) log.warn(d);
    for (const name of state.vhosts) broker.addVhost(name);
    const detach = (): void => {
      for (const v of broker.vhosts.values()) v.persistence = undefined;
    };
    const reattach = (): void => {
      for (const v of broker.vhosts.values()) v.persistence = this;
    };
    const queuesById = new Map<number, Queue>();
    detach();
    try {
      for (const e of state.exchanges) {
        broker.addVhost(e.vhost).persistence = undefined;
        broker.vhost(e.vhost).declareExchange({ ...e, passive: false, durable: true });
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
    } finally {
      reattach();
    }

    const report = await this.store.open();
    for (const d of report.dropped) {
      log.warn({ segment: d.segment, offset: d.offset }, `message store: dropped record: ${d.reason}`);
    }
    let messages = 0;
    for (const [id, entries] of report.queues) {
      const q = queuesById.get(id);
      if (!q) {
        // Messages of a queue that no longer exists (deleted before the crash was logged): release.
        this.store.dropQueue(id);
        continue;
      }
      for (const e of entries) {
        const m = e.message;
        const msg = m && new Message(m.exchange, m.routingKey, m.properties, m.body);
        // A body left on disk is paged in when the queue gets to it; its record size stands in for
        // the body size until then.
        q.restore(msg, e.ref, id, e.redelivered, m ? m.body.length : e.ref.size);
        messages++;
      }
    }
    log.info(
      `recovered ${state.exchanges.length} exchanges, ${state.queues.length} queues, ${state.bindings.length} bindings and ${messages} messages in ${Date.now() - started} ms`,
    );
  }

  async close(): Promise<void> {
    try {
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
