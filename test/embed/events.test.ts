/**
 * Control-plane events (src/core/events.ts): emitted where clients and the embedded API change the
 * broker, on `broker.on`/`waitFor` and on diagnostics channels, and free when nobody listens.
 */
import assert from 'node:assert/strict';
import diagnostics from 'node:diagnostics_channel';
import { after, before, describe, it } from 'node:test';
import amqp from 'amqplib';
import type { ChannelModel } from 'amqplib';
import { BROKER_EVENTS, Warren, type BrokerEventMap, type BrokerEventName } from '../../src/index.js';

let broker: Warren;
let other: Warren;
let conn: ChannelModel;

before(async () => {
  broker = await Warren.start({ port: 0, host: '127.0.0.1', logLevel: 'silent' });
  other = await Warren.start({ port: 0, host: '127.0.0.1', logLevel: 'silent' });
  conn = await amqp.connect(broker.url);
});

after(async () => {
  await conn.close().catch(() => {});
  await broker.close();
  await other.close();
});

/** Records every event of the given names until stopped. */
function record(names: readonly BrokerEventName[]): {
  events: [BrokerEventName, unknown][];
  stop(): void;
} {
  const events: [BrokerEventName, unknown][] = [];
  const listeners = names.map((n) => [n, (p: unknown) => events.push([n, p])] as const);
  for (const [n, l] of listeners) broker.on(n, l);
  return { events, stop: () => listeners.forEach(([n, l]) => broker.off(n, l)) };
}

