/** Exchange types by name: the one place a new type is registered. */
import { DirectExchange } from './direct.js';
import type { Exchange, ExchangeOptions } from './exchange.js';
import { FanoutExchange } from './fanout.js';
import { HeadersExchange } from './headers.js';
import { TopicExchange } from './topic.js';

const TYPES: Record<string, new (o: ExchangeOptions) => Exchange> = {
  direct: DirectExchange,
  fanout: FanoutExchange,
  topic: TopicExchange,
  headers: HeadersExchange,
};

export function isExchangeType(type: string): boolean {
  return Object.prototype.hasOwnProperty.call(TYPES, type);
}

export function createExchange(type: string, opts: ExchangeOptions): Exchange {
  const Ctor = TYPES[type];
  if (!Ctor) throw new Error(`unknown exchange type ${type}`);
  return new Ctor(opts);
}

export { Exchange, type ExchangeOptions } from './exchange.js';
