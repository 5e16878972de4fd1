/**
 * The management and Prometheus listeners as an embedder sees them: free ports when the broker is on
 * port 0, off with `false`, named in listeners, closed (keep-alive sockets too) by close().
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { test } from 'node:test';
import { Warren } from '../../src/index.js';
import { UI_ROOT } from '../../src/http/management-app.js';
import { api, startWarren } from './http.js';

test('port 0: management and Prometheus take free ports and answer', async () => {
  const a = await startWarren();
  const b = await startWarren();
  try {
    assert.match(a.managementUrl, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.match(a.prometheusUrl, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.notEqual(a.managementUrl, b.managementUrl);
    assert.notEqual(new URL(a.managementUrl).port, '15672');
    const r = await api(a, 'GET', '/overview');
    assert.equal(r.status, 200);
    const listeners = (r.json as { listeners: { protocol: string; port: number }[] }).listeners;
    assert.deepEqual(
      listeners.map((l) => l.protocol),
      ['amqp', 'http', 'http/prometheus'],
    );
    assert.equal(listeners[1]?.port, Number(new URL(a.managementUrl).port));
    const m = await fetch(`${a.prometheusUrl}/metrics`);
    assert.equal(m.status, 200);
    assert.match(await m.text(), /^rabbitmq_connections 0$/m);
  } finally {
    await Promise.all([a.close(), b.close()]);
  }
});

test('managementPort and prometheusPort false: no listeners, getters throw', async () => {
  const w = await startWarren({ managementPort: false, prometheusPort: false });
  try {
    assert.throws(() => w.managementUrl, /no management listener/);
    assert.throws(() => w.prometheusUrl, /no Prometheus listener/);
    assert.deepEqual(
      w.listeners().map((l) => l.protocol),
      ['amqp'],
    );
  } finally {
    await w.close();
  }
});

test('close() frees both ports at once, even with a keep-alive connection open', async () => {
  const w = await startWarren();
  const mgmt = Number(new URL(w.managementUrl).port);
  const prom = Number(new URL(w.prometheusUrl).port);
  // A keep-alive client connection stays open after this answer.
  assert.equal((await api(w, 'GET', '/whoami')).status, 200);
  const started = Date.now();
  await w.close();
  assert.ok(Date.now() - started < 1000, 'close did not wait for idle keep-alive sockets');
  for (const port of [mgmt, prom]) {
    const s = createServer();
    await new Promise<void>((resolve, reject) => {
      s.once('error', reject);
      s.listen(port, '127.0.0.1', resolve);
    });
    await new Promise((r) => s.close(r));
  }
});

test('explicit ports are used as given; a taken port fails the start and frees the others', async () => {
  const blocker = createServer();
  await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
  const taken = (blocker.address() as { port: number }).port;
  try {
    await assert.rejects(
      Warren.start({ host: '127.0.0.1', port: 0, managementPort: taken, logLevel: 'silent' }),
      /EADDRINUSE/,
    );
  } finally {
    await new Promise((r) => blocker.close(r));
  }
});

test('the web UI is served at / when built, else / explains that it was not built', async () => {
  const w = await startWarren();
  try {
    const res = await fetch(`${w.managementUrl}/`);
    const text = await res.text();
    if (existsSync(UI_ROOT)) {
      assert.equal(res.status, 200);
      assert.match(res.headers.get('content-type') ?? '', /text\/html/);
    } else {
      assert.equal(res.status, 404);
      assert.match(text, /web UI was not built/);
    }
    // API paths are never the UI's.
    const missing = await api(w, 'GET', '/no-such-endpoint');
    assert.equal(missing.status, 404);
    assert.deepEqual(missing.json, { error: 'Object Not Found', reason: 'Not Found' });
  } finally {
    await w.close();
  }
});

test('Warren.start stays fast: the HTTP apps are built on the first request', async () => {
  const t0 = performance.now();
  const w = await startWarren();
  const ms = performance.now() - t0;
  await w.close();
  assert.ok(ms < 100, `Warren.start took ${ms.toFixed(1)} ms`);
});
