/**
 * What an operator sees when things go wrong, and the exit codes scripts test: broker down (69),
 * credentials refused (77), bad command lines (64); plus version, status, await_startup and per-verb help.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { after, before, test } from 'node:test';
import { VERSION } from '../../src/version.js';
import { runCtl, startCtlBroker, type CtlBroker } from './ctl.js';

let b: CtlBroker;

before(async () => {
  b = await startCtlBroker();
});

after(async () => {
  await b?.close();
});

/** A loopback port nothing listens on. */
async function deadPort(): Promise<number> {
  const s = createServer().listen(0, '127.0.0.1');
  await once(s, 'listening');
  const port = (s.address() as { port: number }).port;
  s.close();
  await once(s, 'close');
  return port;
}

test('broker down: "could not reach the broker", exit 69, nothing on stdout', async () => {
  const port = await deadPort();
  const r = await runCtl(['--url', `http://127.0.0.1:${port}`, 'list_queues']);
  assert.equal(r.code, 69);
  assert.equal(
    r.stderr,
    `Error:\ncould not reach the broker at http://127.0.0.1:${port}: connection refused\n`,
  );
  assert.equal(r.stdout, '');
});

test('wrong password: credentials refused, exit 77; WARREN_URL/WARREN_PASSWORD are read', async () => {
  const r = await b.ctl(['--password', 'not-the-password', 'list_vhosts']);
  assert.equal(r.code, 77);
  assert.equal(
    r.stderr,
    `Error:\nthe broker at ${b.mgmtUrl.replace(/\/$/, '')} refused the credentials of user 'guest' (HTTP 401)\n`,
  );
  const env = await runCtl(['list_vhosts'], { env: { WARREN_URL: b.mgmtUrl, WARREN_PASSWORD: 'nope' } });
  assert.equal(env.code, 77);
  const ok = await runCtl(['-q', 'list_vhosts'], { env: { WARREN_URL: b.mgmtUrl } });
  assert.equal(ok.code, 0, ok.stderr);
  assert.match(ok.stdout, /^name\n(.*\n)*\/\n/);
});

test('bad command lines exit 64: no verb, unknown verb, missing argument, unknown option, bad formatter', async () => {
  for (const args of [
    [],
    ['no_such_verb'],
    ['delete_user'],
    ['list_queues', '--bogus'],
    ['list_queues', '--formatter', 'csv'],
  ]) {
    const r = await b.ctl(args);
    assert.equal(r.code, 64, `${args.join(' ')}: ${r.stderr}`);
    assert.notEqual(r.stderr, '', args.join(' '));
  }
});

test('--help for each verb, and help <verb>', async () => {
  const r = await runCtl(['delete_queue', '--help']);
  assert.equal(r.code, 0);
  assert.match(r.stdout, /^Usage: warrenctl delete_queue \[options\] <queue>/);
  assert.match(r.stdout, /--if-empty/);
  const h = await runCtl(['help', 'list_queues']);
  assert.equal(h.code, 0);
  assert.match(h.stdout, /Default columns: name messages\nColumns: name durable .*messages_ready/);
});

test('version prints the package version', async () => {
  const r = await runCtl(['version']);
  assert.equal(r.code, 0);
  assert.equal(r.stdout, `${VERSION}\n`);
});

test('await_startup: 0 at once when the broker is up; 75 after --timeout when nothing answers', async () => {
  const up = await b.ctl(['await_startup']);
  assert.equal(up.code, 0, up.stderr);
  const port = await deadPort();
  const started = Date.now();
  const down = await runCtl(['--url', `http://127.0.0.1:${port}`, '--timeout', '1', 'await_startup']);
  assert.equal(down.code, 75);
  assert.match(down.stderr, /did not start within 1 seconds/);
  assert.ok(Date.now() - started < 10_000);
});

test('status: sections in table mode, an object with --formatter json', async () => {
  const r = await b.ctl(['status']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^Status of node \S+ \.\.\.\n/);
  for (const section of [
    'Runtime',
    'Alarms',
    'Memory',
    'File Descriptors',
    'Free Disk Space',
    'Totals',
    'Listeners',
  ])
    assert.match(r.stdout, new RegExp(`\\n${section}\\n\\n`), section);
  assert.match(r.stdout, /Interface: .*, port: \d+, protocol: amqp, purpose: AMQP 0-9-1/);
  const j = await b.ctl(['status', '--formatter', 'json']);
  const s = JSON.parse(j.stdout) as { totals: { virtual_host_count: number }; listeners: unknown[] };
  assert.ok(s.totals.virtual_host_count >= 1);
  assert.ok(s.listeners.length >= 1);
});

test('environment prints the node settings', async () => {
  const r = await b.ctl(['environment']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^Application environment of node \S+ \.\.\.\n\[\{\w+,\n/);
  assert.match(r.stdout, /\{listeners,\[/);
});
