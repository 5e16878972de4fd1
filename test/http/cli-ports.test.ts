/**
 * The `warren` command's HTTP listeners: --mgmt-port / --prometheus-port, WARREN_MGMT_PORT /
 * WARREN_PROMETHEUS_PORT, rabbitmq.conf's management.tcp.port / .ip, `none` to switch one off, and
 * the ready line naming them.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { basicAuth } from './http.js';

const cli = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'src', 'cli', 'warren.js');
const tmp = mkdtempSync(join(tmpdir(), 'warren-cli-http-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise((r) => s.close(r));
  return port;
}

/** Runs the CLI until its ready line; returns the line, then stops it. */
async function readyLine(args: string[], env: Record<string, string> = {}): Promise<string> {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('WARREN_')));
  const child = spawn(
    process.execPath,
    [cli, '--host', '127.0.0.1', '--data-dir', join(tmp, String(Math.random())), ...args],
    {
      env: { ...clean, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let out = '';
  try {
    return await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no ready line: ${out}`)), 10_000);
      const onData = (d: Buffer): void => {
        out += d.toString();
        const line = out.split('\n').find((l) => l.includes(' ready: '));
        if (line) {
          clearTimeout(timer);
          resolve(line);
        }
      };
      child.stdout.on('data', onData);
      child.stderr.on('data', onData);
      child.on('exit', () => reject(new Error(`exited: ${out}`)));
    });
  } finally {
    child.kill('SIGTERM');
  }
}

test('--port 0: free HTTP ports too, named in the ready line, and the API answers there', async () => {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('WARREN_')));
  const child = spawn(
    process.execPath,
    [cli, '--host', '127.0.0.1', '--port', '0', '--data-dir', join(tmp, 'a')],
    {
      env: clean,
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  try {
    let out = '';
    const line = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(out)), 10_000);
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        const l = out.split('\n').find((x) => x.includes(' ready: '));
        if (l) {
          clearTimeout(timer);
          resolve(l);
        }
      });
    });
    const mgmt = /management on (http:\/\/127\.0\.0\.1:(\d+))/.exec(line);
    assert.ok(mgmt, line);
    assert.notEqual(mgmt[2], '15672');
    assert.match(line, /Prometheus on http:\/\/127\.0\.0\.1:\d+\/metrics/);
    const r = await fetch(`${mgmt[1]}/api/whoami`, {
      headers: { authorization: basicAuth('guest', 'guest') },
    });
    assert.equal(r.status, 200);
  } finally {
    child.kill('SIGTERM');
  }
});

test('flags, environment variables and `none`', async () => {
  const [m, p] = [await freePort(), await freePort()];
  const line = await readyLine(['--port', '0', '--mgmt-port', String(m), '--prometheus-port', 'none']);
  assert.match(line, new RegExp(`management on http://127\\.0\\.0\\.1:${m}`));
  assert.doesNotMatch(line, /Prometheus/);
  const viaEnv = await readyLine(['--port', '0'], {
    WARREN_MGMT_PORT: 'none',
    WARREN_PROMETHEUS_PORT: String(p),
  });
  assert.doesNotMatch(viaEnv, /management on/);
  assert.match(viaEnv, new RegExp(`Prometheus on http://127\\.0\\.0\\.1:${p}/metrics`));
});

test('rabbitmq.conf: management.tcp.port and .ip, prometheus.tcp.port', async () => {
  const [m, p] = [await freePort(), await freePort()];
  const conf = join(tmp, 'http.conf');
  writeFileSync(
    conf,
    [`management.tcp.port = ${m}`, 'management.tcp.ip = 127.0.0.1', `prometheus.tcp.port = ${p}`, ''].join(
      '\n',
    ),
  );
  const line = await readyLine(['--port', '0', '--config', conf]);
  assert.match(line, new RegExp(`management on http://127\\.0\\.0\\.1:${m}`));
  assert.match(line, new RegExp(`Prometheus on http://127\\.0\\.0\\.1:${p}/metrics`));
});
