/**
 * The consumer timeout: a delivery left unacknowledged for longer than `consumer_timeout` (broker-wide,
 * or a queue's own `x-consumer-timeout` / policy `consumer-timeout`, which replaces it) closes its
 * channel with 406 PRECONDITION_FAILED; closing the channel requeues everything it held.
 *
 * Cost on the hot path: a delivery is stamped with a clock read once per event-loop task (not per
 * message), and one comparison decides whether the channel's single timer must move earlier. No timer
 * is started per delivery. The timer fires at the earliest deadline among the channel's unacked
 * deliveries (RabbitMQ looks only at the oldest, once a minute), so a timeout is noticed within a
 * millisecond or two of its deadline; because a stamp can be up to one task older than the delivery
 * it marks, it may also fire that much early. While deliveries are outstanding the timer wakes at
 * least once a minute, so a policy that changes a queue's timeout is seen within a minute, as in
 * RabbitMQ.
 */
import { performance } from 'node:perf_hooks';
import type { Queue } from '../core/queue/queue.js';
import { preconditionFailed, type AmqpError } from '../protocol/errors.js';

/** What the timer needs to know of one unacked delivery. */
export interface Stamped {
  readonly queue: Queue;
  /** when it was delivered, in `clock()` milliseconds */
  readonly at: number;
}

/** Longest sleep while deliveries are outstanding: how soon a changed policy takes effect. */
const RECHECK_MS = 60_000;

let now = 0;
let fresh = false;
const stale = (): void => {
  fresh = false;
};

/** Monotonic milliseconds, read at most once per task: every delivery of one batch shares a stamp. */
export function clock(): number {
  if (!fresh) {
    now = performance.now();
    fresh = true;
    queueMicrotask(stale);
  }
  return now;
}

/** RabbitMQ's reply text for a channel closed by the consumer timeout. */
export function consumerTimedOut(channel: number, timeoutMs: number): AmqpError {
  return preconditionFailed(
    `delivery acknowledgement on channel ${channel} timed out. Timeout value used: ${timeoutMs} ms. ` +
      'This timeout value can be configured, see consumers doc guide to learn more',
  );
}

/** One channel's watch over its unacked deliveries. */
export class ConsumerTimeout {
  private readonly deliveries: ReadonlyMap<number, Stamped>;
  /** broker-wide consumer_timeout in ms; undefined = off (a queue may still set its own) */
  private readonly defaultMs: number | undefined;
  private readonly expired: (timeoutMs: number) => void;
  private timer: NodeJS.Timeout | undefined;
  /** when the timer fires; Infinity while none is set */
  private wakeAt = Infinity;

  constructor(
    deliveries: ReadonlyMap<number, Stamped>,
    defaultMs: number | undefined,
    expired: (timeoutMs: number) => void,
  ) {
    this.deliveries = deliveries;
    this.defaultMs = defaultMs;
    this.expired = expired;
  }

  private limitFor(queue: Queue): number | undefined {
    return queue.settings.consumerTimeout ?? this.defaultMs;
  }

  /**
   * A delivery joined the unacked set: make sure the timer fires by its deadline, or within a minute
   * (a policy may give its queue a timeout, or a shorter one, meanwhile).
   */
  watch(d: Stamped): void {
    const limit = this.limitFor(d.queue);
    const wake = d.at + (limit !== undefined && limit < RECHECK_MS ? limit : RECHECK_MS);
    if (wake < this.wakeAt) this.arm(wake);
  }

  /** Nothing is outstanding any more (channel closed, recover): the timer is not needed. */
  reset(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.wakeAt = Infinity;
  }

  private arm(at: number): void {
    if (this.timer) clearTimeout(this.timer);
    this.wakeAt = at;
    // +1: timers may fire a fraction of a millisecond before the monotonic clock reaches `at`.
    this.timer = setTimeout(() => this.check(), Math.max(0, Math.ceil(at - performance.now())) + 1);
    this.timer.unref();
  }

  private check(): void {
    this.timer = undefined;
    this.wakeAt = Infinity;
    const t = performance.now();
    let next = Infinity;
    for (const d of this.deliveries.values()) {
      const limit = this.limitFor(d.queue);
      if (limit === undefined) continue;
      // RabbitMQ's test: strictly more than the timeout has passed since the delivery.
      if (t - d.at > limit) {
        this.expired(limit);
        return;
      }
      next = Math.min(next, d.at + limit);
    }
    if (this.deliveries.size > 0) this.arm(Math.min(next, t + RECHECK_MS));
  }
}
