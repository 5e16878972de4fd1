/**
 * Vhosts, users, permissions, topic permissions, policies, definitions, health checks and the
 * node endpoints, each change checked where it takes effect (an AMQP login, a policy applied).
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import amqp from 'amqplib';
import type { Warren } from '../../src/index.js';
import { api, get, startWarren, type Obj } from './http.js';

let w: Warren;
before(async () => {
  w = await startWarren();
});
after(() => w.close());

const amqpUrl = (user: string, pass: string, vhost: string): string => {
  const u = new URL(w.url);
  u.username = user;
  u.password = pass;
  u.pathname = `/${encodeURIComponent(vhost)}`;
  return u.toString();
};

test('vhosts, users and permissions: created over HTTP, an AMQP login proves them', async () => {
  assert.equal(
    (await api(w, 'PUT', '/vhosts/shop', { body: { description: 'the shop', tags: 'a,b' } })).status,
    201,
  );
  assert.equal((await api(w, 'PUT', '/vhosts/shop', { body: { description: 'the shop!' } })).status, 204);
  const v = await get(w, '/vhosts/shop');
  assert.equal(v['description'], 'the shop!');
  assert.deepEqual(v['tags'], ['a', 'b']);
  assert.deepEqual(v['metadata'], { description: 'the shop!', tags: ['a', 'b'] });
  assert.ok((await get<Obj[]>(w, '/vhosts')).some((x) => x['name'] === 'shop'));

  assert.equal(
    (await api(w, 'PUT', '/users/alice', { body: { password: 'pw', tags: 'management' } })).status,
    201,
  );
  assert.equal(
    (await api(w, 'PUT', '/users/alice', { body: { password: 'pw2', tags: ['management'] } })).status,
    204,
  );
  assert.deepEqual((await api(w, 'PUT', '/users/bob', { body: { password: 'x' } })).json, {
    error: 'bad_request',
    reason: 'tags_not_present',
  });
  assert.deepEqual(
    (await api(w, 'PUT', '/users/bob', { body: { password: 'x', password_hash: 'y', tags: '' } })).json,
    {
      error: 'bad_request',
      reason: 'both_password_and_password_hash_are_provided',
    },
  );
  const alice = await get(w, '/users/alice');
  assert.deepEqual(alice['tags'], ['management']);
  assert.equal(alice['hashing_algorithm'], 'rabbit_password_hashing_sha256');
  assert.ok((await get<Obj[]>(w, '/users/without-permissions')).some((u) => u['name'] === 'alice'));

  assert.deepEqual(
    (await api(w, 'PUT', '/permissions/shop/nobody', { body: { configure: '.*', write: '.*', read: '.*' } }))
      .json,
    { error: 'bad_request', reason: 'vhost_or_user_not_found' },
  );
  assert.equal(
    (await api(w, 'PUT', '/permissions/shop/alice', { body: { configure: '.*', write: '.*' } })).status,
    400,
  );
  assert.equal(
    (await api(w, 'PUT', '/permissions/shop/alice', { body: { configure: '', write: '.*', read: '.*' } }))
      .status,
    201,
  );
  assert.deepEqual(await get(w, '/permissions/shop/alice'), {
    user: 'alice',
    vhost: 'shop',
    configure: '',
    write: '.*',
    read: '.*',
  });
  assert.equal((await get<Obj[]>(w, '/users/alice/permissions')).length, 1);
  assert.equal((await get<Obj[]>(w, '/vhosts/shop/permissions')).length, 2); // alice and guest (creator)

  // The new user logs in over AMQP with the new password, and cannot configure.
  const conn = await amqp.connect(amqpUrl('alice', 'pw2', 'shop'));
  const ch = await conn.createChannel();
  ch.on('error', () => undefined);
  await assert.rejects(ch.assertQueue('denied'), /ACCESS_REFUSED/);
  await conn.close().catch(() => undefined);

  assert.equal(
    (
      await api(w, 'PUT', '/topic-permissions/shop/alice', {
        body: { exchange: 'amq.topic', write: '^a', read: '.*' },
      })
    ).status,
    201,
  );
  assert.deepEqual(await get<Obj[]>(w, '/topic-permissions/shop/alice'), [
    { user: 'alice', vhost: 'shop', exchange: 'amq.topic', write: '^a', read: '.*' },
  ]);
  assert.equal((await api(w, 'DELETE', '/topic-permissions/shop/alice')).status, 204);
  assert.equal((await api(w, 'GET', '/topic-permissions/shop/alice')).status, 404);

  assert.equal((await api(w, 'DELETE', '/permissions/shop/alice')).status, 204);
  assert.equal((await api(w, 'DELETE', '/permissions/shop/alice')).status, 404);
  assert.equal((await api(w, 'DELETE', '/users/alice')).status, 204);
  assert.equal((await api(w, 'DELETE', '/users/alice')).status, 404);
  assert.equal((await api(w, 'DELETE', '/vhosts/shop')).status, 204);
  assert.equal((await api(w, 'DELETE', '/vhosts/shop')).status, 404);
});

test('users/bulk-delete and a deleted user losing its connection', async () => {
  for (const u of ['u1', 'u2']) {
    await api(w, 'PUT', `/users/${u}`, { body: { password: 'p', tags: '' } });
    await api(w, 'PUT', `/permissions/%2F/${u}`, { body: { configure: '.*', write: '.*', read: '.*' } });
  }
  const conn = await amqp.connect(amqpUrl('u1', 'p', '/'));
  const closed = new Promise((resolve) => conn.on('close', resolve));
  conn.on('error', () => undefined);
  assert.equal((await api(w, 'POST', '/users/bulk-delete', { body: { users: ['u1', 'u2'] } })).status, 204);
  await closed;
  assert.equal((await api(w, 'GET', '/users/u2')).status, 404);
});

test('policies: set over HTTP applies to a queue; validation errors are 400', async () => {
  await api(w, 'PUT', '/queues/%2F/pol-q', { body: {} });
  const put = await api(w, 'PUT', '/policies/%2F/limit', {
    body: { pattern: '^pol-', definition: { 'max-length': 2 }, 'apply-to': 'queues', priority: 3 },
  });
  assert.equal(put.status, 201);
  assert.deepEqual(await get(w, '/policies/%2F/limit'), {
    vhost: '/',
    name: 'limit',
    pattern: '^pol-',
    'apply-to': 'queues',
    definition: { 'max-length': 2 },
    priority: 3,
  });
  const q = await get(w, '/queues/%2F/pol-q');
  assert.equal(q['policy'], 'limit');
  assert.deepEqual(q['effective_policy_definition'], { 'max-length': 2 });
  assert.equal(
    (
      await api(w, 'PUT', '/policies/%2F/limit', {
        body: { pattern: '^pol-', definition: { 'max-length': 3 } },
      })
    ).status,
    204,
  );
  const invalid = await api(w, 'PUT', '/policies/%2F/bad', {
    body: { pattern: '^x', definition: { 'max-length': 'x' } },
  });
  assert.equal(invalid.status, 400);
  assert.equal((invalid.json as Obj)['error'], 'bad_request');
  assert.equal((await api(w, 'PUT', '/policies/%2F/bad', { body: { pattern: '^x' } })).status, 400);
  assert.deepEqual(
    (await api(w, 'PUT', '/policies/nope/p', { body: { pattern: 'x', definition: {} } })).json,
    {
      error: 'not_found',
      reason: 'vhost_not_found',
    },
  );
  assert.equal((await get<Obj[]>(w, '/policies')).length, 1);
  assert.equal((await api(w, 'DELETE', '/policies/%2F/limit')).status, 204);
  assert.equal((await api(w, 'DELETE', '/policies/%2F/limit')).status, 404);
  assert.equal((await get(w, '/queues/%2F/pol-q'))['policy'], null);
  await api(w, 'DELETE', '/queues/%2F/pol-q');
});

test('definitions: export, import into another broker, per-vhost export and import', async () => {
  await api(w, 'PUT', '/vhosts/defs', { body: {} });
  await api(w, 'PUT', '/exchanges/defs/dx', { body: { type: 'fanout', durable: true } });
  await api(w, 'PUT', '/queues/defs/dq', { body: { durable: true, arguments: { 'x-message-ttl': 1000 } } });
  await api(w, 'POST', '/bindings/defs/e/dx/q/dq', { body: { routing_key: 'r' } });
  await api(w, 'PUT', '/users/carol', { body: { password: 'c', tags: 'monitoring' } });
  const exported = await get(w, '/definitions');
  assert.ok((exported['queues'] as Obj[]).some((q) => q['name'] === 'dq' && q['vhost'] === 'defs'));

  const other = await startWarren();
  try {
    assert.equal((await api(other, 'POST', '/definitions', { body: exported })).status, 204);
    const again = await get(other, '/definitions');
    for (const key of ['queues', 'exchanges', 'bindings', 'vhosts', 'permissions']) {
      assert.deepEqual(again[key], exported[key], key);
    }
    // carol logs in to the other broker with her password hash carried over.
    assert.equal((await api(other, 'GET', '/whoami', { user: 'carol', password: 'c' })).status, 200);

    const vhostDefs = await get(w, '/definitions/defs');
    assert.deepEqual(Object.keys(vhostDefs).sort(), [
      'bindings',
      'exchanges',
      'parameters',
      'policies',
      'queues',
      'rabbit_version',
    ]);
    assert.equal((vhostDefs['queues'] as Obj[])[0]?.['vhost'], undefined);
    await api(other, 'PUT', '/vhosts/copy', { body: {} });
    assert.equal((await api(other, 'POST', '/definitions/copy', { body: vhostDefs })).status, 204);
    assert.deepEqual((await get(other, '/queues/copy/dq'))['arguments'], { 'x-message-ttl': 1000 });
    assert.equal(
      (await api(other, 'POST', '/definitions', { body: '{"queues": [{"name": 3}]}' })).status,
      400,
    );
  } finally {
    await other.close();
  }
  await api(w, 'DELETE', '/vhosts/defs');
  await api(w, 'DELETE', '/users/carol');
});

test('health checks, aliveness test, node, overview, whoami, extensions, cluster name', async () => {
  assert.deepEqual(await get(w, '/health/checks/alarms'), { status: 'ok' });
  assert.deepEqual(await get(w, '/health/checks/local-alarms'), { status: 'ok' });
  assert.deepEqual(await get(w, '/health/checks/virtual-hosts'), { status: 'ok' });
  assert.deepEqual(await get(w, `/health/checks/port-listener/${w.port}`), { status: 'ok', port: w.port });
  assert.equal((await api(w, 'GET', '/health/checks/port-listener/1')).status, 503);
  assert.deepEqual(await get(w, '/health/checks/protocol-listener/amqp'), { status: 'ok', protocol: 'amqp' });
  w.broker.alarms.set('memory', 'test');
  try {
    const alarmed = await api(w, 'GET', '/health/checks/alarms');
    assert.equal(alarmed.status, 503);
    assert.deepEqual(alarmed.json, {
      status: 'failed',
      reason: 'There are alarms in effect in the cluster',
      alarms: [{ resource: 'memory', node: w.broker.clusterName }],
    });
  } finally {
    w.broker.alarms.clear('memory', 'test');
  }
  assert.deepEqual(await get(w, '/aliveness-test/%2F'), { status: 'ok' });
  assert.deepEqual(await get(w, '/whoami'), { name: 'guest', tags: ['administrator'] });
  assert.deepEqual(await get(w, '/extensions'), []);
  const nodes = await get<Obj[]>(w, '/nodes');
  assert.equal(nodes[0]?.['name'], w.broker.clusterName);
  assert.equal(nodes[0]?.['running'], true);
  assert.equal(
    (await get(w, `/nodes/${encodeURIComponent(w.broker.clusterName)}`))['name'],
    w.broker.clusterName,
  );
  const o = await get(w, '/overview');
  assert.equal(o['product_name'], 'Warren');
  assert.equal(o['node'], w.broker.clusterName);
  assert.equal((o['object_totals'] as Obj)['exchanges'], 7); // the default and amq.* ones, as RabbitMQ
  assert.equal((await api(w, 'PUT', '/cluster-name', { body: { name: 'renamed' } })).status, 204);
  assert.deepEqual(await get(w, '/cluster-name'), { name: 'renamed' });
});
