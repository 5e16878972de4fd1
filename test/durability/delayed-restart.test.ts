/**
 * Delayed exchanges across restarts: persistent messages held by a durable x-delayed-message exchange
 * come back and are released at their original due time; transient ones, those of non-durable
 * exchanges and those of a deleted exchange do not. Also: recovery that leaves bodies on disk (read
 * back for their x-delay), and kill -9 right after the confirms.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, afterEach, before, describe, test } from 'node:test';
import amqp, { type Channel, type ChannelModel, type ConfirmChannel } from 'amqplib';
import { Warren } from '../../src/index.js';
import { Broker } from '../../src/core/broker.js';
import type { DelayedExchange } from '../../src/core/exchange/delayed.js';
import { Message } from '../../src/core/message.js';
import { createLogger } from '../../src/log.js';
import { DefinitionsStore } from '../../src/store/definitions.js';
import { DurableStorage } from '../../src/store/durable.js';
import { SegmentStore } from '../../src/store/segment-store.js';
import { waitFor } from '../helpers/wait.js';

const root = mkdtempSync(join(tmpdir(), 'warren-delayed-restart-'));
after(() => rmSync(root, { recursive: true, force: true }));
let dirs = 0;
const freshDir = (): string => join(root, String(dirs++));

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const DELAYED = { 'x-delayed-type': 'direct' };

describe('delayed exchanges across a restart', () => {
  let dir: string;
  let broker: Warren | undefined;
  let conn: ChannelModel | undefined;

  async function start(): Promise<{ ch: Channel; cc: ConfirmChannel }> {
    await stop();
    broker = await Warren.start({ host: '127.0.0.1', port: 0, logLevel: 'silent', dataDir: dir });
    conn = await amqp.connect(broker.url);
    conn.on('error', () => {});
    return { ch: await conn.createChannel(), cc: await conn.createConfirmChannel() };
  }

  async function stop(): Promise<void> {
    await conn?.close().catch(() => {});
    await broker?.close();
    conn = undefined;
    broker = undefined;
  }

  function held(name: string): number {
    const x = broker?.broker.vhost('/').exchanges.get(name) as DelayedExchange | undefined;
    return x?.delayedCount ?? -1;
  }

  before(() => {
    dir = freshDir();
  });
  afterEach(stop);

  test('held persistent messages survive and are released at their original due time', async () => {
    let { ch, cc } = await start();
    await ch.assertExchange('dx', 'x-delayed-message', { durable: true, arguments: DELAYED });
    await ch.assertQueue('dq', { durable: true });
    await ch.bindQueue('dq', 'dx', 'k');
    const sent = Date.now();
    for (const d of [2500, 1500, 2000, 600_000]) {
      cc.publish('dx', 'k', Buffer.from(String(d)), { persistent: true, headers: { 'x-delay': d } });
    }
    cc.publish('dx', 'k', Buffer.from('transient'), { headers: { 'x-delay': 1500 } });
    await cc.waitForConfirms();
    assert.equal(held('dx'), 5);

    await stop();
    await sleep(1000); // down for a while: a due time counted from the restart would come 1 s late
    ({ ch, cc } = await start());
    assert.equal(held('dx'), 4, 'the persistent ones are held again; the transient one is gone');
    const got: { body: string; at: number }[] = [];
    await ch.consume('dq', (m) => m && got.push({ body: m.content.toString(), at: Date.now() }), {
      noAck: true,
    });
    await waitFor(() => got.length === 3, 6000, 'the three due messages');
    assert.deepEqual(
      got.map((g) => g.body),
      ['1500', '2000', '2500'],
    );
    for (const g of got) {
      const due = sent + Number(g.body);
      assert.ok(g.at >= due, `${g.body} released before its due time`);
      assert.ok(g.at - due < 800, `${g.body} released ${g.at - due} ms after its original due time`);
    }
    assert.equal(held('dx'), 1, 'the one due in ten minutes is still held');
    await ch.deleteExchange('dx');
    await ch.deleteQueue('dq');
  });

  test('a message that fell due while the broker was down is released right after the start', async () => {
    const first = await start();
    let ch = first.ch;
    const cc = first.cc;
    await ch.assertExchange('dx2', 'x-delayed-message', { durable: true, arguments: DELAYED });
    await ch.assertQueue('dq2', { durable: true });
    await ch.bindQueue('dq2', 'dx2', 'k');
    cc.publish('dx2', 'k', Buffer.from('m'), { persistent: true, headers: { 'x-delay': 200 } });
    await cc.waitForConfirms();
    await stop();
    await sleep(400);
    ch = (await start()).ch;
    await waitFor(async () => (await ch.checkQueue('dq2')).messageCount === 1, 2000, 'the release');
    assert.equal(held('dx2'), 0);
    await ch.deleteExchange('dx2');
    await ch.deleteQueue('dq2');
  });

  test("a delayed exchange's store id is not given to a queue declared after a restart", async () => {
    let { ch, cc } = await start();
    await ch.assertExchange('idx', 'x-delayed-message', { durable: true, arguments: DELAYED });
    cc.publish('idx', 'k', Buffer.from('held'), { persistent: true, headers: { 'x-delay': 600_000 } });
    await cc.waitForConfirms();
    ({ ch, cc } = await start());
    await ch.assertQueue('after', { durable: true });
    cc.sendToQueue('after', Buffer.from('queued'), { persistent: true });
    await cc.waitForConfirms();
    ({ ch } = await start());
    assert.equal(held('idx'), 1);
    assert.equal((await ch.checkQueue('after')).messageCount, 1);
    await ch.deleteExchange('idx');
    await ch.deleteQueue('after');
  });

  test('a non-durable delayed exchange, and a deleted one, keep nothing across a restart', async () => {
    const first = await start();
    let ch = first.ch;
    const cc = first.cc;
    await ch.assertExchange('nx', 'x-delayed-message', { durable: false, arguments: DELAYED });
    await ch.assertExchange('gone', 'x-delayed-message', { durable: true, arguments: DELAYED });
    await ch.assertQueue('dq3', { durable: true });
    await ch.bindQueue('dq3', 'nx', 'k');
    await ch.bindQueue('dq3', 'gone', 'k');
    for (const x of ['nx', 'gone'])
      cc.publish(x, 'k', Buffer.from(x), { persistent: true, headers: { 'x-delay': 300 } });
    await cc.waitForConfirms();
    await ch.deleteExchange('gone');
    await ch.assertExchange('gone', 'x-delayed-message', { durable: true, arguments: DELAYED });
    await ch.bindQueue('dq3', 'gone', 'k');
    await stop();
    ch = (await start()).ch;
    assert.equal(held('nx'), -1, 'the non-durable exchange is gone');
    assert.equal(held('gone'), 0);
    await sleep(500);
    assert.equal((await ch.checkQueue('dq3')).messageCount, 0);
    await ch.deleteExchange('gone');
    await ch.deleteQueue('dq3');
  });
});

test('the definitions log keeps a delayed exchange store id, and never hands it out again', () => {
  const dir = freshDir();
  const defs = new DefinitionsStore(dir);
  defs.open();
  const id = defs.allocateQueueId() + 4;
  const def = { vhost: '/', name: 'dx', type: 'x-delayed-message', autoDelete: false, internal: false };
  defs.putExchange({ ...def, arguments: DELAYED, id });
  defs.putExchange({ ...def, name: 'plain', type: 'direct', arguments: {} });
  defs.close();
  const again = new DefinitionsStore(dir);
  const state = again.open();
  assert.equal(state.exchanges.find((e) => e.name === 'dx')?.id, id);
  assert.equal(state.exchanges.find((e) => e.name === 'plain')?.id, undefined);
  assert.ok(again.allocateQueueId() > id);
  again.close();
});

describe('delayed exchange recovery with bodies left on disk', () => {
  const log = createLogger('silent');

  /** A broker on `dir` whose store loads nothing at recovery, so every held x-delay is read back. */
  async function open(dir: string): Promise<{ broker: Broker; storage: DurableStorage }> {
    const broker = new Broker();
    const store = new SegmentStore(join(dir, 'messages'), { eagerLoadBytes: 0 });
    const storage = new DurableStorage(new DefinitionsStore(dir), store);
    broker.persistence = storage;
    broker.store = store;
    for (const v of broker.vhosts.values()) v.persistence = storage;
    await storage.recover(broker, log);
    return { broker, storage };
  }

  test('thousands of held messages are read back in batches and released in due order', async () => {
    const dir = freshDir();
    const N = 3000;
    let { broker, storage } = await open(dir);
    let v = broker.vhost('/');
    const x = v.declareExchange({
      name: 'dx',
      type: 'x-delayed-message',
      passive: false,
      durable: true,
      autoDelete: false,
      internal: false,
      arguments: DELAYED,
    }) as DelayedExchange;
    const q = v.declareQueue(
      { name: 'q', passive: false, durable: true, exclusive: false, autoDelete: false, arguments: {} },
      null,
    );
    v.bind('dx', q, 'k', {});
    // delays spread over 0.8-1.4 s, published in an order unrelated to them; the body is the due time
    for (let i = 0; i < N; i++) {
      const delay = 800 + ((i * 7919) % 600);
      const body = Buffer.from(String(Date.now() + delay));
      const msg = Message.from('dx', 'k', { deliveryMode: 2, headers: { 'x-delay': delay } }, body);
      assert.ok(x.hold(msg)?.ref, 'persistent on a durable exchange: its record is waited for');
    }
    await new Promise<void>((r) => broker.store?.whenSynced(r));
    await storage.close();

    ({ broker, storage } = await open(dir));
    v = broker.vhost('/');
    const back = v.exchanges.get('dx') as DelayedExchange;
    assert.equal(back.delayedCount, N);
    const queue = v.queues.get('q');
    assert.ok(queue);
    await waitFor(() => queue.messageCount === N, 10_000, `${N} released messages`);
    assert.equal(back.delayedCount, 0);
    const dues: number[] = [];
    for (;;) {
      const e = queue.get(true);
      if (!e?.msg) break;
      dues.push(Number(e.msg.body.toString()));
    }
    assert.equal(dues.length, N);
    // due order, within the few ms between the test's Date.now() and the broker's, a GC pause apart
    for (let i = 1; i < N; i++) {
      const [a, b] = [dues[i - 1] as number, dues[i] as number];
      assert.ok(b >= a - 25, `due order at ${i}: ${b} after ${a}`);
    }
    await storage.close();
    // released: nothing is held after another restart
    ({ broker, storage } = await open(dir));
    assert.equal((broker.vhost('/').exchanges.get('dx') as DelayedExchange).delayedCount, 0);
    await storage.close();
  });
});

