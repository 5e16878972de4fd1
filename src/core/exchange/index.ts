/** Exchange types by name: the one place a new type is registered. */
import { commandInvalid } from '../../protocol/errors.js';
import { DELAYED_EXCHANGE_TYPE, DelayedExchange, delayedTypeOf } from './delayed.js';
import { DirectExchange } from './direct.js';
import type { Exchange, ExchangeOptions } from './exchange.js';
import { FanoutExchange } from './fanout.js';
import { HeadersExchange } from './headers.js';
import { TopicExchange } from './topic.js';

/** The routing types; x-delayed-message routes as one of these (its x-delayed-type). */
const TYPES: Record<string, new (o: ExchangeOptions) => Exchange> = {
  direct: DirectExchange,
  fanout: FanoutExchange,
  topic: TopicExchange,
  headers: HeadersExchange,
};

function isRoutingType(type: string): boolean {
  return Object.prototype.hasOwnProperty.call(TYPES, type);
}

export function isExchangeType(type: string): boolean {
  return type === DELAYED_EXCHANGE_TYPE || isRoutingType(type);
}

/** Creates an exchange; for x-delayed-message, checks x-delayed-type as the plugin does (406, 503). */
export function createExchange(type: string, opts: ExchangeOptions): Exchange {
  if (type === DELAYED_EXCHANGE_TYPE) {
    const routing = delayedTypeOf(opts.arguments);
    if (!isRoutingType(routing)) throw commandInvalid(`unknown exchange type '${routing}'`);
    return new DelayedExchange(opts, createExchange(routing, opts));
  }
  const Ctor = TYPES[type];
  if (!Ctor) throw new Error(`unknown exchange type ${type}`);
  return new Ctor(opts);
}

export { Exchange, type ExchangeOptions } from './exchange.js';
export { DelayedExchange } from './delayed.js';
