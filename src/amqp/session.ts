/**
 * What a channel needs from its connection. Kept as an interface so a channel can be read (and
 * tested) without the socket handling around it.
 */
import type { Broker, User } from '../core/broker.js';
import type { QueueOwner } from '../core/queue/queue.js';
import type { VHost } from '../core/vhost.js';
import type { AmqpError } from '../protocol/errors.js';
import type { Outbox } from './outbox.js';

export interface Session extends QueueOwner {
  readonly broker: Broker;
  readonly vhost: VHost;
  readonly user: User;
  readonly out: Outbox;
  /** client said it understands server-sent basic.cancel (capability consumer_cancel_notify) */
  readonly consumerCancelNotify: boolean;
  readonly maxMessageSize: number;
  /** broker-wide consumer_timeout in ms; undefined = off (a queue may still set its own) */
  readonly consumerTimeoutMs: number | undefined;
  /** a publish completed: counts against this turn's budget (read-fairness.ts) */
  published(): void;
  /** a basic.get was answered: past the output limit, parsing stops for this turn (input-hold.ts) */
  answered(): void;
  /** false once so much output waits unsent that direct replies to this client are dropped */
  acceptsReplies(): boolean;
  /** false while the socket is backed up: stop delivering until it drains */
  writable(): boolean;
  /** closes the whole connection with a hard error */
  fail(err: AmqpError): void;
  /** Runs `fn` for channel `channel` with the connection's error handling (soft errors close the channel). */
  guard(channel: number, fn: () => void): void;
  /** the channel finished closing (close-ok exchanged) and can be forgotten */
  channelClosed(id: number): void;
}
