/**
 * Sender-selected distribution, as RabbitMQ does it: the `CC` and `BCC` headers add routing keys, and
 * `BCC` is removed before the message is stored so no consumer sees it. Applied wherever a message is
 * routed from a publish: at once (the AMQP channel), or when a delayed exchange releases it.
 */
import { BASIC_PROPERTY_FLAG } from '../protocol/generated/methods.js';
import type { FieldValue } from '../protocol/field-types.js';
import { Message } from './message.js';

function routingKeys(v: FieldValue): string[] {
  if (typeof v === 'string') return [v];
  if (Buffer.isBuffer(v)) return [v.toString()];
  if (Array.isArray(v))
    return v.flatMap((x) => (typeof x === 'string' ? [x] : Buffer.isBuffer(x) ? [x.toString()] : []));
  return [];
}

/** The message to store (BCC stripped) and the extra routing keys from CC and BCC, if any. */
export function senderSelected(msg: Message): { msg: Message; keys: string[] | undefined } {
  if (!msg.has(BASIC_PROPERTY_FLAG.headers)) return { msg, keys: undefined };
  const headers = msg.properties.headers;
  if (!headers || (headers['CC'] === undefined && headers['BCC'] === undefined))
    return { msg, keys: undefined };
  const bcc = routingKeys(headers['BCC'] ?? null);
  const keys = [...routingKeys(headers['CC'] ?? null), ...bcc];
  const route = { keys: [msg.routingKey, ...keys], bcc };
  if (headers['BCC'] === undefined) {
    msg.route = route;
    return { msg, keys };
  }
  const { BCC: _bcc, ...rest } = headers;
  const stripped = Message.from(msg.exchange, msg.routingKey, { ...msg.properties, headers: rest }, msg.body);
  // Dead-lettering routes with the BCC keys again though the header is gone (as RabbitMQ 3.13 does).
  stripped.route = route;
  return { msg: stripped, keys };
}
