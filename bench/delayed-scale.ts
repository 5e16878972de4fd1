/**
 * Scale check for the delayed message exchange, run by hand (not in CI): N persistent messages held by
 * one durable x-delayed-message exchange, all falling due in a one-second window; then Warren is
 * restarted with them held, and they are released into one durable queue. Prints Warren's RSS and the
 * time of each phase. See docs/delayed-messages.md for measured numbers.
 *
 *   npm run build && node dist/bench/delayed-scale.js [--count 1000000] [--size 100] [--hold-seconds 150]
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { connect } from 'amqplib';
import { freePort, WARREN_CLI } from './broker.js';
import { readPeakRss, readRss } from './proc.js';

const { values } = parseArgs({
  options: {
    count: { type: 'string', default: '1000000' },
    size: { type: 'string', default: '100' },
    'hold-seconds': { type: 'string', default: '150' },
  },
});
const N = Number(values.count);
const body = Buffer.alloc(Number(values.size), 'x');
const holdMs = Number(values['hold-seconds']) * 1000;
const WINDOW = 5000;

const dataDir = mkdtempSync(join(tmpdir(), 'warren-delayed-scale-'));
const mb = (bytes: number | undefined): string => `${Math.round((bytes ?? 0) / 1e6)} MB`;
const secs = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;
const log = (text: string): void => console.log(`[${new Date().toISOString().slice(11, 19)}] ${text}`);

async function start(port: number): Promise<{ child: ChildProcess; startedMs: number }> {
  const t = Date.now();
  const child = spawn(
    process.execPath,
    [WARREN_CLI, '--port', String(port), '--host', '127.0.0.1', '--data-dir', dataDir, '--log-level', 'warn'],
    { stdio: ['ignore', 'inherit', 'inherit'] },
  );
  for (;;) {
    try {
      await (await connect(`amqp://guest:guest@127.0.0.1:${port}`)).close();
      return { child, startedMs: Date.now() - t };
    } catch {
      if (child.exitCode !== null) throw new Error('warren exited during startup');
      await new Promise((r) => setTimeout(r, 20));
    }
  }
}

async function stop(child: ChildProcess): Promise<number> {
  const t = Date.now();
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  await exited;
  return Date.now() - t;
}

async function main(): Promise<void> {
  const port = await freePort();
  const url = `amqp://guest:guest@127.0.0.1:${port}`;
  let { child } = await start(port);
  log(`Warren up, pid ${child.pid}, RSS ${mb(readRss(child.pid as number))}`);

  const conn = await connect(url);
  const ch = await conn.createConfirmChannel();
  await ch.assertExchange('scale', 'x-delayed-message', {
    durable: true,
    arguments: { 'x-delayed-type': 'direct' },
  });
  await ch.assertQueue('scale', { durable: true });
  await ch.bindQueue('scale', 'scale', 'k');
  await ch.assertQueue('probe', { durable: true });
  await ch.bindQueue('probe', 'scale', 'probe');

  // Every message falls due in [due, due + 1 s), whatever its publish time.
  const t0 = Date.now();
  const due = t0 + holdMs;
  let outstanding = 0;
  let wake: (() => void) | undefined;
  for (let i = 0; i < N; i++) {
    const delay = due - Date.now() + (i % 1000);
    outstanding++;
    ch.publish('scale', 'k', body, { persistent: true, headers: { 'x-delay': delay } }, () => {
      outstanding--;
      if (outstanding < WINDOW / 2) wake?.();
    });
    if (outstanding >= WINDOW) await new Promise<void>((r) => (wake = r));
    if (i % 100_000 === 0 && i > 0) log(`${i} published, RSS ${mb(readRss(child.pid as number))}`);
  }
  await ch.waitForConfirms();
  const publishMs = Date.now() - t0;
  log(
    `${N} held and confirmed in ${secs(publishMs)} (${Math.round(N / (publishMs / 1000))}/s); ` +
      `RSS ${mb(readRss(child.pid as number))}, peak ${mb(readPeakRss(child.pid as number))}`,
  );
  await conn.close();

  const stopMs = await stop(child);
  const restarted = await start(port);
  child = restarted.child;
  log(
    `restart: stop ${secs(stopMs)}, start to first connection ${secs(restarted.startedMs)}, ` +
      `RSS ${mb(readRss(child.pid as number))}`,
  );

  const conn2 = await connect(url);
  const ch2 = await conn2.createChannel();
  // A 1 ms delay published right after the restart: released once the recovered messages' x-delay
  // headers have been read back (releases wait for that, to keep due order).
  const probeSent = Date.now();
  ch2.publish('scale', 'probe', body, { headers: { 'x-delay': 1 } });
  while ((await ch2.checkQueue('probe')).messageCount === 0) await new Promise((r) => setTimeout(r, 100));
  log(
    `first release after the restart (a 1 ms delay): ${secs(Date.now() - probeSent)}, ` +
      `RSS ${mb(readRss(child.pid as number))}`,
  );
  let peak = 0;
  for (;;) {
    peak = Math.max(peak, readRss(child.pid as number) ?? 0);
    if (Date.now() >= due) break;
    await new Promise((r) => setTimeout(r, 500));
  }
  log(`due; RSS while held after the restart: up to ${mb(peak)}`);
  let first = 0;
  for (;;) {
    const n = (await ch2.checkQueue('scale')).messageCount;
    peak = Math.max(peak, readRss(child.pid as number) ?? 0);
    if (n > 0 && first === 0) first = Date.now();
    if (n >= N) break;
    await new Promise((r) => setTimeout(r, 200));
  }
  const doneMs = Date.now() - due;
  log(
    `all ${N} released into the queue ${secs(doneMs)} after the first due time ` +
      `(${Math.round(N / (doneMs / 1000))}/s); RSS ${mb(readRss(child.pid as number))}, ` +
      `peak since the restart ${mb(readPeakRss(child.pid as number))}`,
  );
  await conn2.close();
  await stop(child);
}

main()
  .catch((e: unknown) => {
    console.error(e);
    process.exitCode = 1;
  })
  .finally(() => rmSync(dataDir, { recursive: true, force: true }));
