/**
 * The `x-delay` header of a message published to a delayed exchange, read as the
 * rabbitmq-delayed-message-exchange plugin reads it (rabbit_delayed_message_utils:get_delay/1):
 * an integer of any width is the delay in ms, a float is truncated, a string (or byte array) of
 * decimal digits is parsed. Anything else, or a delay of zero or less, means "no delay": the message
 * is routed at once. Where Warren differs from the plugin, on purpose:
 * - a signed 8-bit integer counts (the plugin's type list misses it, so amqplib's `x-delay: 100`,
 *   sent as a byte, is not delayed there);
 * - a string that is not an integer routes at once (the plugin crashes the channel process on it);
 * - there is no ceiling (the plugin routes delays past 2^32-1 ms at once).
 */
import { BASIC_PROPERTY_FLAG } from '../../protocol/generated/methods.js';
import type { FieldValue } from '../../protocol/field-types.js';
import { isTyped } from '../../protocol/field-types.js';
import { Message } from '../message.js';

/** Latest due time a Date can hold; a larger delay is held until then (in effect, forever). */
export const MAX_DUE = 8.64e15;

function parse(v: FieldValue): number {
  if (typeof v === 'number') return Number.isFinite(v) ? Math.trunc(v) : 0;
  if (typeof v === 'bigint') return v > 0n ? MAX_DUE : 0;
  if (isTyped(v)) return parse(v.value);
  const s = typeof v === 'string' ? v : Buffer.isBuffer(v) ? v.toString('latin1') : undefined;
  // binary_to_integer/1: an optional sign and decimal digits, nothing else
  if (s === undefined || !/^[+-]?\d+$/.test(s)) return 0;
  return Number(s);
}

/** The message's delay in ms; 0 when it is to be routed at once. */
export function delayOf(msg: Message): number {
  if (!msg.has(BASIC_PROPERTY_FLAG.headers)) return 0;
  const v = msg.properties.headers?.['x-delay'];
  if (v === undefined) return 0;
  const d = parse(v);
  return d > 0 ? Math.min(d, MAX_DUE) : 0;
}

/**
 * The message as it leaves the exchange when due: `x-delay` turned negative, as the plugin does, so
 * consumers see what they saw with the plugin and can tell the message was delayed.
 */
export function asReleased(msg: Message, delay: number): Message {
  const props = msg.properties;
  return Message.from(
    msg.exchange,
    msg.routingKey,
    { ...props, headers: { ...props.headers, 'x-delay': -delay } },
    msg.body,
  );
}
