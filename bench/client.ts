/**
 * A benchmark client process: one publisher or one consumer, forked by bench/run.ts with its
 * configuration (a ClientConfig as JSON) as the only argument. Running each client in its own process
 * keeps it off the runner's and the other client's event loop, heap and GC, lets the OS put it on its
 * own core, and makes its CPU use measurable on its own.
 *
 * It answers 'mark' with its message count, a monotonic timestamp and its CPU time, so the runner
 * computes rates over exactly the measured window.
 */
import { connect, type Channel, type ChannelModel, type ConsumeMessage } from 'amqplib';
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import { BacklogLimit } from './backlog.js';
import type {
  ClientConfig,
  ConsumerConfig,
  FromClient,
  Mark,
  PublisherConfig,
  ToClient,
} from './messages.js';
import { openRawPublisher } from './raw-publisher.js';

function send(msg: FromClient): void {
  if (process.connected) process.send?.(msg, undefined, undefined, () => {});
}

let failed = false;

/** Reports the error to the runner and exits once the report has left. */
function fail(err: unknown): void {
  if (failed) return;
  failed = true;
  const message = err instanceof Error ? err.message : String(err);
  if (!process.send) {
    console.error(message);
    process.exit(1);
  }
  process.send({ type: 'error', message } satisfies FromClient, () => process.exit(1));
}

interface Client {
  readonly count: number;
  /** publisher with confirms: publishes acked / nacked by the broker */
  readonly confirmed: number;
  readonly nacked: number;
  go(): void;
  stop(): Promise<void>;
  /** consumer: report 'done' once `count` messages have arrived */
  doneAt?(count: number): void;
}

function mark(client: Client): Mark {
  const cpu = process.cpuUsage();
  return {
    count: client.count,
    hrtime: process.hrtime.bigint().toString(),
    cpuMicros: cpu.user + cpu.system,
    confirmed: client.confirmed,
    nacked: client.nacked,
  };
}

/** The publisher's backlog limit (a no-op unless --max-backlog was given). */
let limit = new BacklogLimit(0);

/** Closes an amqplib connection, giving up after a timeout (e.g. when the socket is backed up). */
async function closeModel(model: ChannelModel, timeoutMs = 2000): Promise<void> {
  await Promise.race([model.close().catch(() => {}), new Promise((r) => setTimeout(r, timeoutMs))]);
}

async function openModel(url: string): Promise<{ model: ChannelModel; channel: Channel }> {
  const model = await connect(url);
  let closing = false;
  model.on('error', (err: Error) => fail(err));
  model.on('close', () => {
    if (!closing) fail(new Error('connection closed by the broker'));
  });
  const channel = await model.createChannel();
  channel.on('error', (err: Error) => fail(err));
  const close = model.close.bind(model);
  model.close = () => {
    closing = true;
    return close();
  };
  return { model, channel };
}

async function amqplibPublisher(cfg: PublisherConfig, body: Buffer): Promise<Client> {
  // The runner refuses these combinations; this is the backstop.
  if (cfg.persistent || cfg.confirmWindow > 0 || cfg.total > 0 || cfg.priorities > 0)
    throw new Error('persistent messages, priorities, confirms and a message total need the raw publisher');
  const { model, channel } = await openModel(cfg.url);
  let count = 0;
  let running = false;
  let loop: Promise<void> = Promise.resolve();

  async function run(): Promise<void> {
    while (running) {
      // publish() returns false once the channel's write buffer is over its high-water mark: the
      // message is still taken, but we wait for 'drain' before sending more. Yield to the event loop
      // regularly even when it never fills, so that IPC (mark/stop) gets handled.
      for (let i = 0; i < 1000 && running; i++) {
        if (limit.blocked(count)) {
          await limit.wait(count);
          break;
        }
        count++;
        if (!channel.publish('', cfg.queue, body)) {
          await new Promise<void>((resolve) => channel.once('drain', resolve));
          break;
        }
      }
      await yieldToLoop();
    }
  }

  return {
    get count() {
      return count;
    },
    confirmed: 0,
    nacked: 0,
    go() {
      running = true;
      loop = run().catch(fail);
    },
    async stop() {
      running = false;
      limit.release();
      await Promise.race([loop, new Promise((r) => setTimeout(r, 2000))]);
      await closeModel(model);
    },
  };
}

