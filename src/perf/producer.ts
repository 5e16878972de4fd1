/**
 * A producer: one connection, channel 1, writing slices of its pre-encoded template (template.ts).
 * What limits it, whichever comes first: the socket (write() returning false: wait for 'drain'), the
 * confirm window (wait for basic.ack/nack to free room), the rate (wait for the next millisecond
 * tick), or --pmessages.
 */
import { monotonicMicros } from './clock.js';
import type { ChunkSink, PerfConnection } from './connection.js';
import { STAT } from './shared-stats.js';
import type { PublishTemplate } from './template.js';
import { ID } from './wire.js';
import { FRAME_METHOD } from '../protocol/generated/methods.js';
import { ConfirmTracker } from './confirms.js';

export interface ProducerSettings {
  /** > 0: confirm window */
  confirm: number;
  /** messages per second; 0 = unlimited */
  rate: number;
  /** stop after this many; 0 = never */
  pmessages: number;
  /** called once when pmessages are published (and confirmed, with confirms) */
  onDone: () => void;
}

/** Writes per turn of the event loop before yielding, so other producers and thread messages get a turn. */
const WRITES_PER_TURN = 16;

export class Producer implements ChunkSink {
  private readonly tracker = new ConfirmTracker();
  private published = 0;
  private running = false;
  private scheduled = false;
  private waitingDrain = false;
  private startedAt = 0;
  private done = false;
  private timerPending = false;
  private readonly tick = (): void => {
    this.timerPending = false;
    this.schedule();
  };
  private readonly write = (slice: Buffer, release: () => void): boolean =>
    this.conn.socket.write(slice, release);

  constructor(
    private readonly conn: PerfConnection,
    private readonly template: PublishTemplate,
    private readonly settings: ProducerSettings,
    private readonly stats: Float64Array,
  ) {
    conn.setSink(this);
    conn.socket.on('drain', () => {
      this.waitingDrain = false;
      this.schedule();
    });
  }

  /** confirm.select (before start) */
  async enableConfirms(): Promise<void> {
    await this.conn.call(1, { kind: 'confirm.select', nowait: false }, 'confirm.select-ok');
  }

  start(): void {
    this.running = true;
    this.startedAt = monotonicMicros();
    this.schedule();
  }

  stop(): void {
    this.running = false;
  }

  close(): Promise<void> {
    this.running = false;
    return this.conn.close();
  }

  private schedule(): void {
    if (this.scheduled || !this.running) return;
    this.scheduled = true;
    setImmediate(this.pump);
  }

  private readonly pump = (): void => {
    this.scheduled = false;
    if (!this.running || this.waitingDrain || this.conn.socket.destroyed) return;
    const { confirm, rate, pmessages } = this.settings;
    for (let i = 0; i < WRITES_PER_TURN; i++) {
      let n = this.template.batch;
      if (confirm > 0) n = Math.min(n, confirm - (this.published - this.tracker.resolved));
      if (pmessages > 0) n = Math.min(n, pmessages - this.published);
      if (n <= 0) {
        this.checkDone();
        return; // window full (an ack reschedules) or all published
      }
      const now = monotonicMicros();
      if (rate > 0) {
        const allowed = Math.floor(((now - this.startedAt) / 1e6) * rate) - this.published;
        if (allowed <= 0) {
          // The next message is due within 1/rate s; timers do not fire sooner than 1 ms anyway.
          if (!this.timerPending) {
            this.timerPending = true;
            setTimeout(this.tick, 1);
          }
          return;
        }
        n = Math.min(n, allowed);
      }
      const ok = this.template.send(n, now, this.write);
      this.published += n;
      this.stats[STAT.published] = (this.stats[STAT.published] as number) + n;
      if (!ok) {
        this.waitingDrain = true;
        return;
      }
    }
    this.schedule();
  };

  private checkDone(): void {
    const { pmessages, confirm } = this.settings;
    if (this.done || pmessages === 0 || this.published < pmessages) return;
    if (confirm > 0 && this.tracker.resolved < pmessages) return;
    this.done = true;
    this.stats[STAT.producersDone] = (this.stats[STAT.producersDone] as number) + 1;
    this.settings.onDone();
  }

  onFrame(type: number, channel: number, payload: Buffer): void {
    if (type === FRAME_METHOD && payload.length >= 13) {
      const id = payload.readUInt32BE(0);
      if (id === ID.basicAck || id === ID.basicNack) {
        const tag = payload.readUInt32BE(4) * 0x100000000 + payload.readUInt32BE(8);
        const multiple = ((payload[12] as number) & 1) !== 0;
        const nack = id === ID.basicNack;
        const before = this.tracker.resolved;
        const err = this.tracker.resolve(tag, multiple, nack, this.published);
        if (err) {
          this.conn.onError(new Error(`broker sent ${err}`));
          return;
        }
        const n = this.tracker.resolved - before;
        this.stats[nack ? STAT.nacked : STAT.confirmed] =
          (this.stats[nack ? STAT.nacked : STAT.confirmed] as number) + n;
        this.checkDone();
        this.schedule();
        return;
      }
    }
    this.conn.control(type, channel, payload);
  }
}
