/**
 * The shapes the embedded API (src/embed/broker-api.ts) takes and returns: plain data, so a test can
 * compare them with deepStrictEqual and they never hand out the broker's live objects.
 */
import type { FieldTable } from '../protocol/field-types.js';
import type { BasicProperties } from '../protocol/generated/methods.js';

/** Every entity method works on the broker's default vhost unless given another. */
export interface InVhost {
  /** default: the broker's `defaultVhost` (`/`) */
  vhost?: string | undefined;
}

export interface DeclareQueueOptions extends InVhost {
  /** default true: survives a restart when the broker has a data directory */
  durable?: boolean | undefined;
  /** default false: deleted when its last consumer goes */
  autoDelete?: boolean | undefined;
  /** x-arguments: `x-message-ttl`, `x-max-length`, `x-dead-letter-exchange`, ... */
  arguments?: FieldTable | undefined;
}

export interface DeclareExchangeOptions extends InVhost {
  /** default true */
  durable?: boolean | undefined;
  /** default false: deleted when its last binding goes */
  autoDelete?: boolean | undefined;
  /** default false: clients cannot publish to it, only other exchanges */
  internal?: boolean | undefined;
  /** `alternate-exchange`, `x-delayed-type`, ... */
  arguments?: FieldTable | undefined;
}

export interface BindOptions extends InVhost {
  /** binding arguments (headers exchanges match on them) */
  arguments?: FieldTable | undefined;
}

export interface DeleteQueueOptions extends InVhost {
  /** refuse (406) when the queue has consumers */
  ifUnused?: boolean | undefined;
  /** refuse (406) when the queue holds ready messages */
  ifEmpty?: boolean | undefined;
}

export interface DeleteExchangeOptions extends InVhost {
  /** refuse (406) when the exchange has bindings */
  ifUnused?: boolean | undefined;
}

export interface PolicyOptions extends InVhost {
  /** default 0; of the matching policies, the highest priority applies */
  priority?: number | undefined;
  /** default 'all' */
  applyTo?: 'all' | 'queues' | 'exchanges' | 'classic_queues' | undefined;
}

export interface PublishOptions extends InVhost {
  /** content type, headers, delivery mode (2 = persistent), expiration, ... */
  properties?: BasicProperties | undefined;
}

/** The numbers `rabbitmqctl list_queues messages messages_ready messages_unacknowledged consumers` shows. */
export interface QueueCounts {
  /** ready plus unacknowledged */
  readonly messages: number;
  readonly messagesReady: number;
  readonly messagesUnacknowledged: number;
  readonly consumers: number;
}

export interface QueueInfo extends QueueCounts {
  readonly vhost: string;
  readonly name: string;
  readonly durable: boolean;
  /** owned by one client connection, deleted with it */
  readonly exclusive: boolean;
  readonly autoDelete: boolean;
  readonly arguments: FieldTable;
  /** the policy that applies, if any */
  readonly policy: string | undefined;
}

export interface ExchangeInfo {
  readonly vhost: string;
  readonly name: string;
  readonly type: string;
  readonly durable: boolean;
  readonly autoDelete: boolean;
  readonly internal: boolean;
  readonly arguments: FieldTable;
}

export interface BindingInfo {
  readonly vhost: string;
  /** '' for the default exchange's implicit binding to every queue */
  readonly source: string;
  readonly destination: string;
  readonly destinationType: 'queue' | 'exchange';
  readonly routingKey: string;
  readonly arguments: FieldTable;
}

export interface ConnectionSummary {
  readonly id: number;
  /** RabbitMQ's connection name, "peer:port -> local:port" */
  readonly name: string;
  readonly user: string;
  readonly vhost: string;
  readonly peerHost: string;
  readonly peerPort: number;
  readonly channels: number;
  /** the client's connection_name property, when it sent one */
  readonly clientName: string | undefined;
}

export interface WaitForOptions {
  /** reject after this many ms; default 10,000; 0 = wait forever */
  timeoutMs?: number | undefined;
  /** stop waiting (the promise rejects with the signal's reason) */
  signal?: AbortSignal | undefined;
}
