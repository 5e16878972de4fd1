/**
 * The exchange interface every type implements: keep bindings, and route a message to destinations.
 * Subclasses keep whatever index makes their `route` fast; this base keeps the list of bindings (for
 * listings, unbind and deletion) keyed by binding id.
 */
import type { FieldTable } from '../../protocol/field-types.js';
import type { Binding, Destination } from '../binding.js';
import type { Message } from '../message.js';
import { ExchangeCounters } from '../../stats/counters.js';

export interface ExchangeOptions {
  name: string;
  vhost: string;
  durable: boolean;
  autoDelete: boolean;
  internal: boolean;
  arguments: FieldTable;
}

export abstract class Exchange {
  readonly destinationKind = 'exchange';
  abstract readonly type: string;
  readonly name: string;
  readonly vhost: string;
  readonly durable: boolean;
  readonly autoDelete: boolean;
  readonly internal: boolean;
  readonly arguments: FieldTable;
  protected readonly bindingMap = new Map<string, Binding>();
  deleted = false;
  /** the policy that applies (name and definition), set by the vhost when policies change */
  policy: { name: string; definition: Readonly<Record<string, unknown>> } | undefined;
  /** message_stats publish_in / publish_out */
  readonly stats = new ExchangeCounters();

  constructor(opts: ExchangeOptions) {
    this.name = opts.name;
    this.vhost = opts.vhost;
    this.durable = opts.durable;
    this.autoDelete = opts.autoDelete;
    this.internal = opts.internal;
    this.arguments = opts.arguments;
  }

  /** The alternate exchange: the argument wins over a policy's `alternate-exchange`, as in RabbitMQ. */
  get alternateExchange(): string | undefined {
    const a = this.arguments['alternate-exchange'];
    if (typeof a === 'string') return a;
    const p = this.policy?.definition['alternate-exchange'];
    return typeof p === 'string' ? p : undefined;
  }

  get bindings(): IterableIterator<Binding> {
    return this.bindingMap.values();
  }

  get bindingCount(): number {
    return this.bindingMap.size;
  }

  /** Adds a binding; false when an identical one exists (bind is idempotent). */
  bind(binding: Binding): boolean {
    if (this.bindingMap.has(binding.id)) return false;
    this.bindingMap.set(binding.id, binding);
    this.addToIndex(binding);
    return true;
  }

  /** Removes a binding by id; returns it, or undefined when there was none. */
  unbind(id: string): Binding | undefined {
    const b = this.bindingMap.get(id);
    if (!b) return undefined;
    this.bindingMap.delete(id);
    this.removeFromIndex(b);
    return b;
  }

  /** Adds every destination the message routes to into `out`. */
  abstract route(msg: Message, routingKey: string, out: Set<Destination>): void;
  protected abstract addToIndex(binding: Binding): void;
  protected abstract removeFromIndex(binding: Binding): void;
}
