/**
 * Control-plane events: what a test or an embedding program can wait on (a queue declared, a consumer
 * attached, a connection closed), emitted on the Broker's EventEmitter and published on
 * `node:diagnostics_channel` channels named `warren:<event>`.
 *
 * Events come only from declare/delete/bind/consume/cancel/open/close points, never per message. Every
 * emit site first asks `wants(name)` (a listener count and a `hasSubscribers` read), so a broker
 * nobody listens to does not even build the payload.
 */
import { channel, type Channel } from 'node:diagnostics_channel';
import type { EventEmitter } from 'node:events';
import type { FieldTable } from '../protocol/field-types.js';

export interface VhostEvent {
  readonly name: string;
}

export interface UserEvent {
  readonly name: string;
}

/** A queue or exchange by name; what delete events carry. */
export interface EntityEvent {
  readonly vhost: string;
  readonly name: string;
}

export interface QueueDeclaredEvent extends EntityEvent {
  readonly durable: boolean;
  readonly exclusive: boolean;
  readonly autoDelete: boolean;
  readonly arguments: FieldTable;
}

export interface ExchangeDeclaredEvent extends EntityEvent {
  readonly type: string;
  readonly durable: boolean;
  readonly autoDelete: boolean;
  readonly internal: boolean;
  readonly arguments: FieldTable;
}

export interface BindingEvent {
  readonly vhost: string;
  readonly source: string;
  readonly destination: string;
  readonly destinationType: 'queue' | 'exchange';
  readonly routingKey: string;
  readonly arguments: FieldTable;
}

export interface ConnectionEvent {
  /** the broker's id of the connection (what listings and close_connection use) */
  readonly id: number;
  /** RabbitMQ's connection name, "peer:port -> local:port" */
  readonly name: string;
  readonly user: string;
  readonly vhost: string;
  readonly peerHost: string;
  readonly peerPort: number;
}

export interface ConsumerEvent {
  readonly vhost: string;
  readonly queue: string;
  readonly consumerTag: string;
  /** the id of the connection the consumer belongs to */
  readonly connectionId: number;
}

export interface PolicyEvent {
  readonly vhost: string;
  readonly name: string;
}

export interface AlarmEvent {
  readonly resource: 'disk' | 'memory';
  /** true when the alarm went off, false when it cleared */
  readonly active: boolean;
}

/** Event name to payload. */
export interface BrokerEventMap {
  'vhost.created': VhostEvent;
  'vhost.deleted': VhostEvent;
  'user.created': UserEvent;
  'user.deleted': UserEvent;
  'exchange.declared': ExchangeDeclaredEvent;
  'exchange.deleted': EntityEvent;
  'queue.declared': QueueDeclaredEvent;
  'queue.deleted': EntityEvent;
  'binding.created': BindingEvent;
  'binding.deleted': BindingEvent;
  'connection.created': ConnectionEvent;
  'connection.closed': ConnectionEvent;
  'consumer.created': ConsumerEvent;
  'consumer.deleted': ConsumerEvent;
  'policy.set': PolicyEvent;
  'policy.cleared': PolicyEvent;
  alarm: AlarmEvent;
}

export type BrokerEventName = keyof BrokerEventMap;

/** Every event name, in the order docs/embedding.md lists them. */
export const BROKER_EVENTS: readonly BrokerEventName[] = [
  'vhost.created',
  'vhost.deleted',
  'user.created',
  'user.deleted',
  'exchange.declared',
  'exchange.deleted',
  'queue.declared',
  'queue.deleted',
  'binding.created',
  'binding.deleted',
  'connection.created',
  'connection.closed',
  'consumer.created',
  'consumer.deleted',
  'policy.set',
  'policy.cleared',
  'alarm',
];

/** The prefix of the diagnostics_channel names: `warren:queue.declared`, ... */
export const DIAGNOSTICS_PREFIX = 'warren:';

/**
 * What a diagnostics_channel subscriber receives: the event's payload plus the emitting broker, since
 * channels are process-wide and several brokers may run in one process.
 */
export type DiagnosticsMessage<K extends BrokerEventName> = BrokerEventMap[K] & {
  readonly broker: EventEmitter;
};

// Channels are process-wide singletons; looking them up once keeps `wants` to two property reads.
const channels = new Map<BrokerEventName, Channel>(
  BROKER_EVENTS.map((n) => [n, channel(`${DIAGNOSTICS_PREFIX}${n}`)]),
);

/** Emits one broker's events to its listeners and to the diagnostics channels. */
export class BrokerEvents {
  private readonly emitter: EventEmitter;

  constructor(emitter: EventEmitter) {
    this.emitter = emitter;
  }

  /** Whether anyone listens to `name`; emit sites check this before building a payload. */
  wants(name: BrokerEventName): boolean {
    return this.emitter.listenerCount(name) > 0 || channels.get(name)?.hasSubscribers === true;
  }

  /**
   * A listener that throws does not abort the broker operation that emitted (its state is already
   * changed); the error is rethrown on the next tick as an uncaught exception, as diagnostics_channel
   * does with a throwing subscriber.
   */
  emit<K extends BrokerEventName>(name: K, payload: BrokerEventMap[K]): void {
    if (this.emitter.listenerCount(name) > 0) {
      try {
        this.emitter.emit(name, payload);
      } catch (e) {
        process.nextTick(() => {
          throw e;
        });
      }
    }
    const ch = channels.get(name);
    if (ch?.hasSubscribers) ch.publish({ ...payload, broker: this.emitter });
  }
}
