/**
 * What the core tells durable storage. The vhost calls these for durable entities only (a binding is
 * durable when both its ends are), after the in-memory change succeeded. Implemented by
 * src/store/durable.ts; absent when the broker runs in memory only.
 */
import type { Binding } from './binding.js';
import type { Exchange } from './exchange/exchange.js';
import type { Queue } from './queue/queue.js';

export interface Persistence {
  exchangeDeclared(e: Exchange): void;
  exchangeDeleted(e: Exchange): void;
  /** also attaches the message store to the queue */
  queueDeclared(q: Queue): void;
  queueDeleted(q: Queue): void;
  bound(b: Binding): void;
  unbound(b: Binding): void;
}