async function rawPublisher(cfg: PublisherConfig, body: Buffer): Promise<Client> {
  const pub = await openRawPublisher(
    cfg.url,
    cfg.queue,
    body,
    limit,
    {
      persistent: cfg.persistent,
      priorities: cfg.priorities,
      confirmWindow: cfg.confirmWindow,
      total: cfg.total,
      onDone: () => send({ type: 'done', ...mark(client) }),
    },
    fail,
  );
  const client: Client = {
    get count() {
      return pub.count;
    },
    get confirmed() {
      return pub.confirmed;
    },
    get nacked() {
      return pub.nacked;
    },
    go: () => pub.start(),
    stop: () => pub.stop(),
  };
  return client;
}

async function consumer(cfg: ConsumerConfig): Promise<Client> {
  const { model, channel } = await openModel(cfg.url);
  let count = 0;
  if (!cfg.noAck && cfg.prefetch > 0) await channel.prefetch(cfg.prefetch);
  const ackEvery = Math.max(1, cfg.ackEvery);
  /** 'done-at' target: 0 = none (or already reported) */
  let target = 0;
  let last: ConsumeMessage | undefined;
  const reachedTarget = (): void => {
    target = 0;
    // Ack the tail that the every-N acks left over, so the queue ends empty of unacked messages too.
    if (!cfg.noAck && last !== undefined && count % ackEvery !== 0) channel.ack(last, true);
    send({ type: 'done', ...mark(client) });
  };
  const subscribe = async (): Promise<void> => {
    await channel.consume(
      cfg.queue,
      (msg) => {
        if (msg === null) {
          fail(new Error('consumer cancelled by the broker'));
          return;
        }
        count++;
        last = msg;
        if (!cfg.noAck && count % ackEvery === 0) channel.ack(msg, true);
        if (target > 0 && count >= target) reachedTarget();
      },
      { noAck: cfg.noAck },
    );
  };
  if (!cfg.consumeOnGo) await subscribe();
  let lastReported = -1;
  const progress =
    cfg.progressMs > 0
      ? setInterval(() => {
          if (count !== lastReported) send({ type: 'progress', count: (lastReported = count) });
        }, cfg.progressMs)
      : undefined;
  const client: Client = {
    get count() {
      return count;
    },
    confirmed: 0,
    nacked: 0,
    go() {
      if (cfg.consumeOnGo) subscribe().catch(fail);
    },
    async stop() {
      clearInterval(progress);
      await closeModel(model);
    },
    doneAt(n) {
      target = n;
      if (count >= n) reachedTarget();
    },
  };
  return client;
}

async function main(): Promise<void> {
  const arg = process.argv[2];
  if (arg === undefined || !process.send) throw new Error('bench/client.js is started by bench/run.js');
  const cfg = JSON.parse(arg) as ClientConfig;
  let client: Client;
  if (cfg.role === 'consumer') client = await consumer(cfg);
  else {
    limit = new BacklogLimit(cfg.maxBacklog);
    const body = Buffer.alloc(cfg.size, 0x61);
    client = cfg.impl === 'raw' ? await rawPublisher(cfg, body) : await amqplibPublisher(cfg, body);
  }
  let stopping = false;
  // The runner went away without saying stop (crashed, killed): do not keep loading the broker.
  process.on('disconnect', () => {
    if (!stopping) process.exit(1);
  });
  process.on('message', (msg: ToClient) => {
    if (msg.type === 'consumed') limit.update(msg.count);
    else if (msg.type === 'go') client.go();
    else if (msg.type === 'mark') send({ type: 'mark', ...mark(client) });
    else if (msg.type === 'done-at') client.doneAt?.(msg.count);
    else if (msg.type === 'stop') {
      stopping = true;
      const final = mark(client);
      client
        .stop()
        .catch(() => {})
        .finally(() => {
          const msg: FromClient = { type: 'stopped', ...final };
          // Disconnect once the reply has been written; then nothing keeps the process alive and it
          // exits normally (not process.exit), so that --cpu-prof gets written.
          if (process.connected) process.send?.(msg, undefined, undefined, () => process.disconnect());
          setTimeout(() => process.exit(0), 2000).unref();
        });
    }
  });
  send({ type: 'ready' });
}

main().catch(fail);
