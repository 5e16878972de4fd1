/**
 * kill -9 at a random instant while a client publishes persistent messages with confirms: after a
 * restart every confirmed message is there exactly once and in order (unconfirmed ones may or may
 * not be). Several rounds, each with its own kill point.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, test } from 'node:test';
import amqp from 'amqplib';
import { prng } from '../helpers/prng.js';

const cli = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'src', 'cli', 'warren.js');
/** free ports for the HTTP listeners: 15672/15692 may be taken by another broker on this machine */
const FREE_HTTP = ['--mgmt-port', '0', '--prometheus-port', '0'];
const ROUNDS = Number(process.env['WARREN_CRASH_ROUNDS'] ?? 4);
const dir = mkdtempSync(join(tmpdir(), 'warren-crash-'));

after(() => rmSync(dir, { recursive: true, force: true }));

async function freePort(): Promise<number> {
  const s = createServer().listen(0, '127.0.0.1');
  await once(s, 'listening');
  const port = (s.address() as { port: number }).port;
  s.close();
  return port;
}

async function startBroker(port: number): Promise<ChildProcess> {
  const child = spawn(
    process.execPath,
    [
      cli,
      '--port',
      String(port),
      '--host',
      '127.0.0.1',
      '--data-dir',
      dir,
      '--log-level',
      'warn',
      ...FREE_HTTP,
    ],
    {
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  const deadline = Date.now() + 15_000;
  for (;;) {
    try {
      const c = await amqp.connect(`amqp://guest:guest@127.0.0.1:${port}`);
      await c.close();
      return child;
    } catch (e) {
      if (Date.now() > deadline || child.exitCode !== null)
        throw new Error(`broker did not start: ${String(e)}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

test(`confirmed persistent messages survive kill -9 (${ROUNDS} rounds)`, async () => {
  const seed = Number(process.env['WARREN_CRASH_SEED'] ?? Date.now() % 100000);
  const rand = prng(seed);
  let next = 0;
  const confirmed = new Set<number>();
  let lastSeen = -1;
  for (let round = 0; round < ROUNDS; round++) {
    const port = await freePort();
    let broker = await startBroker(port);
    const conn = await amqp.connect(`amqp://guest:guest@127.0.0.1:${port}`);
    conn.on('error', () => {});
    conn.setMaxListeners(0);
    const ch = await conn.createConfirmChannel();
    ch.setMaxListeners(0);
    ch.on('error', () => {});
    await ch.assertQueue('crash', { durable: true });
    let stop = false;
    const publishing = (async () => {
      while (!stop) {
        const n = next++;
        const ok = ch.sendToQueue('crash', Buffer.from(String(n)), { persistent: true }, (err) => {
          if (!err) confirmed.add(n);
        });
        // The kill may come while we wait for 'drain': the channel's close must end the wait too.
        if (!ok) await new Promise((r) => (ch.once('drain', r), ch.once('close', r), conn.once('close', r)));
        if (n % 200 === 0) await new Promise((r) => setImmediate(r));
      }
    })().catch(() => {});
    await new Promise((r) => setTimeout(r, 100 + rand() * 600));
    const exited = once(broker, 'exit');
    broker.kill('SIGKILL');
    await exited;
    stop = true;
    await publishing;
    assert.ok(
      confirmed.size > 0,
      `round ${round}: some publishes were confirmed before the kill (seed ${seed})`,
    );

    broker = await startBroker(port);
    const c2 = await amqp.connect(`amqp://guest:guest@127.0.0.1:${port}`);
    const ch2 = await c2.createChannel();
    const seen: number[] = [];
    for (;;) {
      const m = await ch2.get('crash', { noAck: true });
      if (!m) break;
      seen.push(Number(m.content.toString()));
    }
    const seenSet = new Set(seen);
    assert.equal(seenSet.size, seen.length, `round ${round}: no message twice (seed ${seed})`);
    for (let i = 1; i < seen.length; i++) {
      assert.ok((seen[i] as number) > (seen[i - 1] as number), `round ${round}: order kept (seed ${seed})`);
    }
    for (const n of confirmed) {
      if (n > lastSeen)
        assert.ok(seenSet.has(n), `round ${round}: confirmed message ${n} survived (seed ${seed})`);
    }
    for (const n of seen) if (n > lastSeen) lastSeen = n;
    // Everything before this round was drained; only newer numbers count from here on.
    for (const n of [...confirmed]) if (n <= lastSeen) confirmed.delete(n);
    await c2.close();
    const exited2 = once(broker, 'exit');
    broker.kill('SIGTERM');
    await exited2;
  }
});
