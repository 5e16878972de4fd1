/**
 * What the management API and the Prometheus endpoint read from the running node: the broker (all
 * operations go through it, as AMQP's do), the rate sampler, and facts about the node itself.
 * `Warren` implements this; the HTTP layer never reaches into the AMQP servers.
 */
import type { Broker } from '../core/broker.js';
import type { Logger } from '../log.js';
import type { StatsSampler } from '../stats/sampler.js';

/** A listener as RabbitMQ's overview and node listings show it. */
export interface ListenerInfo {
  /** 'amqp', 'amqp/ssl', 'http', 'http/prometheus' */
  protocol: string;
  ip_address: string;
  port: number;
}

export interface NodeContext {
  readonly broker: Broker;
  readonly stats: StatsSampler;
  readonly log: Logger;
  /** when the broker started, ms since the epoch */
  readonly startedAt: number;
  /** the data directory; undefined when in memory only */
  readonly dataDir: string | undefined;
  /** largest message body accepted (HTTP publish checks it as AMQP does) */
  readonly maxMessageSize: number;
  listeners(): ListenerInfo[];
}
