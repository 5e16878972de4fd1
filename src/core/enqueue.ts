/**
 * Putting a routed message into the queues it reached. Shared by every path that delivers into
 * queues (AMQP publish, dead-lettering, delayed messages, the HTTP API), so each writes a persistent
 * message to the store once for all its durable queues, and each respects queue limits the same way.
 */
import type { MessageRef } from '../store/message-store.js';
import type { Message } from './message.js';
import type { Queue } from './queue/queue.js';
import { steadyNow } from './clock.js';

export interface EnqueueResult {
  /** false when some queue refused the message (x-overflow reject-publish): confirms nack it */
  readonly accepted: boolean;
  /** the store record, when the message was persisted: confirm only after the store synced it */
  readonly ref: MessageRef | undefined;
}

/** Writes a persistent message once for all the durable queues it reached; undefined if none. */
function persist(msg: Message, queues: Iterable<Queue>): MessageRef | undefined {
  let ids: number[] | undefined;
  let store: NonNullable<Queue['store']>['store'] | undefined;
  for (const q of queues) {
    const id = q.durableStoreId;
    if (id === undefined) continue;
    (ids ??= []).push(id);
    store ??= q.store?.store;
  }
  if (!ids || !store) return undefined;
  return store.append(ids, {
    exchange: msg.exchange,
    routingKey: msg.routingKey,
    properties: msg.rawProperties,
    body: msg.body,
    // Message TTL counts from here, across restarts too.
    arrivedAt: steadyNow(),
  });
}

export function enqueueAll(msg: Message, queues: Iterable<Queue>): EnqueueResult {
  const ref = msg.persistent ? persist(msg, queues) : undefined;
  let accepted = true;
  for (const q of queues)
    if (!q.enqueue(msg, q.durableStoreId !== undefined ? ref : undefined)) accepted = false;
  return { accepted, ref };
}
