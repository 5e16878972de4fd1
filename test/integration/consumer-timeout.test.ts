/**
 * The consumer timeout: a delivery left unacknowledged too long closes its channel with 406 and
 * RabbitMQ's text, and its message goes back to the queue for another consumer. Broker-wide
 * (`consumerTimeoutMs`) and per queue (`x-consumer-timeout`, which replaces the broker-wide value).
 *
 * Against RabbitMQ (WARREN_TEST_URL) most of this cannot run: its timeout is 30 minutes unless the
 * server is configured otherwise, it checks only once a minute, and 3.10 has no x-consumer-timeout
 * (3.12+). Those tests skip there; the ones that show nothing happening too early still run.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, test, type TestContext } from 'node:test';
import { fileURLToPath } from 'node:url';
import amqp from 'amqplib';
import type { Channel, ConsumeMessage, Message } from 'amqplib';
import {
  REPLY,
  assertReply,
  channelNumber,
  closedWithError,
  isClosed,
  publishConfirmed,
  useBroker,
  watch,
  type Harness,
} from '../helpers/amqp.js';
import { uniqueName } from '../helpers/broker.js';
import { waitFor, withTimeout } from '../helpers/wait.js';

const TIMEOUT_MS = 300;

const timedOutText = (channel: number, ms: number): string =>
  `PRECONDITION_FAILED - delivery acknowledgement on channel ${channel} timed out. Timeout value used: ${ms} ms. ` +
  'This timeout value can be configured, see consumers doc guide to learn more';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function skipOnRabbitMQ(h: Harness, t: TestContext, why: string): boolean {
  if (!h.broker.external) return false;
  t.skip(why);
  return true;
}

/** Collects deliveries of one consumer. */
async function consume(ch: Channel, queue: string, noAck = false): Promise<ConsumeMessage[]> {
  const got: ConsumeMessage[] = [];
  await ch.consume(queue, (m) => m && got.push(m), { noAck });
  return got;
}

async function publish(h: Harness, queue: string, ...bodies: string[]): Promise<void> {
  const ch = await h.confirmChannel();
  for (const b of bodies) await publishConfirmed(ch, '', queue, b);
  await ch.close();
}

