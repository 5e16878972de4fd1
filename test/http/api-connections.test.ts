/**
 * Connections, channels and consumers as the API lists them while real amqplib clients hold them,
 * and DELETE of a connection closing the client with 320 and the X-Reason text.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { after, before, test } from 'node:test';
import amqp from 'amqplib';
import type { Warren } from '../../src/index.js';
import { waitFor } from '../helpers/wait.js';
import { api, enc, get, startWarren, type Obj } from './http.js';

let w: Warren;
before(async () => {
  w = await startWarren();
});
after(() => w.close());

test('connections, channels and consumers of a live client', async () => {
  const conn = await amqp.connect(w.url, { clientProperties: { connection_name: 'lister' } });
  try {
    const ch = await conn.createChannel();
    await ch.prefetch(7);
    const q = await ch.assertQueue('', { exclusive: true });
    await ch.consume(q.queue, () => undefined, { consumerTag: 'tag-1', arguments: { 'x-priority': 3 } });
    const conns = await get<Obj[]>(w, '/connections');
    const c = conns.find((x) => x['user_provided_name'] === 'lister');
    assert.ok(c, 'the connection is listed');
    assert.equal(c['user'], 'guest');
    assert.equal(c['vhost'], '/');
    assert.equal(c['protocol'], 'AMQP 0-9-1');
    assert.equal(c['channels'], 1);
    assert.equal(c['auth_mechanism'], 'PLAIN');
    assert.equal(c['state'], 'running');
    assert.ok((c['recv_oct'] as number) > 0 && (c['send_oct'] as number) > 0);
    const name = c['name'] as string;
    assert.match(name, /^127\.0\.0\.1:\d+ -> 127\.0\.0\.1:\d+$/);

    const one = await get(w, `/connections/${enc(name)}`);
    assert.equal(one['name'], name);
    assert.equal((one['client_properties'] as Obj)['connection_name'], 'lister');

    const chans = await get<Obj[]>(w, `/connections/${enc(name)}/channels`);
    assert.equal(chans.length, 1);
    const chan = chans[0] as Obj;
    assert.equal(chan['name'], `${name} (1)`);
    assert.equal(chan['number'], 1);
    assert.equal(chan['prefetch_count'], 7);
    assert.equal(chan['consumer_count'], 1);
    assert.deepEqual(chan['connection_details'], {
      name,
      peer_host: c['peer_host'],
      peer_port: c['peer_port'],
    });
    assert.deepEqual(
      (await get<Obj[]>(w, '/channels')).map((x) => x['name']),
      [`${name} (1)`],
    );
    assert.equal((await get<Obj[]>(w, '/vhosts/%2F/channels')).length, 1);
    assert.equal((await get<Obj[]>(w, '/vhosts/%2F/connections')).length, 1);

    const detail = await get(w, `/channels/${enc(`${name} (1)`)}`);
    const consumers = detail['consumer_details'] as Obj[];
    assert.equal(consumers.length, 1);
    assert.equal(consumers[0]?.['consumer_tag'], 'tag-1');

    const all = await get<Obj[]>(w, '/consumers');
    assert.equal(all.length, 1);
    const cons = all[0] as Obj;
    assert.equal(cons['consumer_tag'], 'tag-1');
    assert.equal(cons['prefetch_count'], 7);
    assert.equal(cons['ack_required'], true);
    assert.deepEqual(cons['arguments'], { 'x-priority': 3 });
    assert.deepEqual(cons['queue'], { name: q.queue, vhost: '/' });
    assert.equal((cons['channel_details'] as Obj)['number'], 1);
    assert.equal((await get<Obj[]>(w, '/consumers/%2F')).length, 1);

    assert.equal((await api(w, 'GET', `/channels/${enc(`${name} (9)`)}`)).status, 404);
    assert.equal((await api(w, 'GET', '/connections/nope')).status, 404);
  } finally {
    await conn.close();
  }
});

test('DELETE /api/connections/:name closes the client with 320 and the X-Reason text', async () => {
  const conn = await amqp.connect(w.url);
  const closed = once(conn, 'close') as Promise<[Error & { code?: number }]>;
  conn.on('error', () => undefined);
  await waitFor(async () => (await get<Obj[]>(w, '/connections')).length === 1);
  const name = (await get<Obj[]>(w, '/connections'))[0]?.['name'] as string;
  const r = await api(w, 'DELETE', `/connections/${enc(name)}`, {
    headers: { 'x-reason': 'maintenance window' },
  });
  assert.equal(r.status, 204);
  const [err] = await closed;
  assert.equal(err.code, 320);
  assert.match(err.message, /CONNECTION_FORCED - maintenance window/);
  await waitFor(async () => (await get<Obj[]>(w, '/connections')).length === 0);
});

test("DELETE without X-Reason uses RabbitMQ's text", async () => {
  const conn = await amqp.connect(w.url);
  const closed = once(conn, 'close') as Promise<[Error & { code?: number }]>;
  conn.on('error', () => undefined);
  const name = (await get<Obj[]>(w, '/connections'))[0]?.['name'] as string;
  assert.equal((await api(w, 'DELETE', `/connections/${enc(name)}`)).status, 204);
  const [err] = await closed;
  assert.match(err.message, /Closed via management plugin/);
});
