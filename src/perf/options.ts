/**
 * What one `warren perf` run does. The names follow RabbitMQ's PerfTest where it has the same knob
 * (producers, consumers, size, confirm, qos, multi-ack-every, rate, pmessages, cmessages, time).
 */

export type ExchangeType = 'direct' | 'fanout' | 'topic' | 'headers';

export interface PerfOptions {
  /** amqp://user:pass@host:port/vhost */
  uri: string;
  producers: number;
  consumers: number;
  /** queue names: `queue` alone when given, else `${queuePrefix}-1` .. `${queuePrefix}-${queues}` */
  queue: string | undefined;
  queues: number;
  queuePrefix: string;
  /** x- arguments of every queue declared */
  queueArguments: Record<string, string | number | boolean>;
  /** '' is the default exchange (routing key = queue name) */
  exchange: string;
  exchangeType: ExchangeType;
  /** one fixed routing key for every publish (and binding); undefined: generated, see plan.ts */
  routingKey: string | undefined;
  /** bindings per queue when the exchange is not the default one and routingKey is not given */
  bindingsPerQueue: number;
  /** body bytes; the first 8 carry the send time when size >= 8 */
  size: number;
  /** delivery-mode 2, and durable queues and exchange */
  persistent: boolean;
  /** > 0: publisher confirms, at most this many unconfirmed per producer */
  confirm: number;
  /** messages carry priorities 0..priorities-1 in turn (0: no priority property) */
  priorities: number;
  /** messages per second per producer; 0 = as fast as the broker takes them */
  rate: number;
  /** messages each producer publishes, then it stops; 0 = no limit */
  pmessages: number;
  /** messages each consumer receives, then it stops; 0 = no limit */
  cmessages: number;
  autoAck: boolean;
  /** basic.qos prefetch count per consumer (manual ack only); 0 = unlimited */
  prefetch: number;
  /** manual ack: ack every N deliveries, with multiple=true when N > 1 */
  multiAckEvery: number;
  /** seconds of traffic measured (after the warm-up); 0 = until the message counts are reached */
  time: number;
  /** seconds of traffic before the measured window starts */
  warmup: number;
  /** worker threads running the clients; 0 = one per core, at most one per client */
  workers: number;
  /** > 0: open this many connections with one channel each and only hold them (no traffic) */
  idleConnections: number;
  /** heartbeat seconds asked for in tune-ok; 0 = off */
  heartbeat: number;
  /** leave the queues (and exchange) in place at the end instead of deleting them */
  keep: boolean;
  /** per-second lines */
  progress: boolean;
}

export const PERF_DEFAULTS: PerfOptions = {
  uri: 'amqp://guest:guest@127.0.0.1:5672',
  producers: 1,
  consumers: 1,
  queue: undefined,
  queues: 1,
  queuePrefix: 'perf',
  queueArguments: {},
  exchange: '',
  exchangeType: 'direct',
  routingKey: undefined,
  bindingsPerQueue: 1,
  size: 16,
  persistent: false,
  confirm: 0,
  priorities: 0,
  rate: 0,
  pmessages: 0,
  cmessages: 0,
  autoAck: false,
  prefetch: 0,
  multiAckEvery: 1,
  time: 10,
  warmup: 0,
  workers: 0,
  idleConnections: 0,
  heartbeat: 0,
  keep: false,
  progress: true,
};

/** Throws a readable error for combinations that cannot run. */
export function checkOptions(o: PerfOptions): void {
  const whole = (name: string, v: number, min: number): void => {
    if (!Number.isInteger(v) || v < min)
      throw new Error(`${name} must be a whole number >= ${min}, not ${v}`);
  };
  whole('producers', o.producers, 0);
  whole('consumers', o.consumers, 0);
  whole('queues', o.queues, 1);
  whole('bindings per queue', o.bindingsPerQueue, 1);
  whole('size', o.size, 0);
  whole('confirm', o.confirm, 0);
  whole('priorities', o.priorities, 0);
  whole('pmessages', o.pmessages, 0);
  whole('cmessages', o.cmessages, 0);
  whole('prefetch', o.prefetch, 0);
  whole('multi-ack-every', o.multiAckEvery, 1);
  whole('workers', o.workers, 0);
  whole('idle connections', o.idleConnections, 0);
  whole('heartbeat', o.heartbeat, 0);
  if (!(o.rate >= 0)) throw new Error(`rate must be >= 0, not ${o.rate}`);
  if (!(o.time >= 0) || !(o.warmup >= 0)) throw new Error('time and warm-up must be >= 0 seconds');
  if (o.priorities > 255) throw new Error('priorities must be at most 255');
  if (o.exchange === '' && o.exchangeType !== 'direct')
    throw new Error(`the default exchange is a direct exchange; give --exchange to use ${o.exchangeType}`);
  if (o.idleConnections > 0) return;
  if (o.producers + o.consumers === 0) throw new Error('nothing to do: no producers and no consumers');
  if (o.time === 0 && o.producers > 0 && o.pmessages === 0)
    throw new Error('give --time or --pmessages: without either the producers never stop');
  if (o.time === 0 && o.producers === 0 && o.cmessages === 0)
    throw new Error('give --time or --cmessages: without either the consumers never stop');
}
