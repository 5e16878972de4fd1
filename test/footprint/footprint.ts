/**
 * `npm run footprint -- [--queues 100000] [--connections 10000]`: what many queues and many
 * connections cost, measured from outside on brokers in their own processes (RSS from /proc):
 *
 * 1. --queues transient queues declared on an idle broker: RSS and time;
 * 2. the same number of durable queues, then a restart: RSS, time, and start-up time with them all;
 * 3. --connections clients, each past connection.open with one channel open and 60 s heartbeats:
 *    RSS, file descriptors and time; then all of them gone: what is left.
 *
 * Prints a table (docs/footprint.md has the numbers of a run). Needs an open-file limit above twice
 * the connections (this process holds the client ends): `ulimit -n 25000` before, if need be.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, type Socket } from 'node:net';
import { methodFrame, queueDeclareMethod, RawClient } from '../helpers/raw-client.js';
import { spawnBroker, type BrokerProcess } from '../reliability/broker-process.js';
import { numberArg, runMain } from '../reliability/main-guard.js';
import type * as M from '../../src/protocol/generated/methods.js';

const MB = 1_000_000;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** RSS once it has stopped moving (GC after a burst), bytes. */
async function steadyRss(b: BrokerProcess): Promise<number> {
  let last = b.rss();
  for (let i = 0; i < 20; i++) {
    await sleep(250);
    const now = b.rss();
    if (Math.abs(now - last) < 1 * MB) return now;
    last = now;
  }
  return last;
}

/** Declares `n` queues named fp-<i> over one connection, pipelined without waiting for replies. */
async function declareQueues(port: number, n: number, durable: boolean): Promise<void> {
  const c = await RawClient.open(port);
  await c.openChannel(1);
  for (let i = 0; i < n; i += 1000) {
    const frames: Buffer[] = [];
    for (let j = i; j < Math.min(n, i + 1000); j++) {
      frames.push(methodFrame(1, queueDeclareMethod(`fp-${j}`, { durable, noWait: true })));
    }
    c.write(Buffer.concat(frames));
    // A synchronous declare at the end of each batch keeps the pipeline from outrunning the broker.
    c.sendMethod(1, queueDeclareMethod(`fp-${Math.min(n, i + 1000) - 1}`, { durable, passive: true }));
    await c.expectMethod('queue.declare-ok', 1, 60_000);
  }
  await c.close();
}

function frameBytes(channel: number, m: M.Method): Buffer {
  return methodFrame(channel, m);
}

/** The bytes a client sends from its protocol header to channel.open, all at once. */
function openingBytes(): Buffer {
  return Buffer.concat([
    Buffer.from([0x41, 0x4d, 0x51, 0x50, 0, 0, 9, 1]),
    frameBytes(0, {
      kind: 'connection.start-ok',
      clientProperties: { product: 'footprint' },
      mechanism: 'PLAIN',
      response: Buffer.from('\0guest\0guest'),
      locale: 'en_US',
    }),
    frameBytes(0, { kind: 'connection.tune-ok', channelMax: 2047, frameMax: 131072, heartbeat: 60 }),
    frameBytes(0, { kind: 'connection.open', virtualHost: '/' }),
    frameBytes(1, { kind: 'channel.open' }),
  ]);
}

/** Opens a connection with one channel; resolves once channel.open-ok arrived. */
function openConnection(port: number, bytes: Buffer): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect({ port, host: '127.0.0.1' });
    let got = Buffer.alloc(0);
    s.on('error', reject);
    s.on('connect', () => s.write(bytes));
    s.on('data', (d: Buffer) => {
      got = Buffer.concat([got, d]);
      // channel.open-ok: a method frame on channel 1, class 20, method 11
      if (got.includes(Buffer.from([1, 0, 1, 0, 0, 0, 8, 0, 20, 0, 11]))) {
        s.removeAllListeners('data');
        s.on('data', () => {}); // heartbeats
        resolve(s);
      }
    });
  });
}

async function measureQueues(n: number, durable: boolean): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), 'rel-footprint-'));
  let b = await spawnBroker({ options: { dataDir, heartbeat: 0 } });
  try {
    const before = await steadyRss(b);
    const t0 = Date.now();
    await declareQueues(b.port, n, durable);
    const ms = Date.now() - t0;
    const after = await steadyRss(b);
    const kind = durable ? 'durable' : 'transient';
    console.log(
      `| ${n.toLocaleString('en')} ${kind} queues | ${(before / MB).toFixed(0)} -> ${(after / MB).toFixed(0)} MB | ` +
        `${((after - before) / n).toFixed(0)} B per queue | declared in ${(ms / 1000).toFixed(1)} s |`,
    );
    if (durable) {
      await b.terminate();
      const t1 = Date.now();
      b = await spawnBroker({ options: { dataDir, heartbeat: 0 }, startMs: 300_000 });
      const start = Date.now() - t1;
      const rss = await steadyRss(b);
      console.log(
        `| restart with them | ${(rss / MB).toFixed(0)} MB | | started in ${(start / 1000).toFixed(1)} s |`,
      );
    }
  } finally {
    await b.kill9();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

async function measureConnections(n: number): Promise<void> {
  const b = await spawnBroker({ options: { heartbeat: 60 } });
  try {
    const before = await steadyRss(b);
    const fds0 = b.fds();
    const bytes = openingBytes();
    const sockets: Socket[] = [];
    const t0 = Date.now();
    for (let i = 0; i < n; i += 200) {
      sockets.push(
        ...(await Promise.all(
          Array.from({ length: Math.min(200, n - i) }, () => openConnection(b.port, bytes)),
        )),
      );
    }
    const ms = Date.now() - t0;
    const after = await steadyRss(b);
    console.log(
      `| ${n.toLocaleString('en')} connections, 1 channel each, 60 s heartbeats | ${(before / MB).toFixed(0)} -> ${(after / MB).toFixed(0)} MB | ` +
        `${((after - before) / n / 1000).toFixed(1)} kB per connection, ${b.fds() - fds0} fds | opened in ${(ms / 1000).toFixed(1)} s |`,
    );
    for (const s of sockets) s.destroy();
    await sleep(2000);
    const gone = await steadyRss(b);
    console.log(
      `| all ${n.toLocaleString('en')} gone | ${(gone / MB).toFixed(0)} MB | ${b.fds() - fds0} fds left | |`,
    );
  } finally {
    await b.kill9();
  }
}

runMain(async () => {
  const queues = numberArg('queues', 100_000);
  const connections = numberArg('connections', 10_000);
  console.log('| what | broker RSS | cost | time |\n|---|---|---|---|');
  await measureQueues(queues, false);
  await measureQueues(queues, true);
  await measureConnections(connections);
});
