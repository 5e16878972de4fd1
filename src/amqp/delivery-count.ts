/**
 * The `x-delivery-count` header RabbitMQ's quorum queues put on redeliveries, which Warren adds on
 * every queue with a delivery limit: how many times the message came back before this delivery.
 * Only redeliveries of such queues pay for re-encoding the properties; every other delivery sends
 * the publisher's property bytes untouched.
 */
import { decodeProperties } from '../protocol/content-header.js';
import { encodeBasicProperties } from '../protocol/generated/methods.js';
import { Writer } from '../protocol/writer.js';

export function withDeliveryCount(rawProperties: Buffer, count: number): Buffer {
  const props = decodeProperties(rawProperties);
  const headers = { ...(props.headers ?? {}), 'x-delivery-count': { $type: 'l' as const, value: count } };
  const w = new Writer(rawProperties.length + 64);
  encodeBasicProperties(w, { ...props, headers });
  return Buffer.from(w.buf.subarray(0, w.pos));
}
