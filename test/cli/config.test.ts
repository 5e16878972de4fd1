/**
 * The `warren` executable with a config file in rabbitmq.conf's syntax: the file's settings take
 * effect, environment variables and flags override it, load_definitions imports at boot, and a bad
 * file stops the start with one log line naming the file and line and a non-zero exit code.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import amqp from 'amqplib';

const here = dirname(fileURLToPath(import.meta.url));
const cli = join(here, '..', '..', 'src', 'cli', 'warren.js');
const fixture = join(here, '..', '..', '..', 'test', 'fixtures', 'rabbitmq-definitions.json');
const tmp = mkdtempSync(join(tmpdir(), 'warren-cli-conf-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

async function freePort(): Promise<number> {
  const s = createServer();
  s.listen(0, '127.0.0.1');
  await once(s, 'listening');
  const port = (s.address() as { port: number }).port;
  s.close();
  await once(s, 'close');
  return port;
}

/** Writes a config file (with a data directory of its own) and returns its path. */
function configFile(name: string, lines: string[]): string {
  const file = join(tmp, `${name}.conf`);
  writeFileSync(file, [`warren.data_dir = ${join(tmp, `${name}-data`)}`, ...lines, ''].join('\n'));
  return file;
}

function run(args: string[], env: Record<string, string> = {}): ChildProcess {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('WARREN_')));
  return spawn(process.execPath, [cli, ...args], {
    // Free HTTP ports: the default 15672/15692 may be taken by another broker on this machine.
    env: { ...clean, WARREN_MGMT_PORT: '0', WARREN_PROMETHEUS_PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

/** Starts the CLI and resolves with the ready line; the caller stops it. */
async function startCli(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ child: ChildProcess; out: () => string }> {
  const child = run(args, env);
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ready line; output: ${out}`)), 10_000);
    const check = (): void => {
      if (out.includes('ready')) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout?.on('data', check);
    child.on('exit', (code) => reject(new Error(`exited ${String(code)} before ready: ${out}`)));
  });
  return { child, out: () => out };
}

async function stop(child: ChildProcess): Promise<void> {
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  await exited;
}

/** Runs the CLI to its exit; returns the code and every output line. */
async function runToExit(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number | null; lines: string[] }> {
  const child = run(args, env);
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  const [code] = (await once(child, 'exit')) as [number | null];
  return { code, lines: out.split('\n').filter((l) => l.trim() !== '') };
}

test('--config: listener, default user, heartbeat and a log file come from the file', async () => {
  const port = await freePort();
  const logFile = join(tmp, 'logs', 'warren.log');
  const file = configFile('basic', [
    '# a RabbitMQ-style config',
    `listeners.tcp.default = 127.0.0.1:${port}`,
    'default_user = admin',
    'default_pass = s3cret   # the first boot creates this user',
    'heartbeat = 7',
    `log.file = ${logFile}`,
    'log.file.level = debug',
  ]);
  const { child, out } = await startCli(['--config', file]);
  try {
    assert.match(out(), new RegExp(`config file: ${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
    assert.ok(out().includes(`127.0.0.1:${port}`), out());
    const conn = await amqp.connect(`amqp://admin:s3cret@127.0.0.1:${port}`);
    const tune = (conn.connection as unknown as { heartbeat: number }).heartbeat;
    assert.equal(tune, 7);
    await conn.close();
    await assert.rejects(amqp.connect(`amqp://guest:guest@127.0.0.1:${port}`), /ACCESS_REFUSED|403/);
  } finally {
    await stop(child);
  }
  const logged = readFileSync(logFile, 'utf8');
  assert.match(logged, /ready/);
  assert.match(logged, /"level":20/, 'debug lines reach the file at log.file.level = debug');
});

test('precedence: environment variables override the file, flags override both', async () => {
  const [fromFile, fromEnv, fromFlag] = [await freePort(), await freePort(), await freePort()];
  const file = configFile('precedence', [`listeners.tcp.default = 127.0.0.1:${fromFile}`, 'heartbeat = 9']);
  const viaEnv = await startCli([], { WARREN_CONFIG_FILE: file, WARREN_PORT: String(fromEnv) });
  try {
    assert.ok(viaEnv.out().includes(`127.0.0.1:${fromEnv}`), viaEnv.out());
    const conn = await amqp.connect(`amqp://guest:guest@127.0.0.1:${fromEnv}`);
    assert.equal(
      (conn.connection as unknown as { heartbeat: number }).heartbeat,
      9,
      'the rest of the file applies',
    );
    await conn.close();
  } finally {
    await stop(viaEnv.child);
  }
  const viaFlag = await startCli(['--port', String(fromFlag), '--config', file], {
    WARREN_PORT: String(fromEnv),
    WARREN_CONFIG_FILE: join(tmp, 'not-this-one.conf'),
  });
  try {
    assert.ok(viaFlag.out().includes(`127.0.0.1:${fromFlag}`), viaFlag.out());
  } finally {
    await stop(viaFlag.child);
  }
});

test('load_definitions in the config file: a RabbitMQ export is imported at boot', async () => {
  const port = await freePort();
  const file = configFile('defs', [
    `listeners.tcp.default = 127.0.0.1:${port}`,
    `load_definitions = ${fixture}`,
  ]);
  const { child, out } = await startCli(['--config', file]);
  try {
    assert.match(out(), /Imported definitions from/);
    const conn = await amqp.connect(`amqp://defs-alice:alice-rabbit-pw@127.0.0.1:${port}/defs-import`);
    const ch = await conn.createChannel();
    const q = await ch.checkQueue('defs-orders.eu');
    assert.equal(q.queue, 'defs-orders.eu');
    await conn.close();
  } finally {
    await stop(child);
  }
});

test('a bad config file is refused: one log line with file and line number, exit code 1', async () => {
  const file = configFile('bad', ['heartbeat = 10', '', 'heartbeet = 10']);
  const { code, lines } = await runToExit(['--config', file]);
  assert.equal(code, 1);
  assert.equal(lines.length, 1, lines.join('\n'));
  assert.ok(lines[0]?.includes(`${file}:4: unknown key 'heartbeet'`), lines[0]);

  const badValue = configFile('bad-value', [
    'listeners.tcp.default = 5672',
    'disk_free_limit.absolute = lots',
  ]);
  const second = await runToExit([], { WARREN_CONFIG_FILE: badValue });
  assert.equal(second.code, 1);
  assert.equal(second.lines.length, 1);
  assert.match(
    second.lines[0] ?? '',
    /bad-value\.conf:3: disk_free_limit\.absolute: expected bytes or a size/,
  );

  const missing = await runToExit(['--config', join(tmp, 'nope.conf')]);
  assert.equal(missing.code, 1);
  assert.match(missing.lines.join('\n'), /nope\.conf: config file not found/);
});

test('a definitions file that does not import stops the start with one line naming the item', async () => {
  const defs = join(tmp, 'bad-defs.json');
  writeFileSync(defs, JSON.stringify({ queues: [{ name: 'q', vhost: 'nowhere' }] }));
  const file = configFile('bad-defs', ['listeners.tcp.default = 127.0.0.1:1', `load_definitions = ${defs}`]);
  const { code, lines } = await runToExit(['--config', file]);
  assert.equal(code, 1);
  const errors = lines.filter((l) => l.includes('"level":50'));
  assert.equal(errors.length, 1, lines.join('\n'));
  assert.match(
    errors[0] ?? '',
    /queues\[0\] \('q' in vhost 'nowhere'\): virtual host 'nowhere' does not exist/,
  );
});
