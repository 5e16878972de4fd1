/**
 * The in-process API of an embedded broker: set up vhosts, users, exchanges, queues, bindings and
 * policies, read queue counts, and wait on control-plane events, without a client or the HTTP API.
 * Warren extends this class, so a test writes `broker.declareQueue('jobs')` and
 * `broker.queueCounts('jobs')` on the object `Warren.start()` returned.
 *
 * Every method is a thin call into the core (src/core/broker.ts, vhost.ts), which enforces the same
 * rules and raises the same errors (AmqpError with RabbitMQ's reply code and text) as the AMQP layer.
 * Entity methods act as the broker itself, not as a user: no permission checks, and exclusive queues
 * of client connections can be read, purged and deleted.
 */
import type { Broker, ConnectionInfo } from '../core/broker.js';
import type { BrokerEventMap, BrokerEventName } from '../core/events.js';
import { Message } from '../core/message.js';
import { publishMessage } from '../core/publish.js';
import type { Policy } from '../core/policy.js';
import type { Queue } from '../core/queue/queue.js';
import { VHost } from '../core/vhost.js';
import { notFound, ReplyCode } from '../protocol/errors.js';
import type {
  BindingInfo,
  BindOptions,
  ConnectionSummary,
  DeclareExchangeOptions,
  DeclareQueueOptions,
  DeleteExchangeOptions,
  DeleteQueueOptions,
  ExchangeInfo,
  InVhost,
  PolicyOptions,
  PublishOptions,
  QueueCounts,
  QueueInfo,
  WaitForOptions,
} from './types.js';
import { waitForEvent } from './wait-for.js';

type Listener<K extends BrokerEventName> = (payload: BrokerEventMap[K]) => void;

function countsOf(q: Queue): QueueCounts {
  return {
    messages: q.messageCount + q.unackedCount,
    messagesReady: q.messageCount,
    messagesUnacknowledged: q.unackedCount,
    consumers: q.consumerCount,
  };
}

function queueInfo(q: Queue): QueueInfo {
  return {
    vhost: q.vhost,
    name: q.name,
    durable: q.durable,
    exclusive: q.exclusiveOwner !== null,
    autoDelete: q.autoDelete,
    arguments: q.arguments,
    policy: q.policy,
    ...countsOf(q),
  };
}

function clientName(c: ConnectionInfo): string | undefined {
  const v = c.clientProperties['connection_name'];
  return typeof v === 'string' ? v : Buffer.isBuffer(v) ? v.toString() : undefined;
}

export abstract class BrokerApi {
  /** the core the methods below call into */
  abstract readonly broker: Broker;
  abstract readonly options: { readonly defaultVhost: string };

  // ---------- events (src/core/events.ts lists them; docs/embedding.md documents them) ----------

  on<K extends BrokerEventName>(event: K, listener: Listener<K>): this {
    this.broker.on(event, listener);
    return this;
  }

  once<K extends BrokerEventName>(event: K, listener: Listener<K>): this {
    this.broker.once(event, listener);
    return this;
  }

  off<K extends BrokerEventName>(event: K, listener: Listener<K>): this {
    this.broker.off(event, listener);
    return this;
  }

  /**
   * The next `event` whose payload satisfies `predicate` (any, when none is given). Call it before
   * the action that causes the event; rejects after `timeoutMs` (default 10 s).
   */
  waitFor<K extends BrokerEventName>(
    event: K,
    predicate: (payload: BrokerEventMap[K]) => boolean = () => true,
    options: WaitForOptions = {},
  ): Promise<BrokerEventMap[K]> {
    return waitForEvent(this.broker, event, predicate, options);
  }

  // ---------- vhosts, users, permissions ----------

  /** Creates a vhost; an existing one is left as it is. */
  addVhost(name: string, options: { description?: string; tags?: string[] } = {}): void {
    this.broker.addVhost(name, options);
  }

