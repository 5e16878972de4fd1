/**
 * The messages the benchmark runner (bench/run.ts) and its client processes (bench/client.ts)
 * exchange over the Node IPC channel.
 */

export interface PublisherConfig {
  role: 'publisher';
  url: string;
  queue: string;
  /** body size in bytes */
  size: number;
  /** 'amqplib' uses channel.publish; 'raw' writes pre-encoded frames to the socket (bench/raw-publisher.ts) */
  impl: 'amqplib' | 'raw';
  /** if > 0: pause while more than this many messages are published but not yet consumed */
  maxBacklog: number;
  /** delivery-mode 2 (raw publisher only) */
  persistent: boolean;
  /** > 0: publisher confirms with at most this many unconfirmed publishes (raw publisher only) */
  confirmWindow: number;
  /** > 0: publish exactly this many messages, then report 'done' once all are confirmed */
  total: number;
  /** > 0: give messages a priority property cycling 0..priorities-1 (raw publisher only) */
  priorities: number;
}

export interface ConsumerConfig {
  role: 'consumer';
  url: string;
  queue: string;
  /** true: auto-ack (no-ack) consumer; false: manual acks */
  noAck: boolean;
  /** basic.qos prefetch count (manual ack only; 0 = unlimited) */
  prefetch: number;
  /** ack with multiple=true after every this many deliveries (manual ack only) */
  ackEvery: number;
  /** if > 0: report the delivery count ('progress') this often, for the publisher's backlog limit */
  progressMs: number;
  /** true: subscribe only on 'go' (to drain a queue filled beforehand); false: subscribe at once */
  consumeOnGo: boolean;
}

export type ClientConfig = PublisherConfig | ConsumerConfig;

/**
 * Runner to client. The publisher only starts sending on 'go'; the consumer consumes from the start
 * unless `consumeOnGo`. 'consumed' relays the consumer's progress to the publisher (only with a
 * backlog limit). 'done-at' asks the consumer to answer 'done' once it has received `count` messages
 * (it then also acks everything still unacked).
 */
export type ToClient =
  | { type: 'go' }
  | { type: 'mark' }
  | { type: 'stop' }
  | { type: 'consumed'; count: number }
  | { type: 'done-at'; count: number };

/** A client's counters at one moment. */
export interface Mark {
  /** messages published (publisher) or delivered (consumer) so far */
  count: number;
  /** process.hrtime.bigint() in nanoseconds, as a string (bigint does not survive IPC serialization) */
  hrtime: string;
  /** process.cpuUsage() user + system, microseconds */
  cpuMicros: number;
  /** publisher with confirms: publishes acked by the broker (0 otherwise) */
  confirmed: number;
  /** publisher with confirms: publishes nacked by the broker (0 otherwise) */
  nacked: number;
}

/** Client to runner. */
export type FromClient =
  | { type: 'ready' }
  | { type: 'progress'; count: number }
  | ({ type: 'mark' } & Mark)
  | ({ type: 'stopped' } & Mark)
  /** publisher: all of `total` published and resolved; consumer: the 'done-at' count was reached */
  | ({ type: 'done' } & Mark)
  | { type: 'error'; message: string };
