/**
 * A queue's effective settings: what its `x-` arguments and the policy that applies to it (if any)
 * say together. RabbitMQ's rule for classic queues: for the numeric limits (message-ttl, expires,
 * max-length, max-length-bytes, delivery-limit, consumer-timeout) the lower of argument and policy
 * wins; for everything else (dead-letter exchange and routing key, overflow) the argument wins.
 * max-priority and single-active-consumer can only be set by argument, as in RabbitMQ.
 */
import type { FieldTable, FieldValue } from '../../protocol/field-types.js';

export type Overflow = 'drop-head' | 'reject-publish' | 'reject-publish-dlx';

export interface QueueSettings {
  /** x-message-ttl, ms */
  readonly messageTtl: number | undefined;
  /** x-expires, ms: delete the queue after this long unused */
  readonly expires: number | undefined;
  readonly maxLength: number | undefined;
  readonly maxLengthBytes: number | undefined;
  readonly overflow: Overflow;
  readonly deadLetterExchange: string | undefined;
  readonly deadLetterRoutingKey: string | undefined;
  /** x-delivery-limit: returns allowed before the message is dead-lettered (delivery_limit) */
  readonly deliveryLimit: number | undefined;
  /** x-consumer-timeout, ms; undefined = the broker-wide consumer_timeout */
  readonly consumerTimeout: number | undefined;
  /** x-max-priority (argument only); undefined = not a priority queue */
  readonly maxPriority: number | undefined;
  /** x-single-active-consumer (argument only) */
  readonly singleActiveConsumer: boolean;
}

/** A policy definition as stored: RabbitMQ's keys without the `x-` prefix (`message-ttl`, ...). */
export type PolicyDefinition = Readonly<Record<string, unknown>>;

function int(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isInteger(v) && v >= 0 ? v : undefined;
}

function str(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (Buffer.isBuffer(v)) return v.toString();
  return undefined;
}

function lower(a: number | undefined, b: number | undefined): number | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return Math.min(a, b);
}

const OVERFLOWS = new Set<string>(['drop-head', 'reject-publish', 'reject-publish-dlx']);

/** Combines queue arguments with a policy definition (undefined = no policy applies). */
export function resolveQueueSettings(args: FieldTable, policy: PolicyDefinition | undefined): QueueSettings {
  const p = policy ?? {};
  const arg = (k: string): FieldValue | undefined => args[k];
  const pick = (k: string): number | undefined => lower(int(arg(`x-${k}`)), int(p[k]));
  const argOr = (k: string): string | undefined => str(arg(`x-${k}`)) ?? str(p[k]);
  const overflow = argOr('overflow');
  return {
    messageTtl: pick('message-ttl'),
    expires: pick('expires'),
    maxLength: pick('max-length'),
    maxLengthBytes: pick('max-length-bytes'),
    overflow: overflow !== undefined && OVERFLOWS.has(overflow) ? (overflow as Overflow) : 'drop-head',
    deadLetterExchange: argOr('dead-letter-exchange'),
    deadLetterRoutingKey: argOr('dead-letter-routing-key'),
    deliveryLimit: pick('delivery-limit'),
    consumerTimeout: pick('consumer-timeout'),
    maxPriority: int(arg('x-max-priority')),
    singleActiveConsumer: arg('x-single-active-consumer') === true,
  };
}
