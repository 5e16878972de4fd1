/**
 * Resource alarms end to end, with limits the test machine is already past: a memory watermark of one
 * byte, a disk limit of petabytes. A publishing amqplib connection gets connection.blocked with
 * RabbitMQ's reason and its publishes stop short of the queue, while consumers on other connections
 * keep draining; lifting the limit at runtime (as rabbitmqctl set_vm_memory_high_watermark /
 * set_disk_free_limit do) sends connection.unblocked and lets the held publishes through.
 *
 * Warren only: the limits are changed through the embedded broker's API.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import amqp from 'amqplib';
import type { ChannelModel, ConsumeMessage } from 'amqplib';
import { Warren } from '../../src/index.js';
import { uniqueName } from '../helpers/broker.js';
import { openRaw, serverConnection } from '../helpers/raw-blocked.js';
import { nextEvent, waitFor, withTimeout } from '../helpers/wait.js';

const PAST = { absolute: 1 } as const;
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function connect(w: Warren, name: string): Promise<ChannelModel> {
  return amqp.connect(w.url, { noDelay: true, clientProperties: { connection_name: name } });
}

function queueSize(w: Warren, name: string): number {
  const q = w.broker.vhosts.get('/')?.queues.get(name);
  assert.ok(q, `queue ${name} exists`);
  return q.messageCount;
}

describe('memory alarm', () => {
  let w: Warren;
  const open: ChannelModel[] = [];
  before(async () => {
    w = await Warren.start({ host: '127.0.0.1', port: 0, logLevel: 'silent' });
  });
  after(async () => {
    for (const c of open) await c.close().catch(() => {});
    await w.close();
  });

  async function conn(name: string): Promise<ChannelModel> {
    const c = await connect(w, name);
    open.push(c);
    return c;
  }

  test('blocks a publisher, not a consumer; lifting it delivers what was held', async () => {
    const q = uniqueName('alarm-mem');
    const pubConn = await conn('pub');
    const pub = await pubConn.createChannel();
    await pub.assertQueue(q, { durable: false });
    for (let i = 0; i < 20; i++) pub.publish('', q, Buffer.from(`before-${i}`));
    await waitFor(() => queueSize(w, q) === 20, 5000, 'the first 20 messages');

    const alarmSet = nextEvent(w.broker, 'alarm-set');
    w.broker.setMemoryHighWatermark(PAST);
    assert.deepEqual(await alarmSet, ['memory']);
    assert.deepEqual(w.broker.alarms.list(), ['memory']);
    assert.deepEqual(w.broker.localAlarms(), [{ resource: 'memory', node: w.broker.clusterName }]);
    // Nothing is sent before the connection publishes again (RabbitMQ's "blocking" state).
    assert.equal(serverConnection(w, 'pub').blockState, 'blocking');

    const blocked = nextEvent(pubConn, 'blocked');
    pub.publish('', q, Buffer.from('during'));
    assert.deepEqual(await blocked, ['low on memory']);
    assert.equal(serverConnection(w, 'pub').blockState, 'blocked');

    // A connection that only consumes is never blocked: it drains the queue and its acks count.
    const conConn = await conn('con');
    const con = await conConn.createChannel();
    await con.prefetch(5);
    const got: string[] = [];
    await con.consume(q, (m: ConsumeMessage | null) => {
      if (!m) return;
      got.push(m.content.toString());
      con.ack(m);
    });
    await waitFor(() => got.length === 20, 5000, 'the queued messages');
    assert.equal(serverConnection(w, 'con').blockState, 'blocking');
    await sleep(200);
    assert.equal(got.length, 20, 'the publish made while blocked has not arrived');
    assert.equal(queueSize(w, q), 0);

    const unblocked = nextEvent(pubConn, 'unblocked');
    const alarmClear = nextEvent(w.broker, 'alarm-clear');
    w.broker.setMemoryHighWatermark(0.4);
    await unblocked;
    assert.deepEqual(await alarmClear, ['memory']);
    await waitFor(() => got.length === 21, 5000, 'the held message');
    assert.equal(got[20], 'during');
    assert.equal(serverConnection(w, 'pub').blockState, 'running');
    assert.deepEqual(w.broker.localAlarms(), []);
  });

  test('a connection that consumes and publishes is blocked entirely, acks included', async () => {
    const q1 = uniqueName('alarm-in');
    const q2 = uniqueName('alarm-out');
    const feeder = await (await conn('feeder')).createChannel();
    await feeder.assertQueue(q1, { durable: false });
    await feeder.assertQueue(q2, { durable: false });
    for (let i = 0; i < 10; i++) feeder.publish('', q1, Buffer.from(`m${i}`));
    await waitFor(() => queueSize(w, q1) === 10, 5000, 'the feed');

    const bothConn = await conn('both');
    const both = await bothConn.createChannel();
    await both.prefetch(5);
    const held: ConsumeMessage[] = [];
    await both.consume(q1, (m: ConsumeMessage | null) => {
      if (m) held.push(m);
    });
    await waitFor(() => held.length === 5, 5000, 'a prefetch window of deliveries');

    w.broker.setMemoryHighWatermark(PAST);
    try {
      const blocked = nextEvent(bothConn, 'blocked');
      both.publish('', q2, Buffer.from('out'));
      await blocked;
      for (const m of held.splice(0)) both.ack(m);
      await sleep(300);
      // Had the acks been read, the next five would have been delivered.
      assert.equal(held.length, 0, 'no delivery: the acks sit unread behind the publish');
      assert.equal(queueSize(w, q2), 0);
    } finally {
      w.broker.setMemoryHighWatermark(0.4);
    }
    await waitFor(() => held.length === 5, 5000, 'the deliveries the acks make room for');
    await waitFor(() => queueSize(w, q2) === 1, 5000, 'the held publish');
  });

  test('a client without the capability is paused without being told', async () => {
    const q = uniqueName('alarm-raw');
    const setup = await (await conn('setup')).createChannel();
    await setup.assertQueue(q, { durable: false });
    const c = await openRaw(w.port, { name: 'quiet', blockedCapability: false });
    try {
      await c.openChannel(1);
      w.broker.setMemoryHighWatermark(PAST);
      c.publish(1, '', q, Buffer.from('held'));
      await waitFor(() => serverConnection(w, 'quiet').blockState === 'blocked', 5000, 'the block');
      w.broker.setMemoryHighWatermark(0.4);
      await waitFor(() => queueSize(w, q) === 1, 5000, 'the held message');
      // The next thing the client hears is the answer to its next method: no blocked/unblocked.
      c.sendMethod(1, {
        kind: 'queue.declare',
        queue: q,
        passive: true,
        durable: false,
        exclusive: false,
        autoDelete: false,
        noWait: false,
        arguments: {},
      });
      const ok = await c.expectMethod('queue.declare-ok', 1);
      assert.equal(ok.messageCount, 1);
    } finally {
      w.broker.setMemoryHighWatermark(0.4);
      c.destroy();
    }
  });

  test('the missed-heartbeat check pauses while blocked', async () => {
    const q = uniqueName('alarm-hb');
    const setup = await (await conn('setup-hb')).createChannel();
    await setup.assertQueue(q, { durable: false });
    const c = await openRaw(w.port, { name: 'silent', heartbeat: 1 });
    try {
      await c.openChannel(1);
      w.broker.setMemoryHighWatermark(PAST);
      c.publish(1, '', q, Buffer.from('held'));
      const b = await c.expectMethod('connection.blocked', 0);
      assert.equal(b.reason, 'low on memory');
      // Silent for three intervals: unblocked, this client would have been dropped after two.
      await sleep(3000);
      assert.equal(c.closed, false, 'still connected');
      w.broker.setMemoryHighWatermark(0.4);
      await c.expectMethod('connection.unblocked', 0);
      await waitFor(() => queueSize(w, q) === 1, 5000, 'the held message');
    } finally {
      w.broker.setMemoryHighWatermark(0.4);
      c.destroy();
    }
  });

  test('a blocked connection closed by the server still completes the close handshake', async () => {
    const c = await openRaw(w.port, { name: 'closing' });
    try {
      await c.openChannel(1);
      w.broker.setMemoryHighWatermark(PAST);
      c.publish(1, '', 'nowhere', Buffer.from('held'));
      await c.expectMethod('connection.blocked', 0);
      serverConnection(w, 'closing').close(320, "broker forced connection closure with reason 'test'");
      // close-ok must be read although the connection was blocked: the socket closes well before
      // the 3 s the broker otherwise waits for it.
      await c.expectConnectionClose(320, 1500);
    } finally {
      w.broker.setMemoryHighWatermark(0.4);
      c.destroy();
    }
  });
});

describe('disk alarm', () => {
  let w: Warren;
  let dir: string;
  const open: ChannelModel[] = [];
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'warren-alarms-'));
    // Far more than any test machine has free: the alarm is on from the start.
    w = await Warren.start({
      host: '127.0.0.1',
      port: 0,
      logLevel: 'silent',
      dataDir: dir,
      diskFreeLimit: 2 ** 52,
    });
  });
  after(async () => {
    for (const c of open) await c.close().catch(() => {});
    await w.close();
    await rm(dir, { recursive: true, force: true });
  });

  async function conn(name: string): Promise<ChannelModel> {
    const c = await connect(w, name);
    open.push(c);
    return c;
  }

  test('on from startup; declares and consumers work; set_disk_free_limit lifts it', async () => {
    assert.deepEqual(w.broker.localAlarms(), [{ resource: 'disk space', node: w.broker.clusterName }]);
    const status = w.broker.alarms.status();
    assert.equal(status.diskMonitored, true);
    assert.ok(status.diskFree !== undefined && status.diskFree < status.diskFreeLimit);

    const q = uniqueName('alarm-disk');
    const pubConn = await conn('disk-pub');
    const pub = await pubConn.createChannel();
    await pub.assertQueue(q, { durable: true });
    const con = await (await conn('disk-con')).createChannel();
    const got: string[] = [];
    await con.consume(
      q,
      (m) => {
        if (m) got.push(m.content.toString());
      },
      { noAck: true },
    );

    const blocked = nextEvent(pubConn, 'blocked');
    pub.publish('', q, Buffer.from('persistent'), { persistent: true });
    assert.deepEqual(await blocked, ['low on disk']);
    await sleep(200);
    assert.deepEqual(got, []);

    const unblocked = nextEvent(pubConn, 'unblocked');
    await w.broker.setDiskFreeLimit('50MB');
    assert.deepEqual(w.broker.alarms.list(), []);
    await unblocked;
    await waitFor(() => got.length === 1, 5000, 'the held message');
    assert.deepEqual(got, ['persistent']);
    await pub.deleteQueue(q);
  });

  test('both alarms: "low on disk & memory", unblocked only when both clear', async () => {
    await w.broker.setDiskFreeLimit({ relative: 1e9 });
    w.broker.setMemoryHighWatermark(PAST);
    try {
      const pubConn = await conn('both-pub');
      const pub = await pubConn.createChannel();
      const blocked = nextEvent(pubConn, 'blocked');
      pub.publish('amq.fanout', '', Buffer.from('x'));
      assert.deepEqual(await blocked, ['low on disk & memory']);
      let unblocked = false;
      pubConn.on('unblocked', () => (unblocked = true));
      w.broker.setMemoryHighWatermark(0.4);
      await sleep(200);
      assert.equal(unblocked, false, 'disk is still low');
      assert.equal(serverConnection(w, 'both-pub').blockState, 'blocked');
      await w.broker.setDiskFreeLimit(50_000_000);
      await waitFor(() => unblocked, 5000, 'connection.unblocked');
    } finally {
      w.broker.setMemoryHighWatermark(0.4);
      await w.broker.setDiskFreeLimit(50_000_000);
    }
  });

  test('a bad limit is refused at startup and at runtime', async () => {
    await assert.rejects(
      Warren.start({ host: '127.0.0.1', port: 0, logLevel: 'silent', diskFreeLimit: '50 furlongs' }),
      /not an amount of information/,
    );
    await assert.rejects(w.broker.setDiskFreeLimit({ relative: -1 }), /non-negative/);
    assert.throws(() => w.broker.setMemoryHighWatermark({ absolute: 'lots' }), /not an amount/);
  });
});

describe('command line', () => {
  const cli = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'src', 'cli', 'warren.js');

  /** Runs `warren` until its output matches `until` (then kills it) or it exits; returns the output. */
  async function run(args: string[], env: Record<string, string>, until: RegExp): Promise<string> {
    const dataDir = await mkdtemp(join(tmpdir(), 'warren-alarms-cli-'));
    const child = spawn(
      process.execPath,
      [cli, '--host', '127.0.0.1', '--port', '0', '--data-dir', dataDir, ...args],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
        env: { ...process.env, ...env },
      },
    );
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
    try {
      await Promise.race([waitFor(() => until.test(out), 10_000, `${until} in ${out}`), exited]);
      return out;
    } finally {
      child.kill('SIGKILL');
      await withTimeout(exited, 5000, 'the CLI to exit');
      await rm(dataDir, { recursive: true, force: true });
    }
  }

  test('--vm-memory-high-watermark and WARREN_DISK_FREE_LIMIT set both alarms at startup', async () => {
    const out = await run(
      ['--vm-memory-high-watermark', 'absolute:1'],
      { WARREN_DISK_FREE_LIMIT: '1000000TB' },
      /ready/,
    );
    assert.match(out, /memory resource limit alarm set/);
    assert.match(out, /disk resource limit alarm set/);
  });

  test('a limit that does not parse is refused before the broker starts', async () => {
    const out = await run(['--disk-free-limit', '50furlongs'], {}, /not an amount of information/);
    assert.match(out, /not an amount of information: '50furlongs'/);
    assert.doesNotMatch(out, /ready/);
  });
});
