/**
 * The default exchange (""): every queue is implicitly bound to it by its own name. It holds no
 * bindings of its own; routing looks the queue up in the vhost.
 */
import type { Binding, Destination } from '../binding.js';
import type { Message } from '../message.js';
import type { Queue } from '../queue/queue.js';
import { DirectExchange } from './direct.js';

/** Routing keys naming a direct reply-to consumer: `amq.rabbitmq.reply-to.<token>`. */
export const REPLY_TO_PREFIX = 'amq.rabbitmq.reply-to.';

/** Takes replies addressed to direct reply-to consumers (the AMQP layer's registry). */
export interface ReplySink {
  deliverReply(routingKey: string, msg: Message): void;
}

export class DefaultExchange extends DirectExchange {
  private readonly lookup: (name: string) => Queue | undefined;
  /** set by the AMQP layer; replies go there instead of to a queue (see src/amqp/direct-reply-to.ts) */
  replies: ReplySink | undefined;

  constructor(vhost: string, lookup: (name: string) => Queue | undefined) {
    super({ name: '', vhost, durable: true, autoDelete: false, internal: false, arguments: {} });
    this.lookup = lookup;
  }

  override route(msg: Message, routingKey: string, out: Set<Destination>): void {
    const q = this.lookup(routingKey);
    if (q) out.add(q);
    // Only reached when no queue matched: no queue can bear the reserved amq. prefix, and the ordinary
    // publish pays nothing for the check. A reply reaches no queue, so it still counts as unroutable
    // (a mandatory reply comes back with basic.return although it was delivered, as in RabbitMQ).
    else if (this.replies && routingKey.startsWith(REPLY_TO_PREFIX))
      this.replies.deliverReply(routingKey, msg);
  }

  protected override addToIndex(_b: Binding): void {}
  protected override removeFromIndex(_b: Binding): void {}
}
