/**
 * Routing a published message into queues: what basic.publish does once a message is complete, and
 * what the HTTP API's publish does, so both route (delayed exchanges, CC/BCC, alternate exchanges,
 * exchange-to-exchange bindings) and enqueue (persistence, queue limits) the same way.
 */
import { enqueueAll, type EnqueueResult } from './enqueue.js';
import { DelayedExchange } from './exchange/delayed.js';
import type { Exchange } from './exchange/exchange.js';
import type { Message } from './message.js';
import type { Queue } from './queue/queue.js';
import { senderSelected } from './sender-selected.js';
import type { VHost } from './vhost.js';

/**
 * Routes and enqueues; undefined when the message reached no queue (unroutable). A delayed exchange
 * holding the message counts as routed: where it goes is decided when it is due.
 */
export function publishMessage(
  vhost: VHost,
  exchange: Exchange,
  routingKey: string,
  published: Message,
): EnqueueResult | undefined {
  if (exchange instanceof DelayedExchange && !exchange.deleted) {
    const held = exchange.hold(published);
    if (held) return { accepted: true, ref: held.ref };
  }
  const queues = new Set<Queue>();
  const { msg, keys } = senderSelected(published);
  if (!exchange.deleted) {
    vhost.route(exchange, msg, routingKey, queues);
    if (keys) for (const k of keys) vhost.route(exchange, msg, k, queues);
  }
  if (queues.size === 0) return undefined;
  return enqueueAll(msg, queues);
}
