/**
 * Per-publish rules RabbitMQ applies to message properties: the `expiration` format, and
 * sender-selected distribution (`CC` and `BCC` headers add routing keys; `BCC` is removed before the
 * message is stored so no consumer sees it).
 */
import { Message } from '../core/message.js';
import { preconditionFailed } from '../protocol/errors.js';
import { BASIC_PROPERTY_FLAG } from '../protocol/generated/methods.js';
import type { FieldValue } from '../protocol/field-types.js';

export function validateExpiration(expiration: string | undefined): void {
  if (expiration === undefined) return;
  if (!/^-?\d+$/.test(expiration)) throw preconditionFailed(`invalid expiration '${expiration}': no_integer`);
  const n = Number(expiration);
  if (n < 0) throw preconditionFailed(`invalid expiration '${expiration}': {value_negative,${n}}`);
}

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
  const keys = [...routingKeys(headers['CC'] ?? null), ...routingKeys(headers['BCC'] ?? null)];
  if (headers['BCC'] === undefined) return { msg, keys };
  const { BCC: _bcc, ...rest } = headers;
  const stripped = Message.from(msg.exchange, msg.routingKey, { ...msg.properties, headers: rest }, msg.body);
  return { msg: stripped, keys };
}