describe('consumer timeout, broker-wide', () => {
  const h = useBroker({ consumerTimeoutMs: TIMEOUT_MS });
  const why = 'RabbitMQ runs with its 30-minute default here';

  test('an unacked delivery closes its channel with 406 and is redelivered to another consumer', async (t) => {
    if (skipOnRabbitMQ(h, t, why)) return;
    const q = await h.queue();
    const slow = await h.channel(await h.connect());
    const got = await consume(slow, q);
    await publish(h, q, 'forgotten');
    await waitFor(() => got.length === 1);
    const deliveredAt = Date.now();

    const err = await closedWithError(slow);
    const waited = Date.now() - deliveredAt;
    assertReply(err, REPLY.PRECONDITION_FAILED, timedOutText(channelNumber(slow), TIMEOUT_MS));
    assert.ok(waited >= TIMEOUT_MS - 20, `closed after ${waited} ms`);
    assert.ok(waited < TIMEOUT_MS + 1000, `closed only after ${waited} ms`);

    const rescuer = await h.channel(await h.connect());
    const again = await consume(rescuer, q, true);
    await waitFor(() => again.length === 1);
    assert.equal(again[0]?.content.toString(), 'forgotten');
    assert.equal(again[0]?.fields.redelivered, true);
  });

  test('the other channels of the connection stay open', async (t) => {
    if (skipOnRabbitMQ(h, t, why)) return;
    const q = await h.queue();
    const conn = await h.connect();
    const slow = await h.channel(conn);
    const bystander = await h.channel(conn);
    await consume(slow, q);
    await publish(h, q, 'x');
    await closedWithError(slow);
    assert.equal(isClosed(bystander), false);
    assert.equal(isClosed(conn), false);
    assert.equal((await bystander.checkQueue(q)).messageCount, 1);
  });

  test('a basic.get left unacked times out the same way', async (t) => {
    if (skipOnRabbitMQ(h, t, why)) return;
    const q = await h.queue();
    await publish(h, q, 'got');
    const ch = await h.channel(await h.connect());
    const m = await ch.get(q, { noAck: false });
    assert.ok(m);
    assertReply(
      await closedWithError(ch),
      REPLY.PRECONDITION_FAILED,
      timedOutText(channelNumber(ch), TIMEOUT_MS),
    );
    const after = await h.channel();
    const back = (await after.get(q, { noAck: true })) as Message | false;
    assert.ok(back, 'the message is back in the queue');
    assert.equal(back.fields.redelivered, true);
  });

  test('acking in time keeps the channel open, however long it consumes', async () => {
    const q = await h.queue();
    const ch = await h.channel(await h.connect());
    let acked = 0;
    await ch.consume(q, (m) => {
      if (!m) return;
      // Each delivery is acked well inside the timeout, but the whole run takes several timeouts.
      setTimeout(() => {
        ch.ack(m);
        acked++;
      }, TIMEOUT_MS / 3);
    });
    const bodies = Array.from({ length: 10 }, (_, i) => `m${i}`);
    const pub = await h.confirmChannel();
    for (const b of bodies) {
      await publishConfirmed(pub, '', q, b);
      await sleep(TIMEOUT_MS / 3);
    }
    await waitFor(() => acked === bodies.length);
    await sleep(TIMEOUT_MS);
    assert.equal(isClosed(ch), false);
    assert.equal((await ch.checkQueue(q)).messageCount, 0);
  });

  test('a no-ack consumer is never timed out', async () => {
    const q = await h.queue();
    const ch = await h.channel(await h.connect());
    const got = await consume(ch, q, true);
    await publish(h, q, 'a', 'b');
    await waitFor(() => got.length === 2);
    await sleep(TIMEOUT_MS * 2.5);
    assert.equal(isClosed(ch), false);
    assert.equal((await ch.checkQueue(q)).consumerCount, 1);
  });

  test('a queue with a longer x-consumer-timeout overrides the broker-wide value', async (t) => {
    if (skipOnRabbitMQ(h, t, 'x-consumer-timeout needs RabbitMQ 3.12+')) return;
    const q = await h.queue({ arguments: { 'x-consumer-timeout': 60_000 } });
    const ch = await h.channel(await h.connect());
    const got = await consume(ch, q);
    await publish(h, q, 'patient');
    await waitFor(() => got.length === 1);
    await sleep(TIMEOUT_MS * 2.5);
    assert.equal(isClosed(ch), false);
    ch.ack(got[0] as ConsumeMessage);
    assert.equal((await ch.checkQueue(q)).messageCount, 0);
  });
});

