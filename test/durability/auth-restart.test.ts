/**
 * Users, vhosts, permissions, topic permissions and limits survive a restart (and a kill -9: every
 * change is written before it is acknowledged); the default user and vhost are seeded only into a
 * directory without users, vhosts and permissions (RabbitMQ checks at every boot); deleting a vhost
 * removes its durable queues and messages for good. Warren only.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { after, describe, test } from 'node:test';
import amqp from 'amqplib';
import { Warren, type WarrenOptions } from '../../src/index.js';
import { DefinitionsStore } from '../../src/store/definitions.js';
import { SOCKET_OPTIONS } from '../helpers/amqp.js';

const skip = process.env['WARREN_TEST_URL'] ? 'Warren only' : false;
const here = dirname(fileURLToPath(import.meta.url));

describe('users, vhosts and permissions across restarts', { skip }, () => {
  const dirs: string[] = [];
  let running: Warren | undefined;
  after(async () => {
    await running?.close();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  function freshDir(): string {
    const d = mkdtempSync(join(tmpdir(), 'warren-auth-'));
    dirs.push(d);
    return d;
  }

  /** Closes the running broker (one per directory at a time) and opens `dir`. */
  async function start(dir: string, options: Partial<WarrenOptions> = {}): Promise<Warren> {
    await running?.close();
    running = await Warren.start({
      host: '127.0.0.1',
      port: 0,
      logLevel: 'silent',
      dataDir: dir,
      ...options,
    });
    return running;
  }

  async function canLogin(w: Warren, user: string, password: string, vhost = '/'): Promise<boolean> {
    try {
      const url = `amqp://${user}:${password}@127.0.0.1:${w.port}/${encodeURIComponent(vhost)}`;
      const c = await amqp.connect(url, SOCKET_OPTIONS);
      await c.close();
      return true;
    } catch {
      return false;
    }
  }

  test('everything set through the core API comes back after a restart', async () => {
    const dir = freshDir();
    let w = await start(dir);
    const b = w.broker;
    b.addVhost('tenant', { description: 'a tenant', tags: ['eu'], defaultQueueType: 'quorum' });
    b.setVhostLimits('tenant', { 'max-queues': 10, 'max-connections': 5 });
    b.addUser('alice', 'first', ['management', 'custom']);
    b.changePassword('alice', 'second');
    b.setUserLimits('alice', { 'max-channels': 7 });
    b.setPermissions('alice', 'tenant', { configure: '^a-', write: '.*', read: '' });
    b.setTopicPermissions('alice', 'tenant', 'amq.topic', { write: '^{username}\\.', read: '.*' });
    b.setTopicPermissions('alice', 'tenant', 'other', { write: 'x', read: 'y' });
    b.clearTopicPermissions('alice', 'tenant', 'other');
    b.addUser('bob', 'pw');
    b.setPermissions('bob', 'tenant', { configure: '.*', write: '.*', read: '.*' });
    b.deleteUser('bob');
    b.addUser('carol', undefined);
    b.addVhost('gone');
    b.setPermissions('alice', 'gone', { configure: '.*', write: '.*', read: '.*' });
    b.deleteVhost('gone');

    w = await start(dir);
    const r = w.broker;
    assert.deepEqual([...r.vhosts.keys()].sort(), ['/', 'tenant']);
    assert.deepEqual(r.vhosts.get('tenant')?.metadata, {
      description: 'a tenant',
      tags: ['eu'],
      defaultQueueType: 'quorum',
    });
    assert.deepEqual(r.vhosts.get('tenant')?.limits, { 'max-queues': 10, 'max-connections': 5 });
    assert.deepEqual(
      r
        .listUsers()
        .map((u) => [u.name, u.tags, u.limits])
        .sort(),
      [
        ['alice', ['management', 'custom'], { 'max-channels': 7 }],
        ['carol', [], {}],
        ['guest', ['administrator'], {}],
      ],
    );
    assert.deepEqual(r.listPermissions({ user: 'alice' }), [
      { user: 'alice', vhost: 'tenant', configure: '^a-', write: '.*', read: '' },
    ]);
    assert.deepEqual(r.listTopicPermissions(), [
      { user: 'alice', vhost: 'tenant', exchange: 'amq.topic', write: '^{username}\\.', read: '.*' },
    ]);
    assert.equal(await canLogin(w, 'alice', 'second', 'tenant'), true);
    assert.equal(await canLogin(w, 'alice', 'first', 'tenant'), false);
    assert.equal(await canLogin(w, 'guest', 'guest'), true);
    // The recovered permissions are enforced, not just listed.
    const c = await amqp.connect(`amqp://alice:second@127.0.0.1:${w.port}/tenant`, SOCKET_OPTIONS);
    c.on('error', () => {});
    const ch = await c.createChannel();
    ch.on('error', () => {});
    await ch.assertQueue('a-ok', { durable: false });
    await assert.rejects(ch.assertQueue('b-refused', { durable: false }), /403/);
    await c.close().catch(() => {});
  });

  test('the default user and vhost are seeded only into an empty directory, from the configured names', async () => {
    const dir = freshDir();
    let w = await start(dir, { defaultUser: 'admin', defaultPass: 'pw', defaultVhost: 'main' });
    assert.equal(await canLogin(w, 'admin', 'pw', 'main'), true);
    w.broker.addUser('ops', 'ops-pw', ['administrator']);
    w.broker.setPermissions('ops', 'main', { configure: '.*', write: '.*', read: '.*' });
    w.broker.deleteUser('admin');
    w = await start(dir);
    // Not guest/guest on "/" now: the directory has users, so nothing is seeded.
    assert.deepEqual(
      w.broker.listUsers().map((u) => u.name),
      ['ops'],
    );
    assert.deepEqual([...w.broker.vhosts.keys()], ['main']);
    assert.equal(await canLogin(w, 'ops', 'ops-pw', 'main'), true);
    // RabbitMQ checks at every boot: with every user, vhost and permission gone, it seeds again.
    w.broker.deleteUser('ops');
    w.broker.deleteVhost('main');
    w = await start(dir);
    assert.deepEqual(
      w.broker.listUsers().map((u) => u.name),
      ['guest'],
    );
    assert.equal(await canLogin(w, 'guest', 'guest'), true);
  });

  test('a data directory from before users were stored gets the defaults, its vhosts recorded', async () => {
    const dir = freshDir();
    // What an older Warren left: definitions without any user or vhost line.
    const defs = new DefinitionsStore(dir);
    defs.open();
    defs.putExchange({
      vhost: 'legacy',
      name: 'old-x',
      type: 'fanout',
      autoDelete: false,
      internal: false,
      arguments: {},
    });
    defs.putExchange({
      vhost: '/',
      name: 'root-x',
      type: 'direct',
      autoDelete: false,
      internal: false,
      arguments: {},
    });
    defs.close();
    let w = await start(dir);
    assert.ok(w.broker.vhosts.get('legacy')?.exchanges.has('old-x'));
    assert.equal(await canLogin(w, 'guest', 'guest'), true);
    w.broker.vhost('legacy').deleteExchange('old-x', false);
    w = await start(dir);
    // The vhost was recorded when it was found: it outlives its last exchange.
    assert.ok(w.broker.vhosts.has('legacy'));
    assert.ok(w.broker.vhost('/').exchanges.has('root-x'));
    assert.equal(await canLogin(w, 'guest', 'guest'), true);
  });

  test('deleting a vhost deletes its durable queues and their messages for good', async () => {
    const dir = freshDir();
    let w = await start(dir);
    w.broker.addVhost('doomed');
    w.broker.setPermissions('guest', 'doomed', { configure: '.*', write: '.*', read: '.*' });
    const url = `amqp://guest:guest@127.0.0.1:${w.port}/doomed`;
    let c = await amqp.connect(url, SOCKET_OPTIONS);
    c.on('error', () => {});
    const ch = await c.createConfirmChannel();
    await ch.assertQueue('dq', { durable: true });
    await ch.assertExchange('dx', 'fanout', { durable: true });
    await ch.bindQueue('dq', 'dx', '');
    for (let i = 0; i < 10; i++) ch.sendToQueue('dq', Buffer.from(`m${i}`), { persistent: true });
    await ch.waitForConfirms();
    w.broker.deleteVhost('doomed');
    w = await start(dir);
    assert.equal(w.broker.vhosts.has('doomed'), false);
    w.broker.addVhost('doomed');
    w.broker.setPermissions('guest', 'doomed', { configure: '.*', write: '.*', read: '.*' });
    assert.equal(w.broker.vhost('doomed').queues.size, 0);
    assert.equal(w.broker.vhost('doomed').exchanges.has('dx'), false);
    c = await amqp.connect(`amqp://guest:guest@127.0.0.1:${w.port}/doomed`, SOCKET_OPTIONS);
    const ch2 = await c.createChannel();
    await ch2.assertQueue('dq', { durable: true });
    assert.equal((await ch2.checkQueue('dq')).messageCount, 0);
    await c.close();
  });

  test('a user added and permitted just before kill -9 is there after the restart', async () => {
    const dir = freshDir();
    await running?.close();
    running = undefined;
    // The child adds a vhost, a user and its permissions, says "ready", and waits to be killed.
    const index = pathToFileURL(join(here, '..', '..', 'src', 'index.js')).href;
    const code = `
      const { Warren } = await import(${JSON.stringify(index)});
      const w = await Warren.start({ host: '127.0.0.1', port: 0, logLevel: 'silent', dataDir: process.argv[1] });
      w.broker.addVhost('kv');
      w.broker.addUser('killed', 'pw', ['monitoring']);
      w.broker.setPermissions('killed', 'kv', { configure: '.*', write: '.*', read: '.*' });
      process.stdout.write('ready\\n');
      setInterval(() => {}, 1000);`;
    const child = spawn(process.execPath, ['--input-type=module', '-e', code, dir], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const [line] = (await once(child.stdout, 'data')) as [Buffer];
    assert.equal(line.toString().trim(), 'ready');
    child.kill('SIGKILL');
    await once(child, 'exit');
    const w = await start(dir);
    assert.equal(await canLogin(w, 'killed', 'pw', 'kv'), true);
    assert.deepEqual(w.broker.users.get('killed')?.tags, ['monitoring']);
  });
});
