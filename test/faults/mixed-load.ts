/**
 * The load a crash loop kills the broker under: publishers with confirms, consumers that ack (and
 * sometimes nack back into the queue) and prove their acks durable with a confirmed marker publish,
 * and a client declaring and deleting durable exchanges, queues and bindings. Every promise the broker
 * makes to these clients goes into the Ledger; every error after the kill is expected and ignored.
 */
import amqp from 'amqplib';
import type { Channel, ChannelModel, ConfirmChannel } from 'amqplib';
import type { Ledger } from './ledger.js';

export const WORK_QUEUES = ['crashloop.work.0', 'crashloop.work.1'] as const;
/** where consumers publish the marker whose confirm proves their earlier acks are on disk */
export const MARKERS = 'crashloop.markers';
/** unconfirmed publishes one channel may have before it waits */
const WINDOW = 1000;
/** acks between two markers */
const ACKS_PER_MARKER = 50;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export interface LoadCounts {
  published: number;
  confirmed: number;
  acked: number;
  declared: number;
  deleted: number;
}

export class MixedLoad {
  readonly counts: LoadCounts = { published: 0, confirmed: 0, acked: 0, declared: 0, deleted: 0 };
  /** reply codes of the connection.close each connection got from the broker, if any */
  readonly closeCodes: number[] = [];
  private stopped = false;
  private readonly connections: ChannelModel[] = [];
  private readonly loops: Promise<void>[] = [];

  constructor(
    private readonly url: string,
    private readonly ledger: Ledger,
    private readonly rand: () => number,
    private readonly nextId: () => number,
    /** entity names continue from here across rounds, so no name is ever reused */
    private entityBase: { next: number },
  ) {}

  private async connect(): Promise<ChannelModel> {
    const c = await amqp.connect(this.url);
    c.on('error', () => {});
    // amqplib reports a connection.close from the broker as the 'close' event's error, with its code.
    c.on('close', (e?: { code?: number }) => {
      if (typeof e?.code === 'number') this.closeCodes.push(e.code);
    });
    this.connections.push(c);
    return c;
  }

  get connectionCount(): number {
    return this.connections.length;
  }

  async start(): Promise<void> {
    const pub = await this.connect();
    for (const queue of WORK_QUEUES) {
      const ch = await pub.createConfirmChannel();
      ch.on('error', () => {});
      this.loops.push(this.publishing(ch, queue).catch(() => {}));
    }
    const cons = await this.connect();
    for (const queue of WORK_QUEUES) {
      const ch = await cons.createConfirmChannel();
      ch.on('error', () => {});
      await this.consuming(ch, queue);
    }
    const defs = await this.connect();
    const ch = await defs.createChannel();
    ch.on('error', () => {});
    this.loops.push(this.churning(ch).catch(() => {}));
  }

  /** Ends the load (after the kill): the loops see their connections gone. */
  async stop(): Promise<void> {
    this.stopped = true;
    // The broker is gone, so these fail fast; they only make sure no socket is left behind.
    await Promise.all(this.connections.map((c) => c.close().catch(() => {})));
    await Promise.all(this.loops);
  }

  private async publishing(ch: ConfirmChannel, queue: string): Promise<void> {
    let outstanding = 0;
    let closed = false;
    ch.on('close', () => (closed = true));
    while (!this.stopped && !closed) {
      const id = this.nextId();
      outstanding++;
      this.counts.published++;
      const ok = ch.publish('', queue, Buffer.from(String(id)), { persistent: true }, (err) => {
        outstanding--;
        if (err) return;
        this.ledger.confirmed.add(id);
        this.counts.confirmed++;
      });
      if (!ok) await new Promise((r) => (ch.once('drain', r), ch.once('close', r)));
      while (outstanding > WINDOW && !this.stopped && !closed) await sleep(1);
      if (id % 64 === 0) await new Promise((r) => setImmediate(r));
    }
  }

  private async consuming(ch: ConfirmChannel, queue: string): Promise<void> {
    await ch.prefetch(100);
    let pending: number[] = [];
    await ch.consume(queue, (m) => {
      if (!m || this.stopped) return;
      const id = Number(m.content.toString());
      if (this.rand() < 0.03) {
        ch.nack(m, false, true);
        return;
      }
      ch.ack(m);
      this.ledger.ackSent(id);
      this.counts.acked++;
      pending.push(id);
      if (pending.length >= ACKS_PER_MARKER) {
        const proven = pending;
        pending = [];
        // Frames of one channel are handled in order, and a confirm waits for everything the store
        // buffered before it: this confirm proves the acks above are on disk.
        ch.publish('', MARKERS, Buffer.from('marker'), { persistent: true }, (err) => {
          if (!err) this.ledger.acksDurable(proven);
        });
      }
    });
  }

  private async churning(ch: Channel): Promise<void> {
    const live: number[] = [];
    let closed = false;
    ch.on('close', () => (closed = true));
    while (!this.stopped && !closed) {
      if (live.length < 10 || this.rand() < 0.6) {
        const k = this.entityBase.next++;
        const x = `crashloop.x.${k}`;
        const q = `crashloop.q.${k}`;
        this.ledger.uncertain.add(x);
        await ch.assertExchange(x, 'direct', { durable: true, autoDelete: false });
        this.ledger.declared(x, 'exchange');
        this.ledger.uncertain.add(q);
        await ch.assertQueue(q, { durable: true, arguments: { 'x-max-length': 100 } });
        this.ledger.declared(q, 'queue');
        await ch.bindQueue(q, x, `key.${k}`);
        this.ledger.bindings.set(x, [q, `key.${k}`]);
        this.counts.declared++;
        live.push(k);
      } else {
        const k = live.splice(Math.floor(this.rand() * live.length), 1)[0] as number;
        for (const [name, del] of [
          [`crashloop.q.${k}`, () => ch.deleteQueue(`crashloop.q.${k}`)],
          [`crashloop.x.${k}`, () => ch.deleteExchange(`crashloop.x.${k}`)],
        ] as const) {
          this.ledger.uncertain.add(name);
          await del();
          this.ledger.deletedOk(name);
        }
        this.counts.deleted++;
      }
      await sleep(2 + this.rand() * 10);
    }
  }
}
