/**
 * The `x-delayed-message` exchange: rabbitmq-delayed-message-exchange, built in. It routes as the type
 * its `x-delayed-type` argument names (direct, fanout, topic, headers), through an exchange of that
 * type holding the same bindings. A message published to it with a positive `x-delay` header
 * (x-delay.ts) is held instead (HeldMessages) and routed when due, through the bindings the exchange
 * has then, with the vhost's routing: exchange-to-exchange bindings and the alternate exchange apply
 * at that moment, as for any publish. docs/delayed-messages.md has the design and the differences
 * from the plugin.
 */
import { preconditionFailed } from '../../protocol/errors.js';
import type { FieldTable } from '../../protocol/field-types.js';
import type { MessageRef } from '../../store/message-store.js';
import type { Binding, Destination } from '../binding.js';
import { HeldMessages } from '../delayed/held-messages.js';
import { asReleased, delayOf } from '../delayed/x-delay.js';
import { enqueueAll } from '../enqueue.js';
import type { Message } from '../message.js';
import type { Queue } from '../queue/queue.js';
import { senderSelected } from '../sender-selected.js';
import { Exchange, type ExchangeOptions } from './exchange.js';

export const DELAYED_EXCHANGE_TYPE = 'x-delayed-message';

/**
 * The routing type an x-delayed-message exchange is declared with; throws the plugin's 406 when the
 * argument is missing, not a string, or names this type. Whether the type exists is the caller's check.
 */
export function delayedTypeOf(args: FieldTable): string {
  const v = args['x-delayed-type'];
  const type = typeof v === 'string' ? v : Buffer.isBuffer(v) ? v.toString() : undefined;
  if (type === undefined) {
    throw preconditionFailed("Invalid argument, 'x-delayed-type' must be an existing exchange type");
  }
  if (type === DELAYED_EXCHANGE_TYPE) {
    throw preconditionFailed("Invalid argument, 'x-delayed-message' can't be used for 'x-delayed-type'");
  }
  return type;
}

/** Routes a message from an exchange into the queues it reaches (VHost.route). */
export type Router = (exchange: Exchange, msg: Message, routingKey: string, out: Set<Queue>) => void;

/** A held publish: what its confirm waits for (the stored record), or nothing (confirm at once). */
export interface Held {
  readonly ref: MessageRef | undefined;
}

export class DelayedExchange extends Exchange {
  readonly type = DELAYED_EXCHANGE_TYPE;
  /** the routing type, from x-delayed-type */
  readonly delayedType: string;
  readonly held: HeldMessages;
  /** how a due message is routed; set by the vhost that owns the exchange */
  router: Router | undefined;
  private readonly routing: Exchange;

  /** `routing` is a fresh exchange of the x-delayed-type (see createExchange). */
  constructor(opts: ExchangeOptions, routing: Exchange) {
    super(opts);
    this.routing = routing;
    this.delayedType = routing.type;
    this.held = new HeldMessages((msg) => this.release(msg));
  }

  /** messages held now (the plugin's `messages_delayed`) */
  get delayedCount(): number {
    return this.held.count;
  }

  /**
   * A publish to this exchange: held when it has a positive x-delay, else undefined (route it now).
   * A held message counts as routed: it is neither returned (mandatory) nor sent to the alternate
   * exchange now; whether it reaches a queue is decided when it is due.
   */
  hold(msg: Message): Held | undefined {
    const delay = delayOf(msg);
    return delay > 0 ? { ref: this.held.hold(msg, delay) } : undefined;
  }

  /** Routing now (no delay, or reached through another exchange) is the x-delayed-type's. */
  route(msg: Message, routingKey: string, out: Set<Destination>): void {
    this.routing.route(msg, routingKey, out);
  }

  protected addToIndex(b: Binding): void {
    this.routing.bind(b);
  }

  protected removeFromIndex(b: Binding): void {
    this.routing.unbind(b.id);
  }

  /** A held message is due: route it as a publish to this exchange would be, with x-delay negated. */
  private release(stored: Message): MessageRef | undefined {
    if (this.router === undefined || this.deleted) return undefined;
    const { msg, keys } = senderSelected(asReleased(stored, delayOf(stored)));
    const queues = new Set<Queue>();
    this.router(this, msg, msg.routingKey, queues);
    if (keys) for (const k of keys) this.router(this, msg, k, queues);
    return queues.size > 0 ? enqueueAll(msg, queues).ref : undefined;
  }
}
