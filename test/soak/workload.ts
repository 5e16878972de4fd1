/**
 * The soak's clients. Publishers (each on its own connection) send numbered messages of mixed sizes
 * at a shared, adjustable rate: persistent ones with confirms to a durable queue, transient ones
 * without confirms to a transient queue, and persistent ones through a fanout exchange to two durable
 * queues. Consumers (manual acks, prefetch windows of different sizes) feed every delivery to the
 * stream checker, and can be killed (their TCP connection cut, as a crashed client's) and reconnected.
 */
import amqp from 'amqplib';
import type { Channel, ChannelModel, ConfirmChannel } from 'amqplib';
import { encodeBody, decodeBody, type Streams } from './streams.js';

export interface Route {
  exchange: string;
  routingKey: string;
  /** the queues a message lands in */
  queues: string[];
  persistent: boolean;
  confirm: boolean;
}

export const FANOUT = 'soak.fanout';
export const ROUTES: Route[] = [
  { exchange: '', routingKey: 'soak.durable', queues: ['soak.durable'], persistent: true, confirm: true },
  { exchange: '', routingKey: 'soak.durable', queues: ['soak.durable'], persistent: true, confirm: true },
  {
    exchange: '',
    routingKey: 'soak.transient',
    queues: ['soak.transient'],
    persistent: false,
    confirm: false,
  },
  { exchange: FANOUT, routingKey: '', queues: ['soak.fan.a', 'soak.fan.b'], persistent: true, confirm: true },
];

/** Declares the queues and the exchange the routes need. */
export async function declareTopology(url: string): Promise<void> {
  const c = await amqp.connect(url);
  const ch = await c.createChannel();
  for (const q of ['soak.durable', 'soak.fan.a', 'soak.fan.b']) await ch.assertQueue(q, { durable: true });
  await ch.assertQueue('soak.transient', { durable: false });
  await ch.assertExchange(FANOUT, 'fanout', { durable: true });
  for (const q of ['soak.fan.a', 'soak.fan.b']) await ch.bindQueue(q, FANOUT, '');
  await c.close();
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Mostly small bodies, some of a few KiB, a few of 16 KiB. */
function bodySize(rand: () => number): number {
  const r = rand();
  return r < 0.7 ? 64 + Math.floor(rand() * 512) : r < 0.97 ? 1024 + Math.floor(rand() * 4096) : 16 * 1024;
}

/** Resolves on the channel's 'drain' or 'close', whichever comes first, leaving no listener behind. */
function drainOrClose(ch: Channel): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      ch.off('drain', done);
      ch.off('close', done);
      resolve();
    };
    ch.on('drain', done);
    ch.on('close', done);
  });
}

export class Publisher {
  sent = 0;
  failed: string | undefined;
  private stopped = false;
  private loop: Promise<void> | undefined;
  private conn: ChannelModel | undefined;

  constructor(
    readonly id: number,
    readonly route: Route,
    private readonly rand: () => number,
    /** messages per second this publisher should send right now (Infinity: as fast as it can) */
    private readonly rate: () => number,
  ) {}

  async start(url: string): Promise<void> {
    this.conn = await amqp.connect(url);
    this.conn.on('error', () => {});
    this.conn.on('close', () => {
      if (!this.stopped) this.failed ??= `publisher ${this.id} lost its connection`;
    });
    const ch = this.route.confirm ? await this.conn.createConfirmChannel() : await this.conn.createChannel();
    this.loop = this.run(ch);
  }

  private async run(ch: Channel | ConfirmChannel): Promise<void> {
    let outstanding = 0;
    let allowance = 0;
    let last = performance.now();
    while (!this.stopped && this.failed === undefined) {
      const now = performance.now();
      allowance = Math.min(allowance + ((now - last) / 1000) * this.rate(), 500);
      last = now;
      if (allowance < 1 || outstanding > 1000) {
        await sleep(5);
        continue;
      }
      allowance--;
      const body = encodeBody(this.id, this.sent++, bodySize(this.rand));
      const options = { persistent: this.route.persistent };
      let ok: boolean;
      if (this.route.confirm) {
        outstanding++;
        ok = (ch as ConfirmChannel).publish(
          this.route.exchange,
          this.route.routingKey,
          body,
          options,
          (err) => {
            outstanding--;
            if (err) this.failed ??= `publisher ${this.id}: message ${this.sent} nacked`;
          },
        );
      } else {
        ok = ch.publish(this.route.exchange, this.route.routingKey, body, options);
      }
      if (!ok) await drainOrClose(ch);
      if (this.sent % 100 === 0) await new Promise((r) => setImmediate(r));
    }
    if (this.route.confirm && this.failed === undefined) await (ch as ConfirmChannel).waitForConfirms();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.loop;
    await this.conn?.close();
  }
}

export class Consumer {
  delivered = 0;
  /** deliveries marked redelivered */
  redelivered = 0;
  kills = 0;
  private conn: ChannelModel | undefined;
  private stopped = false;

  constructor(
    private readonly url: string,
    readonly queue: string,
    private readonly prefetch: number,
    private readonly streams: Streams,
  ) {}

  async start(): Promise<void> {
    const conn = await amqp.connect(this.url);
    conn.on('error', () => {});
    this.conn = conn;
    const ch = await conn.createChannel();
    ch.on('error', () => {});
    await ch.prefetch(this.prefetch);
    await ch.consume(this.queue, (m) => {
      if (!m || this.conn !== conn) return;
      const { publisher, seq } = decodeBody(m.content);
      this.streams.get(this.queue, publisher).arrived(seq, m.fields.redelivered);
      this.delivered++;
      if (m.fields.redelivered) this.redelivered++;
      ch.ack(m);
    });
  }

  /** Cuts the TCP connection, as a crashed consumer would, and reconnects after `pauseMs`. */
  async kill(pauseMs: number): Promise<void> {
    const conn = this.conn;
    this.conn = undefined;
    this.kills++;
    // amqplib has no public way to drop the socket without a connection.close handshake.
    (
      conn as unknown as { connection?: { stream?: { destroy(): void } } } | undefined
    )?.connection?.stream?.destroy();
    await sleep(pauseMs);
    if (!this.stopped) await this.start();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.conn?.close().catch(() => {});
  }
}