describe('delayed exchange and kill -9', () => {
  const cli = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'src', 'cli', 'warren.js');

  async function freePort(): Promise<number> {
    const s = createServer().listen(0, '127.0.0.1');
    await once(s, 'listening');
    const port = (s.address() as { port: number }).port;
    s.close();
    return port;
  }

  async function spawnBroker(port: number, dir: string): Promise<ChildProcess> {
    const child = spawn(
      process.execPath,
      [cli, '--port', String(port), '--host', '127.0.0.1', '--data-dir', dir, '--log-level', 'warn'].concat([
        '--mgmt-port',
        '0',
        '--prometheus-port',
        '0',
      ]),
      { stdio: ['ignore', 'ignore', 'inherit'] },
    );
    const deadline = Date.now() + 15_000;
    for (;;) {
      try {
        await (await amqp.connect(`amqp://guest:guest@127.0.0.1:${port}`)).close();
        return child;
      } catch (e) {
        if (Date.now() > deadline || child.exitCode !== null)
          throw new Error(`broker did not start: ${String(e)}`);
        await sleep(50);
      }
    }
  }

  test('confirmed held messages survive kill -9 and are released once, in due order', async () => {
    const dir = freshDir();
    const port = await freePort();
    let child = await spawnBroker(port, dir);
    const url = `amqp://guest:guest@127.0.0.1:${port}`;
    const c = await amqp.connect(url);
    c.on('error', () => {});
    const cc = await c.createConfirmChannel();
    cc.on('error', () => {});
    await cc.assertExchange('kx', 'x-delayed-message', { durable: true, arguments: DELAYED });
    await cc.assertQueue('kq', { durable: true });
    await cc.bindQueue('kq', 'kx', 'k');
    // one released before the kill (written to the queue), the rest held across it
    const delays = [100, 1500, 1200, 1800, 1300];
    const sent = Date.now();
    for (const d of delays)
      cc.publish('kx', 'k', Buffer.from(String(d)), { persistent: true, headers: { 'x-delay': d } });
    await cc.waitForConfirms();
    await sleep(400);
    const exited = once(child, 'exit');
    child.kill('SIGKILL');
    await exited;

    child = await spawnBroker(port, dir);
    const c2 = await amqp.connect(url);
    const ch = await c2.createChannel();
    const got: { body: string; at: number }[] = [];
    await ch.consume('kq', (m) => m && got.push({ body: m.content.toString(), at: Date.now() }), {
      noAck: true,
    });
    await waitFor(() => got.length >= delays.length, 8000, 'every confirmed message');
    await sleep(300);
    assert.deepEqual(
      got.map((g) => g.body),
      ['100', '1200', '1300', '1500', '1800'],
      'each exactly once, in due order',
    );
    for (const g of got) assert.ok(g.at >= sent + Number(g.body), `${g.body} released early`);
    await c2.close();
    const exited2 = once(child, 'exit');
    child.kill('SIGTERM');
    await exited2;
  });
});
