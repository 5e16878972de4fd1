/**
 * What the core tells durable storage, after the in-memory change succeeded. Exchange and binding
 * hooks are called for durable entities only (a binding is durable when both its ends are); the
 * queue hooks for every queue, since any queue may page message bodies out to the store. Implemented by
 * src/store/durable.ts; absent when the broker runs in memory only.
 */
import type { AuthPersistence } from '../auth/access-control.js';
import type { Binding } from './binding.js';
import type { DelayedExchange } from './exchange/delayed.js';
import type { Exchange } from './exchange/exchange.js';
import type { Policy } from './policy.js';
import type { Queue } from './queue/queue.js';
import type { VHost } from './vhost.js';

export interface Persistence extends AuthPersistence {
  /** a vhost was created, or its metadata or limits changed */
  vhostPut(v: VHost): void;
  /** a vhost was deleted (after its contents were); its permissions go with it */
  vhostDeleted(name: string): void;
  exchangeDeclared(e: Exchange): void;
  /**
   * attaches the message store to any delayed exchange, for the messages it holds (before
   * exchangeDeclared, which records a durable one's store id)
   */
  delayedExchangeCreated(e: DelayedExchange): void;
  exchangeDeleted(e: Exchange): void;
  /** records a durable queue, and attaches the message store to any queue */
  queueDeclared(q: Queue): void;
  queueDeleted(q: Queue): void;
  bound(b: Binding): void;
  unbound(b: Binding): void;
  /** a policy was set (added, or replaced by name); policies are always durable, as in RabbitMQ */
  policySet(p: Policy): void;
  policyCleared(vhost: string, name: string): void;
}
