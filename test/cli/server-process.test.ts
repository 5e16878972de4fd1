/**
 * The `warren` executable as a user runs it: flags and environment variables, the ready log line,
 * and a clean SIGTERM shutdown that tells clients 320 CONNECTION_FORCED and exits 0.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import amqp from 'amqplib';

const cli = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'src', 'cli', 'warren.js');

async function freePort(): Promise<number> {
  const s = createServer();
  s.listen(0, '127.0.0.1');
  await once(s, 'listening');
  const port = (s.address() as { port: number }).port;
  s.close();
  await once(s, 'close');
  return port;
}

/** Starts the CLI and resolves with the ready line once it is logged. */
async function startCli(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ child: ChildProcess; ready: string }> {
  const child = spawn(process.execPath, [cli, ...args], {
    // Free HTTP ports: the default 15672/15692 may be taken by another broker on this machine.
    env: { ...process.env, WARREN_MGMT_PORT: '0', WARREN_PROMETHEUS_PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const ready = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ready line; output: ${out}`)), 10_000);
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      const line = out.split('\n').find((l) => l.includes('ready'));
      if (line) {
        clearTimeout(timer);
        resolve(line);
      }
    });
    child.on('exit', (code) => reject(new Error(`exited ${String(code)} before ready: ${out}`)));
  });
  return { child, ready };
}

test('flags: --port and --host; ready line names version and address; SIGTERM closes clients with 320', async () => {
  const port = await freePort();
  const { child, ready } = await startCli([
    '--port',
    String(port),
    '--host',
    '127.0.0.1',
    '--data-dir',
    '/tmp/warren-cli-test',
  ]);
  try {
    assert.match(ready, /Warren \d+\.\d+\.\d+/);
    assert.ok(ready.includes(`127.0.0.1:${port}`), ready);
    const conn = await amqp.connect(`amqp://guest:guest@127.0.0.1:${port}`);
    const closed = new Promise<Error | undefined>((resolve) => {
      conn.on('error', (e: Error) => resolve(e));
      conn.on('close', (e?: Error) => resolve(e));
    });
    conn.on('error', () => {});
    const exited = once(child, 'exit');
    child.kill('SIGTERM');
    const err = (await closed) as (Error & { code?: number }) | undefined;
    assert.ok(err, 'the client saw a server-initiated close');
    assert.equal(err.code, 320);
    assert.match(err.message, /CONNECTION_FORCED/);
    const [code] = (await exited) as [number | null];
    assert.equal(code, 0);
  } finally {
    child.kill('SIGKILL');
  }
});

test('environment: WARREN_PORT and WARREN_HOST configure the listener', async () => {
  const port = await freePort();
  const { child, ready } = await startCli([], { WARREN_PORT: String(port), WARREN_HOST: '127.0.0.1' });
  try {
    assert.ok(ready.includes(`127.0.0.1:${port}`), ready);
    const conn = await amqp.connect(`amqp://guest:guest@127.0.0.1:${port}`);
    await conn.close();
    const exited = once(child, 'exit');
    child.kill('SIGINT');
    const [code] = (await exited) as [number | null];
    assert.equal(code, 0);
  } finally {
    child.kill('SIGKILL');
  }
});
