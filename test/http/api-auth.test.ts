/**
 * The tag matrix, with the status codes and texts RabbitMQ 3.10 answers (checked on the reference):
 * who may read what, who may change what, and whose connections each user sees.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import amqp, { type ChannelModel } from 'amqplib';
import type { Warren } from '../../src/index.js';
import { api, get, startWarren, type Obj } from './http.js';

let w: Warren;
const conns: ChannelModel[] = [];
const TAGS = ['management', 'policymaker', 'monitoring', 'administrator', 'none'] as const;
type Tag = (typeof TAGS)[number];
const as = (tag: Tag) => ({ user: `u-${tag}`, password: 'pw' });
const refused = (reason: string) => ({ error: 'not_authorised', reason });

before(async () => {
  w = await startWarren();
  w.broker.addVhost('other');
  for (const tag of TAGS) {
    w.broker.addUser(`u-${tag}`, 'pw', tag === 'none' ? [] : [tag]);
    w.broker.setPermissions(`u-${tag}`, '/', { configure: '.*', write: '.*', read: '.*' });
    const u = new URL(w.url);
    u.username = `u-${tag}`;
    u.password = 'pw';
    conns.push(await amqp.connect(u.toString()));
  }
});
after(async () => {
  for (const c of conns) await c.close();
  await w.close();
});

test('no credentials: 401 with an empty body and the Basic challenge; bad ones: "Login failed"', async () => {
  const r = await api(w, 'GET', '/overview', { anonymous: true });
  assert.equal(r.status, 401);
  assert.equal(r.text, '');
  assert.equal(r.headers.get('www-authenticate'), 'Basic realm="RabbitMQ Management"');
  const bad = await api(w, 'GET', '/overview', { user: 'guest', password: 'wrong' });
  assert.equal(bad.status, 401);
  assert.deepEqual(bad.json, { error: 'not_authorized', reason: 'Login failed' });
  // The login page's question needs no credentials.
  assert.equal((await api(w, 'GET', '/auth', { anonymous: true })).status, 200);
});

test('a user without a management tag is refused everywhere', async () => {
  for (const path of ['/overview', '/whoami', '/queues', '/vhosts', '/users', '/connections']) {
    const r = await api(w, 'GET', path, as('none'));
    assert.equal(r.status, 401, path);
    assert.deepEqual(r.json, refused('Not management user'), path);
  }
});

test('reads: management < monitoring < administrator, as RabbitMQ answers them', async () => {
  const expect: [string, Partial<Record<Tag, number | string>>][] = [
    ['/overview', { management: 200, policymaker: 200, monitoring: 200, administrator: 200 }],
    ['/whoami', { management: 200, monitoring: 200, administrator: 200 }],
    [
      '/nodes',
      {
        management: 'Not monitor user',
        policymaker: 'Not monitor user',
        monitoring: 200,
        administrator: 200,
      },
    ],
    [
      '/users',
      { management: 'Not administrator user', monitoring: 'Not administrator user', administrator: 200 },
    ],
    [
      '/permissions',
      { management: 'Not administrator user', monitoring: 'Not administrator user', administrator: 200 },
    ],
    [
      '/definitions',
      { management: 'Not administrator user', monitoring: 'Not administrator user', administrator: 200 },
    ],
    ['/vhosts/%2F', { management: 'Not administrator user', administrator: 200 }],
    [
      '/queues/other',
      {
        management: 'User not authorised to access virtual host',
        monitoring: 'User not authorised to access virtual host',
        administrator: 200,
      },
    ],
    ['/queues/%2F', { management: 200, monitoring: 200, administrator: 200 }],
    ['/policies/%2F', { management: 200, policymaker: 200 }],
    ['/health/checks/alarms', { management: 200 }],
    ['/aliveness-test/%2F', { management: 200 }],
    [
      '/aliveness-test/other',
      { management: 'User not authorised to access virtual host', administrator: 'Access refused.' },
    ],
  ];
  for (const [path, byTag] of expect) {
    for (const [tag, want] of Object.entries(byTag) as [Tag, number | string][]) {
      const r = await api(w, 'GET', path, as(tag));
      if (typeof want === 'number') assert.equal(r.status, want, `${tag} GET ${path}: ${r.text}`);
      else {
        assert.equal(r.status, 401, `${tag} GET ${path}`);
        assert.deepEqual(r.json, refused(want), `${tag} GET ${path}`);
      }
    }
  }
});

test('listings: whose connections and which vhosts each user sees', async () => {
  const users = async (tag: Tag, path: string) =>
    (await get<Obj[]>(w, path, as(tag))).map((c) => c['user'] as string).sort();
  assert.deepEqual(await users('management', '/connections'), ['u-management']);
  assert.deepEqual(await users('management', '/channels'), []);
  assert.deepEqual(await users('monitoring', '/connections'), TAGS.map((t) => `u-${t}`).sort());
  assert.equal((await users('administrator', '/connections')).length, TAGS.length);
  const vhosts = async (tag: Tag) => (await get<Obj[]>(w, '/vhosts', as(tag))).map((v) => v['name']).sort();
  assert.deepEqual(await vhosts('management'), ['/']);
  assert.deepEqual(await vhosts('monitoring'), ['/', 'other']);
  assert.deepEqual(await vhosts('administrator'), ['/', 'other']);
});

test("writes: permissions decide queues, tags decide policies, vhosts, users and others' connections", async () => {
  assert.equal((await api(w, 'PUT', '/queues/%2F/mq', { ...as('management'), body: {} })).status, 201);
  assert.equal((await api(w, 'DELETE', '/queues/%2F/mq', as('monitoring'))).status, 204);
  assert.deepEqual(
    (await api(w, 'PUT', '/queues/other/mq', { ...as('management'), body: {} })).json,
    refused('User not authorised to access virtual host'),
  );
  // An administrator without permissions in the vhost is refused by the permission check, as over AMQP.
  assert.deepEqual(
    (await api(w, 'PUT', '/queues/other/mq', { ...as('administrator'), body: {} })).json,
    refused('Access refused.'),
  );

  const policy = { pattern: '^p', definition: { 'max-length': 1 } };
  assert.deepEqual(
    (await api(w, 'PUT', '/policies/%2F/p1', { ...as('management'), body: policy })).json,
    refused('User not authorised to access object'),
  );
  assert.equal((await api(w, 'PUT', '/policies/%2F/p1', { ...as('policymaker'), body: policy })).status, 201);
  assert.equal((await api(w, 'DELETE', '/policies/%2F/p1', as('administrator'))).status, 204);

  assert.deepEqual(
    (await api(w, 'PUT', '/vhosts/v2', { ...as('management'), body: {} })).json,
    refused('Not administrator user'),
  );
  assert.deepEqual(
    (await api(w, 'PUT', '/users/x', { ...as('monitoring'), body: { password: 'x', tags: '' } })).json,
    refused('Not administrator user'),
  );

  const all = await get<Obj[]>(w, '/connections', as('administrator'));
  const adminsConn = all.find((c) => c['user'] === 'u-administrator')?.['name'] as string;
  const ownConn = all.find((c) => c['user'] === 'u-management')?.['name'] as string;
  assert.deepEqual(
    (await api(w, 'GET', `/connections/${encodeURIComponent(adminsConn)}`, as('management'))).json,
    refused('User not authorised to access object'),
  );
  assert.equal(
    (await api(w, 'DELETE', `/connections/${encodeURIComponent(adminsConn)}`, as('monitoring'))).status,
    401,
  );
  conns[0]?.on('error', () => undefined);
  assert.equal(
    (await api(w, 'DELETE', `/connections/${encodeURIComponent(ownConn)}`, as('management'))).status,
    204,
  );
});