describe('broker events', () => {
  it('waitFor resolves with the payload of the matching event a client caused', async () => {
    const declared = broker.waitFor('queue.declared', (q) => q.name === 'ev-q1');
    const ch = await conn.createChannel();
    await ch.assertQueue('ev-q0', { durable: false });
    await ch.assertQueue('ev-q1', { durable: false, arguments: { 'x-max-length': 5 } });
    assert.deepEqual(await declared, {
      vhost: '/',
      name: 'ev-q1',
      durable: false,
      exclusive: false,
      autoDelete: false,
      arguments: { 'x-max-length': 5 },
    });
    await ch.close();
  });

  it('reports consumers, bindings, exchanges and queues as a client adds and removes them', async () => {
    const rec = record([
      'exchange.declared',
      'exchange.deleted',
      'queue.declared',
      'queue.deleted',
      'binding.created',
      'binding.deleted',
      'consumer.created',
      'consumer.deleted',
    ]);
    const ch = await conn.createChannel();
    await ch.assertExchange('ev-x', 'direct', { durable: false });
    await ch.assertQueue('ev-q2', { durable: false });
    await ch.bindQueue('ev-q2', 'ev-x', 'rk');
    const { consumerTag } = await ch.consume('ev-q2', () => {});
    await ch.cancel(consumerTag);
    await ch.deleteQueue('ev-q2');
    await ch.deleteExchange('ev-x');
    await ch.close();
    rec.stop();
    const names = rec.events.map(([n]) => n);
    assert.deepEqual(names, [
      'exchange.declared',
      'queue.declared',
      'binding.created',
      'consumer.created',
      'consumer.deleted',
      'binding.deleted',
      'queue.deleted',
      'exchange.deleted',
    ]);
    const binding = rec.events[2]?.[1] as BrokerEventMap['binding.created'];
    assert.deepEqual(binding, {
      vhost: '/',
      source: 'ev-x',
      destination: 'ev-q2',
      destinationType: 'queue',
      routingKey: 'rk',
      arguments: {},
    });
    const consumer = rec.events[3]?.[1] as BrokerEventMap['consumer.created'];
    assert.equal(consumer.consumerTag, consumerTag);
    assert.equal(consumer.queue, 'ev-q2');
    assert.ok(broker.listConnections().some((c) => c.id === consumer.connectionId));
  });

  it('reports a consumer gone when its queue is deleted under it, before the queue', async () => {
    const rec = record(['consumer.deleted', 'queue.deleted']);
    const ch = await conn.createChannel();
    await ch.assertQueue('ev-q3', { durable: false });
    await ch.consume('ev-q3', () => {});
    broker.deleteQueue('ev-q3');
    rec.stop();
    assert.deepEqual(
      rec.events.map(([n]) => n),
      ['consumer.deleted', 'queue.deleted'],
    );
    await ch.close().catch(() => {});
  });

  it('reports connections opening and closing', async () => {
    const created = broker.waitFor('connection.created');
    const c = await amqp.connect(broker.url);
    const info = await created;
    assert.equal(info.user, 'guest');
    assert.equal(info.vhost, '/');
    const closed = broker.waitFor('connection.closed', (e) => e.id === info.id);
    await c.close();
    assert.equal((await closed).name, info.name);
  });

  it('reports vhosts, users and policies changed through the embedded API', async () => {
    const rec = record([
      'vhost.created',
      'vhost.deleted',
      'user.created',
      'user.deleted',
      'policy.set',
      'policy.cleared',
    ]);
    broker.addVhost('ev-vh');
    broker.addVhost('ev-vh'); // exists: no second event
    broker.addUser('ev-user', 'pw');
    broker.setPolicy('ev-pol', '^ev-', { 'max-length': 1 }, { vhost: 'ev-vh' });
    broker.clearPolicy('ev-pol', { vhost: 'ev-vh' });
    broker.deleteUser('ev-user');
    broker.deleteVhost('ev-vh');
    rec.stop();
    assert.deepEqual(rec.events, [
      ['vhost.created', { name: 'ev-vh' }],
      ['user.created', { name: 'ev-user' }],
      ['policy.set', { vhost: 'ev-vh', name: 'ev-pol' }],
      ['policy.cleared', { vhost: 'ev-vh', name: 'ev-pol' }],
      ['user.deleted', { name: 'ev-user' }],
      ['vhost.deleted', { name: 'ev-vh' }],
    ]);
  });

  it('reports resource alarms going off and clearing', () => {
    const rec = record(['alarm']);
    broker.broker.alarms.set('memory', 'set by the test');
    broker.broker.alarms.clear('memory', 'cleared by the test');
    rec.stop();
    assert.deepEqual(rec.events, [
      ['alarm', { resource: 'memory', active: true }],
      ['alarm', { resource: 'memory', active: false }],
    ]);
  });

  it('publishes on diagnostics channels with the emitting broker, so brokers can be told apart', () => {
    const seen: { name: string; broker: unknown }[] = [];
    const onMessage = (m: unknown): void => {
      seen.push(m as { name: string; broker: unknown });
    };
    diagnostics.subscribe('warren:queue.declared', onMessage);
    try {
      broker.declareQueue('ev-diag-a', { durable: false });
      other.declareQueue('ev-diag-b', { durable: false });
    } finally {
      diagnostics.unsubscribe('warren:queue.declared', onMessage);
    }
    assert.deepEqual(
      seen.map((m) => [m.name, m.broker === broker.broker, m.broker === other.broker]),
      [
        ['ev-diag-a', true, false],
        ['ev-diag-b', false, true],
      ],
    );
  });

  it('knows when nobody listens, so emit sites build no payload', () => {
    for (const name of BROKER_EVENTS) assert.equal(broker.broker.events.wants(name), false, name);
    const l = (): void => {};
    broker.on('queue.deleted', l);
    assert.equal(broker.broker.events.wants('queue.deleted'), true);
    broker.off('queue.deleted', l);
    assert.equal(broker.broker.events.wants('queue.deleted'), false);
  });

  it('waitFor times out, honours an abort signal, and leaves no listener behind', async () => {
    await assert.rejects(
      broker.waitFor('queue.declared', (q) => q.name === 'never', { timeoutMs: 20 }),
      /timed out after 20 ms waiting for 'queue.declared'/,
    );
    const ac = new AbortController();
    const aborted = broker.waitFor('queue.deleted', undefined, { signal: ac.signal, timeoutMs: 0 });
    ac.abort(new Error('test over'));
    await assert.rejects(aborted, /test over/);
    const thrown = broker.waitFor('queue.declared', () => {
      throw new Error('bad predicate');
    });
    broker.declareQueue('ev-predicate', { durable: false });
    await assert.rejects(thrown, /bad predicate/);
    assert.equal(broker.broker.listenerCount('queue.declared'), 0);
    assert.equal(broker.broker.listenerCount('queue.deleted'), 0);
  });
});
