/**
 * The disk fills up, for real: the broker's data directory is on a tmpfs of 32 MB that the test
 * mounts (root only; skipped otherwise) and fills with a file, leaving 3 MB. disk_free_limit is 1 byte,
 * so the writes, not the free-space poll, run into ENOSPC first. What must hold:
 *
 * - the broker raises the disk alarm and blocks publishers (connection.blocked, "low on disk");
 * - nothing unwritten is confirmed, and nothing written before is lost, truncated or corrupted, even
 *   when the broker is killed while the disk is full;
 * - consumers keep getting messages meanwhile;
 * - once space returns, the held writes land, their confirms arrive, the alarm clears
 *   (connection.unblocked) and publishing goes on, without a restart.
 */
import assert from 'node:assert/strict';
import { statfsSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import amqp from 'amqplib';
import type { ChannelModel, ConfirmChannel } from 'amqplib';
import { spawnBroker, type BrokerProcess } from '../reliability/broker-process.js';
import { waitFor, withTimeout } from '../helpers/wait.js';
import { mountSmallFs, type SmallFs } from './small-fs.js';

const MiB = 1024 * 1024;
const BODY = 32 * 1024;
const QUEUE = 'disk-full';

const fs = mountSmallFs(32);
const SKIP = typeof fs === 'string' ? `ENOSPC test skipped: ${fs}` : false;

/** Fills the filesystem with a file, leaving `leave` bytes; returns its path. */
function fill(dir: string, leave: number): string {
  const s = statfsSync(dir);
  const path = join(dir, `filler-${Date.now()}`);
  writeFileSync(path, Buffer.alloc(Math.max(0, s.bavail * s.bsize - leave), 0x7a));
  return path;
}

interface Publisher {
  conn: ChannelModel;
  ch: ConfirmChannel;
  confirmed: Set<number>;
  outstanding: Set<number>;
  blocked: string[];
  unblocked: number;
  next: number;
}

async function publisher(url: string, first: number): Promise<Publisher> {
  const conn = await amqp.connect(url);
  conn.on('error', () => {});
  const ch = await conn.createConfirmChannel();
  ch.on('error', () => {});
  await ch.assertQueue(QUEUE, { durable: true });
  const p: Publisher = {
    conn,
    ch,
    confirmed: new Set(),
    outstanding: new Set(),
    blocked: [],
    unblocked: 0,
    next: first,
  };
  conn.on('blocked', (reason: string) => p.blocked.push(reason));
  conn.on('unblocked', () => p.unblocked++);
  return p;
}

function publish(p: Publisher, n: number): void {
  for (let i = 0; i < n; i++) {
    const id = p.next++;
    const body = Buffer.alloc(BODY, 0x62);
    body.writeUInt32BE(id, 0);
    p.outstanding.add(id);
    p.ch.publish('', QUEUE, body, { persistent: true }, (err) => {
      p.outstanding.delete(id);
      if (!err) p.confirmed.add(id);
    });
  }
}

/** Publishes until confirms stop coming for a second: the store is out of space. */
async function publishUntilStuck(p: Publisher): Promise<void> {
  let last = p.confirmed.size;
  let since = Date.now();
  await waitFor(
    () => {
      if (p.outstanding.size < 64) publish(p, 16);
      if (p.confirmed.size !== last) {
        last = p.confirmed.size;
        since = Date.now();
      }
      return Date.now() - since > 1000 && p.outstanding.size > 0;
    },
    30_000,
    'confirms to stop as the disk fills',
  );
}

/** Every message in the queue, by number (acked as it goes), and how many came twice. */
async function drain(url: string): Promise<{ ids: Set<number>; twice: number }> {
  const conn = await amqp.connect(url);
  const ch = await conn.createChannel();
  const ids = new Set<number>();
  let twice = 0;
  for (;;) {
    const m = await ch.get(QUEUE, { noAck: true });
    if (m === false) break;
    const id = m.content.readUInt32BE(0);
    if (ids.has(id)) twice++;
    ids.add(id);
    assert.equal(m.content.length, BODY, `message ${id} came back ${m.content.length} bytes long`);
  }
  await conn.close();
  return { ids, twice };
}

describe('disk full (ENOSPC) on a real small filesystem', { skip: SKIP }, () => {
  const mounted = fs as SmallFs;
  const dataDir = (): string => join(mounted.dir, 'data');
  const spec = () => ({ options: { dataDir: dataDir(), heartbeat: 0, diskFreeLimit: 1 } });
  let broker: BrokerProcess | undefined;
  before(async () => {
    broker = await spawnBroker(spec());
  });
  after(async () => {
    await broker?.kill9();
    mounted.unmount();
  });

  test('alarm, blocked publishers, consumers served; space returns and all of it is confirmed', async () => {
    assert.ok(broker);
    const p = await publisher(broker.url, 0);
    const filler = fill(mounted.dir, 3 * MiB);
    await publishUntilStuck(p);
    await waitFor(() => p.blocked.length > 0, 10_000, 'connection.blocked');
    assert.equal(p.blocked[0], 'low on disk');
    const held = p.outstanding.size;
    assert.ok(p.confirmed.size > 0 && held > 0, `${p.confirmed.size} confirmed, ${held} held`);

    // Consumers keep getting messages while the disk is full (their acks wait for space too).
    const cconn = await amqp.connect(broker.url);
    const cch = await cconn.createChannel();
    await cch.prefetch(10);
    const consumed = new Set<number>();
    const { consumerTag } = await cch.consume(QUEUE, (m) => {
      if (m && consumed.size < 20) {
        consumed.add(m.content.readUInt32BE(0));
        cch.ack(m);
      }
    });
    await waitFor(() => consumed.size >= 20, 10_000, 'deliveries while the disk is full');
    await cch.cancel(consumerTag);
    await cconn.close();

    // Space returns: the held publishes are written and confirmed, and the alarm clears.
    unlinkSync(filler);
    await withTimeout(p.ch.waitForConfirms(), 15_000, 'the held confirms');
    assert.equal(p.outstanding.size, 0);
    await waitFor(() => p.unblocked > 0, 15_000, 'connection.unblocked');
    publish(p, 10);
    await withTimeout(p.ch.waitForConfirms(), 5000, 'confirms after the alarm cleared');
    await p.conn.close();

    // After a clean restart, every confirmed message that was not consumed is there, whole.
    assert.equal(await broker.terminate(), 0);
    broker = await spawnBroker(spec());
    const { ids, twice } = await drain(broker.url);
    assert.equal(twice, 0);
    for (const id of p.confirmed)
      if (!consumed.has(id)) assert.ok(ids.has(id), `confirmed message ${id} lost`);
    assert.doesNotMatch(broker.output(), /corrupt|dropped/i);
  });

  test('killed while the disk is full: what was confirmed survives, intact', async () => {
    assert.ok(broker);
    const p = await publisher(broker.url, 1_000_000);
    const filler = fill(mounted.dir, 3 * MiB);
    await publishUntilStuck(p);
    const confirmed = [...p.confirmed];
    assert.ok(confirmed.length > 0);
    await broker.kill9();
    unlinkSync(filler); // recovery rewrites the definitions log, which needs a little space
    broker = await spawnBroker(spec());
    const { ids, twice } = await drain(broker.url);
    assert.equal(twice, 0);
    for (const id of confirmed) assert.ok(ids.has(id), `confirmed message ${id} lost`);
  });
});