  /** Deletes a vhost with everything in it, closing its connections (320). */
  deleteVhost(name: string): void {
    this.broker.deleteVhost(name);
  }

  listVhosts(): string[] {
    return [...this.broker.vhosts.keys()];
  }

  /** Adds a user (throws when it exists); `tags` such as 'administrator', 'management'. */
  addUser(name: string, password: string, tags: string[] = []): void {
    this.broker.addUser(name, password, tags);
  }

  /** Deletes a user, closing its connections (320). */
  deleteUser(name: string): void {
    this.broker.deleteUser(name);
  }

  /** rabbitmqctl set_permissions: regular expressions over resource names ('.*' = all, '' = none). */
  setPermissions(user: string, vhost: string, p: { configure: string; write: string; read: string }): void {
    this.broker.setPermissions(user, vhost, p);
  }

  // ---------- policies ----------

  /** rabbitmqctl set_policy: applies at once to matching queues and exchanges. */
  setPolicy(
    name: string,
    pattern: string,
    definition: Record<string, unknown>,
    options: PolicyOptions = {},
  ): Policy {
    return this.broker.setPolicy(this.vhostName(options), {
      name,
      pattern,
      definition,
      applyTo: options.applyTo,
      priority: options.priority,
    });
  }

  clearPolicy(name: string, options: InVhost = {}): void {
    this.broker.clearPolicy(this.vhostName(options), name);
  }

  // ---------- exchanges ----------

  /** exchange.declare: creates it, or checks an existing one is equivalent (406 otherwise). */
  declareExchange(name: string, type: string, options: DeclareExchangeOptions = {}): void {
    this.vhost(options).declareExchange({
      name,
      type,
      passive: false,
      durable: options.durable ?? true,
      autoDelete: options.autoDelete ?? false,
      internal: options.internal ?? false,
      arguments: options.arguments ?? {},
    });
  }

  /** exchange.delete; deleting a missing exchange is not an error. */
  deleteExchange(name: string, options: DeleteExchangeOptions = {}): void {
    this.vhost(options).deleteExchange(name, options.ifUnused ?? false);
  }

  listExchanges(options: InVhost = {}): ExchangeInfo[] {
    const v = this.vhost(options);
    return [...v.exchanges.values()].map((e) => ({
      vhost: v.name,
      name: e.name,
      type: e.type,
      durable: e.durable,
      autoDelete: e.autoDelete,
      internal: e.internal,
      arguments: e.arguments,
    }));
  }

  // ---------- queues ----------

  /**
   * queue.declare: creates the queue, or checks an existing one is equivalent (406 otherwise).
   * Name '' gets a server-generated `amq.gen-...` name. Returns the queue as it is now.
   */
  declareQueue(name: string, options: DeclareQueueOptions = {}): QueueInfo {
    const q = this.vhost(options).declareQueue(
      {
        name: name === '' ? VHost.generateQueueName() : name,
        serverNamed: name === '',
        passive: false,
        durable: options.durable ?? true,
        exclusive: false,
        autoDelete: options.autoDelete ?? false,
        arguments: options.arguments ?? {},
      },
      null,
    );
    return queueInfo(q);
  }

  /** queue.delete; returns how many ready messages went with it (0 when there was no such queue). */
  deleteQueue(name: string, options: DeleteQueueOptions = {}): number {
    const v = this.vhost(options);
    // As its owner, so exclusive queues can be deleted too.
    const owner = v.queues.get(name)?.exclusiveOwner ?? null;
    return v.deleteQueue(name, owner, options.ifUnused ?? false, options.ifEmpty ?? false);
  }

  /** queue.purge: drops the ready messages (unacknowledged ones stay); returns how many. */
  purgeQueue(name: string, options: InVhost = {}): number {
    return this.queue(name, options).purge();
  }

  /** The queue's message and consumer counts; throws 404 when there is no such queue. */
  queueCounts(name: string, options: InVhost = {}): QueueCounts {
    return countsOf(this.queue(name, options));
  }

