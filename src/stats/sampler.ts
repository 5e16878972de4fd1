/**
 * Message rates, as RabbitMQ's management plugin shows them (`publish_details: {rate: 12.4}`): every
 * 5 seconds (RabbitMQ's collect_statistics_interval) the sampler reads the counters of every queue,
 * exchange, channel, connection and vhost and of the node, and keeps for each object its last
 * values and the per-second rate since the sample before. The counters themselves are plain fields
 * bumped on the hot path (counters.ts); all the work of rates happens here, off it, on an unref'd
 * timer, so it never keeps a process alive.
 *
 * Samples are held in a WeakMap keyed by the object: a deleted queue or a closed channel is simply
 * forgotten with its object. Rates of counters are never negative; rates of gauges (queue depths)
 * may be, as in RabbitMQ.
 */
import type { Broker, ConnectionInfo } from '../core/broker.js';
import { nodeMessageStats, queueTotals, vhostMessageStats, vhostTraffic } from './totals.js';

export const SAMPLE_INTERVAL_MS = 5000;

type Values = Record<string, number>;

interface Sample {
  at: number;
  values: Values;
  rates: Values;
}

const NO_RATES: Values = {};

export class StatsSampler {
  private readonly samples = new WeakMap<object, Sample>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly broker: Broker,
    readonly intervalMs = SAMPLE_INTERVAL_MS,
  ) {}

  start(): void {
    if (this.timer) return;
    this.sample();
    this.timer = setInterval(() => this.sample(), this.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Takes one sample of everything now (the timer calls this; tests may too). */
  sample(now = Date.now()): void {
    const b = this.broker;
    const all = queueTotals(b.vhosts.values());
    for (const v of b.vhosts.values()) {
      for (const q of v.queues.values()) {
        this.record(q, now, q.stats, {
          messages: q.messageCount + q.unackedCount,
          messagesReady: q.messageCount,
          messagesUnacknowledged: q.unackedCount,
        });
      }
      for (const e of v.exchanges.values()) this.record(e, now, e.stats);
      const t = queueTotals([v]);
      const traffic = vhostTraffic(b, v.name);
      this.record(v, now, { ...vhostMessageStats(b, v), ...traffic }, { ...t });
    }
    for (const c of b.connections.values()) {
      this.record(c, now, connectionTraffic(c));
      for (const ch of c.channelInfos()) this.record(ch, now, ch.stats);
    }
    this.record(b, now, nodeMessageStats(b), { ...all });
    this.record(b.churn, now, b.churn);
  }

  /**
   * The per-second rates of an object's counters over the last interval, by counter name (camelCase,
   * as in counters.ts); empty before the object was sampled, 0 after its first sample.
   */
  rates(obj: object): Readonly<Values> {
    return this.samples.get(obj)?.rates ?? NO_RATES;
  }

  private record(obj: object, now: number, counters: object, gauges?: Values): void {
    const prev = this.samples.get(obj);
    const values: Values = { ...(counters as Values), ...gauges };
    const rates: Values = {};
    const dt = prev ? (now - prev.at) / 1000 : 0;
    for (const k of Object.keys(values)) {
      const before = prev?.values[k];
      if (before === undefined || dt <= 0) {
        rates[k] = 0;
        continue;
      }
      const r = ((values[k] as number) - before) / dt;
      rates[k] = gauges && k in gauges ? round(r) : Math.max(0, round(r));
    }
    this.samples.set(obj, { at: now, values, rates });
  }
}

function round(r: number): number {
  return Math.round(r * 10) / 10;
}

/** A connection's traffic counters under RabbitMQ's names, camelCased. */
export function connectionTraffic(c: ConnectionInfo): Values {
  return { recvOct: c.bytesIn, recvCnt: c.reads, sendOct: c.bytesOut, sendCnt: c.writes };
}
