/**
 * RabbitMQ's message_stats counters, as plain number fields on objects the hot path already holds
 * (a channel, a queue, an exchange): counting a message is one field increment, no lookup and no
 * allocation. Rates are not kept here; the sampler (sampler.ts) derives them every 5 seconds.
 */

/** What a channel counts, and (summed over a vhost's channels, live and closed) a vhost and the node. */
export class ChannelCounters {
  publish = 0;
  /** publishes confirmed with basic.ack (confirm mode) */
  confirm = 0;
  /** publishes on a channel in confirm mode (Prometheus' messages_received_confirm_total) */
  receivedConfirm = 0;
  /** publishes that reached at least one queue (Prometheus' messages_routed_total) */
  routed = 0;
  /** mandatory publishes that routed nowhere and came back with basic.return */
  returnUnroutable = 0;
  /** publishes that routed nowhere and were dropped */
  dropUnroutable = 0;
  /** deliveries to consumers that ack */
  deliver = 0;
  /** deliveries to no-ack consumers */
  deliverNoAck = 0;
  /** basic.get answered with a message, to be acked */
  get = 0;
  /** basic.get with no-ack answered with a message */
  getNoAck = 0;
  /** basic.get answered with get-empty */
  getEmpty = 0;
  ack = 0;
  /** deliveries and gets of messages marked redelivered */
  redeliver = 0;
}

/** What a queue counts (RabbitMQ's queue message_stats). */
export class QueueCounters {
  /** messages enqueued (routed here, dead-lettered here, requeues not counted) */
  publish = 0;
  deliver = 0;
  deliverNoAck = 0;
  get = 0;
  getNoAck = 0;
  getEmpty = 0;
  ack = 0;
  redeliver = 0;
}

/** What an exchange counts: messages that came in, and copies it routed on to queues. */
export class ExchangeCounters {
  publishIn = 0;
  publishOut = 0;
}

/** Adds every counter of `from` into `into` (same class). */
export function addCounters<T extends object>(into: T, from: T): void {
  const a = into as Record<string, number>;
  const b = from as Record<string, number>;
  for (const k of Object.keys(b)) a[k] = (a[k] ?? 0) + (b[k] ?? 0);
}

/** RabbitMQ's churn_rates counters for the node: objects created and gone (not per message). */
export class ChurnCounters {
  connectionCreated = 0;
  connectionClosed = 0;
  channelCreated = 0;
  channelClosed = 0;
  /** queue.declare (and HTTP PUT) of new or existing queues */
  queueDeclared = 0;
  queueCreated = 0;
  queueDeleted = 0;
}