  /** The queue, or undefined when there is none by that name. */
  getQueue(name: string, options: InVhost = {}): QueueInfo | undefined {
    const q = this.vhost(options).queues.get(name);
    return q && queueInfo(q);
  }

  listQueues(options: InVhost = {}): QueueInfo[] {
    return [...this.vhost(options).queues.values()].map(queueInfo);
  }

  // ---------- bindings ----------

  bindQueue(queue: string, exchange: string, routingKey = '', options: BindOptions = {}): void {
    const v = this.vhost(options);
    v.bind(exchange, this.queue(queue, options), routingKey, options.arguments ?? {});
  }

  unbindQueue(queue: string, exchange: string, routingKey = '', options: BindOptions = {}): void {
    const v = this.vhost(options);
    v.unbind(exchange, this.queue(queue, options), routingKey, options.arguments ?? {});
  }

  /** exchange.bind: messages routed by `source` also go through `destination`. */
  bindExchange(destination: string, source: string, routingKey = '', options: BindOptions = {}): void {
    const v = this.vhost(options);
    v.bind(source, v.exchange(destination), routingKey, options.arguments ?? {});
  }

  unbindExchange(destination: string, source: string, routingKey = '', options: BindOptions = {}): void {
    const v = this.vhost(options);
    v.unbind(source, v.exchange(destination), routingKey, options.arguments ?? {});
  }

  /** Every binding of the vhost, the default exchange's implicit ones included (list_bindings). */
  listBindings(options: InVhost = {}): BindingInfo[] {
    const v = this.vhost(options);
    return [...v.allBindings()].map((b) => ({
      vhost: v.name,
      source: b.source,
      destination: b.destination.name,
      destinationType: b.destination.destinationKind,
      routingKey: b.routingKey,
      arguments: b.arguments,
    }));
  }

  // ---------- messages ----------

  /**
   * Routes a message as basic.publish would (CC/BCC, alternate exchanges, exchange-to-exchange
   * bindings, delayed exchanges, queue limits); returns whether it was routed, as the management
   * API's publish does. Persistent messages in durable queues are written to the store but not
   * waited for.
   */
  publish(
    exchange: string,
    routingKey: string,
    body: Buffer | string,
    options: PublishOptions = {},
  ): boolean {
    const v = this.vhost(options);
    const ex = v.exchange(exchange);
    const msg = Message.from(ex.name, routingKey, options.properties ?? {}, Buffer.from(body));
    return publishMessage(v, ex, routingKey, msg) !== undefined;
  }

  // ---------- connections ----------

  listConnections(): ConnectionSummary[] {
    return [...this.broker.connections.values()].map((c) => ({
      id: c.id,
      name: c.name,
      user: c.userName,
      vhost: c.vhostName,
      peerHost: c.peerHost,
      peerPort: c.peerPort,
      channels: c.channelCount,
      clientName: clientName(c),
    }));
  }

  /**
   * rabbitmqctl close_connection: the client gets connection.close 320 with `reason`. Takes the
   * connection's id or name; throws when there is none.
   */
  closeConnection(idOrName: number | string, reason = 'closed by the embedding program'): void {
    const c =
      typeof idOrName === 'number'
        ? this.broker.connections.get(idOrName)
        : [...this.broker.connections.values()].find((x) => x.name === idOrName);
    if (!c) throw new Error(`no connection ${JSON.stringify(idOrName)}`);
    c.close(ReplyCode.ConnectionForced, reason);
  }

  // ---------- helpers ----------

  private vhostName(options: InVhost): string {
    return options.vhost ?? this.options.defaultVhost;
  }

  private vhost(options: InVhost): VHost {
    return this.broker.vhost(this.vhostName(options));
  }

  private queue(name: string, options: InVhost): Queue {
    const v = this.vhost(options);
    const q = v.queues.get(name);
    if (!q) throw notFound(`no queue '${name}' in vhost '${v.name}'`);
    return q;
  }
}
