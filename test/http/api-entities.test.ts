/**
 * Exchanges, queues and bindings through the API, checked against what a real AMQP client sees:
 * declare, inspect, delete with if-unused / if-empty, purge, bind with a Location header, publish
 * and get messages with every ack mode and encoding.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import amqp, { type Channel, type ChannelModel } from 'amqplib';
import type { Warren } from '../../src/index.js';
import { api, get, startWarren, type Obj } from './http.js';

let w: Warren;
let conn: ChannelModel;
let ch: Channel;
before(async () => {
  w = await startWarren();
  conn = await amqp.connect(w.url);
  ch = await conn.createChannel();
});
after(async () => {
  await conn.close();
  await w.close();
});

test('PUT/GET/DELETE a queue: 201 then 204, equivalence 400, if-empty, if-unused, 404', async () => {
  assert.equal(
    (await api(w, 'PUT', '/queues/%2F/orders', { body: { durable: true, arguments: { 'x-max-length': 5 } } }))
      .status,
    201,
  );
  assert.equal(
    (
      await api(w, 'PUT', '/queues/%2F/orders', {
        body: { durable: 'true', arguments: { 'x-max-length': 5 } },
      })
    ).status,
    204,
  );
  const bad = await api(w, 'PUT', '/queues/%2F/orders', { body: { durable: false } });
  assert.equal(bad.status, 400);
  assert.deepEqual(bad.json, {
    error: 'bad_request',
    reason:
      "inequivalent arg 'durable' for queue 'orders' in vhost '/': received 'false' but current is 'true'",
  });
  // AMQP sees it as declared.
  const ok = await ch.checkQueue('orders');
  assert.equal(ok.messageCount, 0);

  const q = await get(w, '/queues/%2F/orders');
  assert.equal(q['durable'], true);
  assert.deepEqual(q['arguments'], { 'x-max-length': 5 });
  assert.equal(q['messages'], 0);
  assert.deepEqual(q['consumer_details'], []);

  ch.sendToQueue('orders', Buffer.from('a'));
  await waitForMessages('orders', 1);
  const notEmpty = await api(w, 'DELETE', '/queues/%2F/orders?if-empty=true');
  assert.equal(notEmpty.status, 400);
  assert.deepEqual(notEmpty.json, { error: 'bad_request', reason: "queue 'orders' in vhost '/' not empty" });

  const c = await ch.consume('orders', () => undefined, { noAck: true });
  const inUse = await api(w, 'DELETE', '/queues/%2F/orders?if-unused=true');
  assert.equal(inUse.status, 400);
  await ch.cancel(c.consumerTag);

  assert.equal((await api(w, 'DELETE', '/queues/%2F/orders')).status, 204);
  assert.equal((await api(w, 'GET', '/queues/%2F/orders')).status, 404);
  assert.equal((await api(w, 'DELETE', '/queues/%2F/orders')).status, 404);
  assert.deepEqual((await api(w, 'PUT', '/queues/no-such-vhost/q', { body: {} })).json, {
    error: 'not_found',
    reason: 'vhost_not_found',
  });
  assert.equal((await api(w, 'PUT', '/queues/%2F/amq.nope', { body: {} })).status, 401);
});

async function waitForMessages(queue: string, n: number, field = 'messages'): Promise<void> {
  for (let i = 0; i < 200; i++) {
    const q = await get(w, `/queues/%2F/${queue}`);
    if (q[field] === n) return;
    await new Promise((r) => setTimeout(r, 5));
  }
  assert.fail(`queue ${queue} never had ${n} messages`);
}

test('purge: DELETE /queues/v/q/contents empties the queue', async () => {
  await ch.assertQueue('purge-me');
  for (let i = 0; i < 3; i++) ch.sendToQueue('purge-me', Buffer.from(String(i)));
  await waitForMessages('purge-me', 3);
  assert.equal((await api(w, 'DELETE', '/queues/%2F/purge-me/contents')).status, 204);
  assert.equal((await ch.checkQueue('purge-me')).messageCount, 0);
  await ch.deleteQueue('purge-me');
});

test('exchanges: declare with defaults, inequivalence, reserved names, if-unused, default exchange', async () => {
  assert.equal(
    (await api(w, 'PUT', '/exchanges/%2F/events', { body: { type: 'topic', durable: true } })).status,
    201,
  );
  await ch.checkExchange('events');
  const e = await get(w, '/exchanges/%2F/events');
  assert.equal(e['type'], 'topic');
  assert.equal(e['durable'], true);
  assert.deepEqual(e['message_stats'], {
    publish_in: 0,
    publish_in_details: { rate: 0 },
    publish_out: 0,
    publish_out_details: { rate: 0 },
  });
  assert.deepEqual(
    (await api(w, 'PUT', '/exchanges/%2F/events', { body: { type: 'direct', durable: true } })).json,
    {
      error: 'bad_request',
      reason:
        "inequivalent arg 'type' for exchange 'events' in vhost '/': received 'direct' but current is 'topic'",
    },
  );
  assert.deepEqual((await api(w, 'PUT', '/exchanges/%2F/amq.mine', { body: {} })).json, {
    error: 'not_authorised',
    reason: 'Access refused.',
  });
  assert.deepEqual((await api(w, 'PUT', '/exchanges/%2F/odd', { body: { type: 'nosuch' } })).json, {
    error: 'bad_request',
    reason: "unknown exchange type 'nosuch'",
  });
  assert.equal((await api(w, 'PUT', '/exchanges/%2F/plain', { body: {} })).status, 201);
  assert.equal((await get(w, '/exchanges/%2F/plain'))['type'], 'direct');
  assert.equal((await get(w, '/exchanges/%2F/amq.default'))['name'], '');
  assert.equal((await api(w, 'DELETE', '/exchanges/%2F/amq.direct')).status, 401);

  await ch.assertQueue('events-q');
  await ch.bindQueue('events-q', 'events', 'a.#');
  assert.equal((await api(w, 'DELETE', '/exchanges/%2F/events?if-unused=true')).status, 400);
  assert.equal((await api(w, 'DELETE', '/exchanges/%2F/events')).status, 204);
  assert.equal((await api(w, 'DELETE', '/exchanges/%2F/plain')).status, 204);
  assert.equal((await api(w, 'GET', '/exchanges/%2F/events')).status, 404);
  await ch.deleteQueue('events-q');
});

test('bindings: POST with Location, list between, GET and DELETE by properties key', async () => {
  await ch.assertExchange('bx', 'direct');
  await ch.assertExchange('bx2', 'fanout');
  await ch.assertQueue('bq');
  const created = await api(w, 'POST', '/bindings/%2F/e/bx/q/bq', { body: { routing_key: 'k1' } });
  assert.equal(created.status, 201);
  assert.equal(created.headers.get('location'), 'bq/k1');
  const withArgs = await api(w, 'POST', '/bindings/%2F/e/bx/q/bq', {
    body: { routing_key: 'k2', arguments: { a: 1 } },
  });
  const loc = withArgs.headers.get('location') ?? '';
  assert.match(loc, /^bq\/k2~.+/);
  assert.equal(
    (await api(w, 'POST', '/bindings/%2F/e/bx/e/bx2', { body: {} })).headers.get('location'),
    'bx2/~',
  );

  const between = await get<Obj[]>(w, '/bindings/%2F/e/bx/q/bq');
  assert.deepEqual(
    between.map((b) => [b['routing_key'], b['properties_key']]),
    [
      ['k1', 'k1'],
      ['k2', loc.slice(3)],
    ],
  );
  const one = await get(w, `/bindings/%2F/e/bx/q/bq/${loc.slice(3)}`);
  assert.deepEqual(one['arguments'], { a: 1 });

  // The binding routes, as AMQP sees it.
  ch.publish('bx', 'k1', Buffer.from('via binding'));
  await waitForMessages('bq', 1);

  const queueBindings = await get<Obj[]>(w, '/queues/%2F/bq/bindings');
  assert.deepEqual(
    queueBindings.map((b) => b['source']),
    ['', 'bx', 'bx'],
  );
  assert.equal((await get<Obj[]>(w, '/exchanges/%2F/bx/bindings/source')).length, 3);
  assert.equal((await get<Obj[]>(w, '/exchanges/%2F/bx2/bindings/destination')).length, 1);
  assert.ok((await get<Obj[]>(w, '/bindings/%2F')).length >= 4);
  assert.ok((await get<Obj[]>(w, '/bindings')).length >= 4);

  assert.equal((await api(w, 'DELETE', '/bindings/%2F/e/bx/q/bq/k1')).status, 204);
  assert.equal((await api(w, 'GET', '/bindings/%2F/e/bx/q/bq/k1')).status, 404);
  assert.equal((await api(w, 'DELETE', '/bindings/%2F/e/bx/q/bq/k1')).status, 404);
  assert.deepEqual((await api(w, 'POST', '/bindings/%2F/e/nosuch/q/bq', { body: {} })).json, {
    error: 'not_found',
    reason: "no exchange 'nosuch' in vhost '/'",
  });
  assert.deepEqual((await api(w, 'POST', '/bindings/%2F/e/bx/q/nosuch', { body: {} })).json, {
    error: 'not_found',
    reason: "no queue 'nosuch' in vhost '/'",
  });
  await ch.deleteQueue('bq');
  await ch.deleteExchange('bx');
  await ch.deleteExchange('bx2');
});

test('publish and get: routed true/false, ack modes, encodings, truncate', async () => {
  await ch.assertQueue('pg');
  const pub = (body: Obj) => api(w, 'POST', '/exchanges/%2F/amq.default/publish', { body });
  const routed = await pub({
    routing_key: 'pg',
    payload: 'hello',
    payload_encoding: 'string',
    properties: { content_type: 'text/plain', headers: { h: 'v' }, delivery_mode: 2, priority: 1 },
  });
  assert.deepEqual(routed.json, { routed: true });
  assert.deepEqual(
    (await pub({ routing_key: 'nowhere', payload: 'x', payload_encoding: 'string', properties: {} })).json,
    {
      routed: false,
    },
  );
  const binary = Buffer.from([0xff, 0x00, 0xfe]);
  await pub({
    routing_key: 'pg',
    payload: binary.toString('base64'),
    payload_encoding: 'base64',
    properties: {},
  });

  // AMQP sees the first message as published over HTTP.
  const m = await ch.get('pg', { noAck: false });
  assert.ok(m);
  assert.equal(m.content.toString(), 'hello');
  assert.equal(m.properties.contentType, 'text/plain');
  assert.deepEqual(m.properties.headers, { h: 'v' });
  ch.nack(m, false, true);
  await waitForMessages('pg', 2, 'messages_ready');

  const getMsgs = (body: Obj) => api(w, 'POST', '/queues/%2F/pg/get', { body });
  const requeued = await getMsgs({ count: 5, ackmode: 'ack_requeue_true', encoding: 'auto' });
  const list = requeued.json as Obj[];
  assert.equal(list.length, 2);
  assert.deepEqual(list[0], {
    payload_bytes: 5,
    redelivered: true,
    exchange: '',
    routing_key: 'pg',
    message_count: 1,
    properties: { content_type: 'text/plain', delivery_mode: 2, priority: 1, headers: { h: 'v' } },
    payload: 'hello',
    payload_encoding: 'string',
  });
  assert.equal(list[1]?.['payload_encoding'], 'base64');
  assert.equal(list[1]?.['payload'], binary.toString('base64'));
  assert.deepEqual(list[1]?.['properties'], []);

  const truncated = (
    await getMsgs({ count: 1, ackmode: 'ack_requeue_true', encoding: 'base64', truncate: 2 })
  ).json as Obj[];
  assert.equal(truncated[0]?.['payload'], Buffer.from('he').toString('base64'));
  assert.equal(truncated[0]?.['payload_bytes'], 5);

  const taken = (await getMsgs({ count: 1, ackmode: 'ack_requeue_false', encoding: 'auto' })).json as Obj[];
  assert.equal(taken.length, 1);
  assert.equal((await ch.checkQueue('pg')).messageCount, 1);
  await getMsgs({ count: 1, ackmode: 'reject_requeue_false', encoding: 'auto' });
  assert.equal((await ch.checkQueue('pg')).messageCount, 0);
  assert.deepEqual((await getMsgs({ count: 1, ackmode: 'ack_requeue_true', encoding: 'auto' })).json, []);

  assert.equal((await getMsgs({ count: 1, ackmode: 'bogus', encoding: 'auto' })).status, 400);
  assert.equal((await getMsgs({ count: 1, ackmode: 'ack_requeue_true' })).status, 400);
  assert.equal((await pub({ routing_key: 'pg', payload: 'x', properties: {} })).status, 400);
  const forged = await pub({
    routing_key: 'pg',
    payload: 'x',
    payload_encoding: 'string',
    properties: { user_id: 'mallory' },
  });
  assert.equal(forged.status, 400);
  await ch.deleteQueue('pg');
});
