/**
 * Shared by the hostile-client tests: one in-process broker per describe block, raw clients that are
 * destroyed after every test, a check that the broker let go of every connection a test opened, and a
 * bystander: an ordinary amqplib client that keeps publishing and getting messages while a hostile
 * client does its worst, so "every other client keeps being served" is measured during the attack,
 * not only after it.
 */
import assert from 'node:assert/strict';
import { after, afterEach, before } from 'node:test';
import amqp from 'amqplib';
import type { ChannelModel } from 'amqplib';
import type { WarrenOptions } from '../../src/index.js';
import { SOCKET_OPTIONS, watch } from '../helpers/amqp.js';
import { startBroker, type TestBroker } from '../helpers/broker.js';
import { RawClient, type HandshakeOptions } from '../helpers/raw-client.js';
import { WAIT_MS, waitFor, withTimeout } from '../helpers/wait.js';

export const SKIP = process.env['WARREN_TEST_URL']
  ? 'hostile-client tests inspect the in-process Warren'
  : false;

export interface HostileHarness {
  readonly broker: TestBroker;
  /** a TCP connection only: nothing sent */
  connect(): Promise<RawClient>;
  /** a raw client past connection.open-ok */
  open(options?: HandshakeOptions): Promise<RawClient>;
  /** an amqplib connection, closed after the test */
  amqplib(): Promise<ChannelModel>;
  /** a fresh amqplib client can declare, publish and get */
  serves(): Promise<void>;
}

export function useHostileBroker(options: Partial<WarrenOptions> = {}): HostileHarness {
  let broker: TestBroker | undefined;
  let clients: RawClient[] = [];
  let models: ChannelModel[] = [];
  before(async () => {
    broker = await startBroker({ heartbeat: 0, managementPort: false, prometheusPort: false, ...options });
    assert.equal(broker.external, false);
  });
  after(async () => {
    await broker?.close();
  });
  afterEach(async () => {
    for (const c of clients) c.destroy();
    clients = [];
    for (const m of models) await withTimeout(m.close(), WAIT_MS, 'amqplib close').catch(() => {});
    models = [];
    const live = h.broker.warren?.broker.connections;
    assert.ok(live);
    await waitFor(() => live.size === 0, WAIT_MS, 'the broker to release every connection of the test');
  });
  const h: HostileHarness = {
    get broker(): TestBroker {
      assert.ok(broker, 'broker not started');
      return broker;
    },
    async connect() {
      const c = await RawClient.connect(h.broker.port, h.broker.host);
      clients.push(c);
      return c;
    },
    async open(options = {}) {
      const c = await h.connect();
      await c.handshake(options);
      return c;
    },
    async amqplib() {
      const m = watch(await amqp.connect(h.broker.url, SOCKET_OPTIONS));
      models.push(m);
      return m;
    },
    serves: () => assertServes(h.broker.url),
  };
  return h;
}

/** A fresh amqplib client connects, declares a queue, publishes and gets its message back. */
export async function assertServes(url: string): Promise<void> {
  const conn = watch(await withTimeout(amqp.connect(url, SOCKET_OPTIONS), WAIT_MS, 'amqplib connect'));
  try {
    const ch = watch(await conn.createChannel());
    const { queue } = await ch.assertQueue('', { exclusive: true });
    ch.sendToQueue(queue, Buffer.from(queue));
    let got: string | undefined;
    await waitFor(
      async () => {
        const m = await ch.get(queue, { noAck: true });
        if (m !== false) got = m.content.toString();
        return m !== false;
      },
      WAIT_MS,
      'the message published by a fresh client',
    );
    assert.equal(got, queue);
  } finally {
    await withTimeout(conn.close(), WAIT_MS, 'amqplib close');
  }
}

export interface BystanderReport {
  /** publish-then-get round trips completed */
  roundTrips: number;
  /** the slowest one, ms */
  worstMs: number;
}

/**
 * Runs `attack` while an amqplib client round-trips a message through its own queue in a loop.
 * Resolves with what the bystander saw; the caller asserts on it.
 */
export async function withBystander(url: string, attack: () => Promise<void>): Promise<BystanderReport> {
  const conn = watch(await amqp.connect(url, SOCKET_OPTIONS));
  const ch = watch(await conn.createChannel());
  const { queue } = await ch.assertQueue('', { exclusive: true });
  const report: BystanderReport = { roundTrips: 0, worstMs: 0 };
  let stop = false;
  const loop = (async () => {
    while (!stop) {
      const t0 = performance.now();
      ch.sendToQueue(queue, Buffer.from('ping'));
      for (;;) {
        const m = await ch.get(queue, { noAck: true });
        if (m !== false) break;
      }
      report.worstMs = Math.max(report.worstMs, performance.now() - t0);
      report.roundTrips++;
      await new Promise((r) => setTimeout(r, 10));
    }
  })();
  try {
    await attack();
  } finally {
    stop = true;
    await withTimeout(loop, WAIT_MS, 'the bystander loop');
    await withTimeout(conn.close(), WAIT_MS, 'bystander close');
  }
  return report;
}

/** Growth of Buffer memory (ArrayBuffers) and JS heap over `fn`, sampled every few ms, in bytes. */
export async function peakGrowth(fn: () => Promise<void>): Promise<number> {
  const base = (): number => {
    const m = process.memoryUsage();
    return m.arrayBuffers + m.heapUsed;
  };
  const start = base();
  let peak = start;
  const timer = setInterval(() => (peak = Math.max(peak, base())), 5);
  try {
    await fn();
  } finally {
    clearInterval(timer);
  }
  return Math.max(peak, base()) - start;
}

/** A u32 length prefix followed by `bytes`. */
function sized(bytes: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(bytes.length);
  return Buffer.concat([len, bytes]);
}

/**
 * A field table, length prefix included, whose key "a" holds `depth` levels of nesting: tables inside
 * tables ('F'), or arrays inside arrays ('A').
 */
export function nestedTable(depth: number, type: 'F' | 'A' = 'F'): Buffer {
  let value = Buffer.concat([Buffer.from(type), Buffer.alloc(4)]); // the innermost: empty
  for (let i = 1; i < depth; i++) {
    const inner = type === 'F' ? Buffer.concat([Buffer.from([1, 0x61]), value]) : value;
    value = Buffer.concat([Buffer.from(type), sized(inner)]);
  }
  return sized(Buffer.concat([Buffer.from([1, 0x61]), value]));
}
