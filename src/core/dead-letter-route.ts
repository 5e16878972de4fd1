/**
 * Where dead-lettered messages go: rewritten by dead-letter.ts (x-death and friends), routed through
 * the queue's dead-letter exchange with the routing keys that rewrite chose, minus any queue that
 * would close a fully automatic cycle, then put into the target queues like any routed message
 * (persistent ones written to the store for durable targets). A dead-letter exchange that does not
 * exist drops the message, as in RabbitMQ.
 */
import { deadLetter, isDeadLetterCycle, type DeadLetterReason } from './dead-letter.js';
import { enqueueAll } from './enqueue.js';
import { DelayedExchange } from './exchange/delayed.js';
import type { Exchange } from './exchange/exchange.js';
import type { Message } from './message.js';
import type { Queue } from './queue/queue.js';

export interface DeadLetterRouter {
  readonly exchanges: ReadonlyMap<string, Exchange>;
  route(exchange: Exchange, msg: Message, routingKey: string, out: Set<Queue>): void;
}

export function routeDeadLetters(
  router: DeadLetterRouter,
  queue: Queue,
  messages: readonly Message[],
  reason: DeadLetterReason,
): void {
  const dlx = queue.settings.deadLetterExchange;
  if (dlx === undefined) return;
  const exchange = router.exchanges.get(dlx);
  if (!exchange) return;
  const now = Date.now();
  for (const m of messages) {
    const out = deadLetter(m, reason, queue.name, dlx, queue.settings.deadLetterRoutingKey, now, m.route);
    out.msg.route = out.route;
    // A delayed exchange as the DLX holds the message for its x-delay first (delayed retries).
    if (exchange instanceof DelayedExchange && !exchange.deleted && exchange.hold(out.msg)) continue;
    const targets = new Set<Queue>();
    for (const rk of out.routingKeys) router.route(exchange, out.msg, rk, targets);
    for (const t of targets) if (isDeadLetterCycle(reason, out.msg, t.name)) targets.delete(t);
    if (targets.size > 0) enqueueAll(out.msg, targets);
  }
}