describe('consumer timeout, per queue (x-consumer-timeout)', () => {
  const h = useBroker();
  const why = 'x-consumer-timeout needs RabbitMQ 3.12+ (and RabbitMQ checks once a minute)';

  test('the queue argument sets the timeout and appears in the reply text', async (t) => {
    if (skipOnRabbitMQ(h, t, why)) return;
    const q = await h.queue({ arguments: { 'x-consumer-timeout': 250 } });
    const ch = await h.channel(await h.connect());
    const got = await consume(ch, q);
    await publish(h, q, 'one');
    await waitFor(() => got.length === 1);
    assertReply(await closedWithError(ch), REPLY.PRECONDITION_FAILED, timedOutText(channelNumber(ch), 250));
    const back = await h.channel();
    assert.equal((await back.checkQueue(q)).messageCount, 1);
  });

  test('a consumer-timeout policy applies too; with the argument as well, the lower one wins', async (t) => {
    if (skipOnRabbitMQ(h, t, 'policies are set through the in-process core API')) return;
    const broker = h.broker.warren?.broker;
    assert.ok(broker);
    const q = await h.queue({ arguments: { 'x-consumer-timeout': 60_000 } });
    const policy = uniqueName('consumer-timeout');
    broker.setPolicy('/', {
      name: policy,
      pattern: `^${q}$`,
      applyTo: 'queues',
      definition: { 'consumer-timeout': 200 },
    });
    try {
      const ch = await h.channel(await h.connect());
      const got = await consume(ch, q);
      await publish(h, q, 'policed');
      await waitFor(() => got.length === 1);
      assertReply(await closedWithError(ch), REPLY.PRECONDITION_FAILED, timedOutText(channelNumber(ch), 200));
    } finally {
      broker.clearPolicy('/', policy);
    }
  });

  test('queues without the argument use the broker-wide default (30 minutes)', async () => {
    const q = await h.queue();
    const ch = await h.channel(await h.connect());
    const got = await consume(ch, q);
    await publish(h, q, 'kept');
    await waitFor(() => got.length === 1);
    await sleep(600);
    assert.equal(isClosed(ch), false);
  });

  test('a younger delivery from a queue with a shorter timeout is caught behind an older one', async (t) => {
    if (skipOnRabbitMQ(h, t, why)) return;
    const relaxed = await h.queue();
    const strict = await h.queue({ arguments: { 'x-consumer-timeout': 200 } });
    const ch = await h.channel(await h.connect());
    const old = await consume(ch, relaxed);
    const young = await consume(ch, strict);
    await publish(h, relaxed, 'old');
    await waitFor(() => old.length === 1);
    await sleep(100);
    const start = Date.now();
    await publish(h, strict, 'young');
    await waitFor(() => young.length === 1);
    const err = await closedWithError(ch);
    assertReply(err, REPLY.PRECONDITION_FAILED, timedOutText(channelNumber(ch), 200));
    assert.ok(Date.now() - start < 1000, 'caught at its own deadline');
  });
});

describe('consumer timeout, warren --consumer-timeout', () => {
  const cli = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'src', 'cli', 'warren.js');

  /** Runs the CLI with `args` until `body` is done; returns its exit code when it ends by itself. */
  async function withCli(args: string[], body?: (url: string) => Promise<void>): Promise<number | null> {
    const dataDir = await mkdtemp(join(tmpdir(), 'warren-consumer-timeout-'));
    const child = spawn(
      process.execPath,
      [cli, '--host', '127.0.0.1', '--port', '0', '--data-dir', dataDir, ...args],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    try {
      if (!body) return await withTimeout(exited, 10_000, 'the CLI to exit');
      let out = '';
      child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
      await waitFor(() => /ready/.test(out), 10_000, 'the ready line');
      const port = /127\.0\.0\.1:(\d+)/.exec(out)?.[1];
      assert.ok(port, out);
      await body(`amqp://guest:guest@127.0.0.1:${port}`);
      return null;
    } finally {
      child.kill('SIGKILL');
      await exited;
      await rm(dataDir, { recursive: true, force: true });
    }
  }

  test('the flag sets the broker-wide timeout', async (t) => {
    if (process.env['WARREN_TEST_URL'])
      return t.skip('runs the warren executable, not the broker under test');
    await withCli(['--consumer-timeout', '200'], async (url) => {
      const conn = watch(await amqp.connect(url));
      try {
        const ch = watch(await conn.createChannel());
        const q = (await ch.assertQueue('', { exclusive: true })).queue;
        const got = await consume(ch, q);
        ch.sendToQueue(q, Buffer.from('late'));
        await waitFor(() => got.length === 1);
        assertReply(
          await closedWithError(ch),
          REPLY.PRECONDITION_FAILED,
          timedOutText(channelNumber(ch), 200),
        );
      } finally {
        await conn.close().catch(() => {});
      }
    });
  });

  test('a value that is not a number of milliseconds is refused', async (t) => {
    if (process.env['WARREN_TEST_URL'])
      return t.skip('runs the warren executable, not the broker under test');
    assert.notEqual(await withCli(['--consumer-timeout', 'soon']), 0);
  });
});
