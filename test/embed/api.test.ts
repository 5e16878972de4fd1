/**
 * The embedded API (src/embed/broker-api.ts): what a test sets up through it is what a real client sees,
 * and what a client does shows up in its counts, with no HTTP API involved.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import amqp from 'amqplib';
import type { ChannelModel } from 'amqplib';
import { AmqpError, Warren } from '../../src/index.js';
import { waitFor, withTimeout } from '../helpers/wait.js';

let broker: Warren;
const open: ChannelModel[] = [];

async function connect(url = broker.url): Promise<ChannelModel> {
  const c = await amqp.connect(url);
  c.on('error', () => {}); // forced closes are asserted through 'close'
  open.push(c);
  return c;
}

before(async () => {
  broker = await Warren.start({ port: 0, host: '127.0.0.1', logLevel: 'silent' });
});

after(async () => {
  for (const c of open) await c.close().catch(() => {});
  await broker.close();
});

describe('embedded API', () => {
  it('declares a queue a client can use, and counts ready, unacked and consumers', async () => {
    const info = broker.declareQueue('api-counts', { durable: false });
    assert.deepEqual(
      { name: info.name, durable: info.durable, messages: info.messages },
      { name: 'api-counts', durable: false, messages: 0 },
    );
    assert.equal(broker.publish('', 'api-counts', 'one'), true);
    assert.equal(broker.publish('', 'api-counts', Buffer.from('two')), true);
    assert.deepEqual(broker.queueCounts('api-counts'), {
      messages: 2,
      messagesReady: 2,
      messagesUnacknowledged: 0,
      consumers: 0,
    });

    const ch = await (await connect()).createChannel();
    await ch.prefetch(1);
    const bodies: string[] = [];
    await ch.consume('api-counts', (m) => m && bodies.push(m.content.toString()));
    await waitFor(() => bodies.length === 1, undefined, 'the first delivery');
    assert.deepEqual(bodies, ['one']);
    assert.deepEqual(broker.queueCounts('api-counts'), {
      messages: 2,
      messagesReady: 1,
      messagesUnacknowledged: 1,
      consumers: 1,
    });
  });

  it('binds queues to exchanges; client publishes route by them until unbound', async () => {
    broker.declareExchange('api-topic', 'topic', { durable: false });
    broker.declareQueue('api-bound', { durable: false });
    broker.bindQueue('api-bound', 'api-topic', 'orders.*');
    assert.ok(
      broker
        .listBindings()
        .some(
          (b) => b.source === 'api-topic' && b.destination === 'api-bound' && b.routingKey === 'orders.*',
        ),
    );
    const ch = await (await connect()).createConfirmChannel();
    ch.publish('api-topic', 'orders.new', Buffer.from('x'));
    ch.publish('api-topic', 'invoices.new', Buffer.from('y'));
    await ch.waitForConfirms();
    assert.equal(broker.queueCounts('api-bound').messagesReady, 1);

    broker.unbindQueue('api-bound', 'api-topic', 'orders.*');
    ch.publish('api-topic', 'orders.new', Buffer.from('z'));
    await ch.waitForConfirms();
    assert.equal(broker.queueCounts('api-bound').messagesReady, 1);
    assert.equal(broker.purgeQueue('api-bound'), 1);
    assert.equal(broker.deleteQueue('api-bound'), 0);
    assert.equal(broker.getQueue('api-bound'), undefined);
    broker.deleteExchange('api-topic');
    assert.ok(!broker.listExchanges().some((e) => e.name === 'api-topic'));
  });

  it('routes through exchange-to-exchange bindings', () => {
    broker.declareExchange('api-e-src', 'fanout', { durable: false });
    broker.declareExchange('api-e-dst', 'direct', { durable: false });
    broker.declareQueue('api-e-q', { durable: false });
    broker.bindExchange('api-e-dst', 'api-e-src');
    broker.bindQueue('api-e-q', 'api-e-dst', 'k');
    assert.equal(broker.publish('api-e-src', 'k', 'hop'), true);
    assert.equal(broker.publish('api-e-src', 'other', 'lost'), false);
    broker.unbindExchange('api-e-dst', 'api-e-src');
    assert.equal(broker.publish('api-e-src', 'k', 'hop'), false);
    assert.equal(broker.queueCounts('api-e-q').messages, 1);
  });

  it('names a queue declared with an empty name, as queue.declare does', () => {
    const q = broker.declareQueue('', { durable: false, autoDelete: true });
    assert.match(q.name, /^amq\.gen-[A-Za-z0-9_-]{22}$/);
    assert.equal(broker.getQueue(q.name)?.autoDelete, true);
  });

  it('raises the core errors: 404 for a missing queue, 406 for an inequivalent redeclare', () => {
    assert.throws(
      () => broker.queueCounts('api-missing'),
      (e: unknown) => e instanceof AmqpError && e.code === 404 && /api-missing/.test(e.text),
    );
    broker.declareQueue('api-eq', { durable: false });
    assert.throws(
      () => broker.declareQueue('api-eq', { durable: true }),
      (e: unknown) => e instanceof AmqpError && e.code === 406,
    );
    broker.publish('', 'api-eq', 'keep');
    assert.throws(
      () => broker.deleteQueue('api-eq', { ifEmpty: true }),
      (e: unknown) => e instanceof AmqpError && e.code === 406,
    );
    assert.equal(broker.deleteQueue('api-eq'), 1);
  });

  it('sets up a vhost and a user a client then logs in with; deleting the user closes it', async () => {
    broker.addVhost('api-vh');
    broker.addUser('api-user', 's3cret', ['management']);
    broker.setPermissions('api-user', 'api-vh', { configure: '^api-', write: '.*', read: '.*' });
    assert.ok(broker.listVhosts().includes('api-vh'));
    const url = `amqp://api-user:s3cret@127.0.0.1:${broker.port}/api-vh`;
    const conn = await connect(url);
    const ch = await conn.createChannel();
    await ch.assertQueue('api-in-vhost', { durable: false });
    assert.equal(broker.getQueue('api-in-vhost', { vhost: 'api-vh' })?.vhost, 'api-vh');
    assert.equal(broker.getQueue('api-in-vhost'), undefined, 'not in the default vhost');
    assert.ok(broker.listConnections().some((c) => c.user === 'api-user' && c.vhost === 'api-vh'));

    const closed = new Promise<unknown>((resolve) => conn.once('close', resolve));
    broker.deleteUser('api-user');
    const err = (await withTimeout(closed, undefined, 'the forced close')) as { code?: number };
    assert.equal(err.code, 320);
    broker.deleteVhost('api-vh');
    assert.ok(!broker.listVhosts().includes('api-vh'));
  });

  it('applies policies to existing queues at once', () => {
    broker.declareQueue('api-limited', { durable: false });
    const p = broker.setPolicy('api-cap', '^api-limited$', { 'max-length': 2 }, { applyTo: 'queues' });
    assert.equal(p.name, 'api-cap');
    assert.equal(broker.getQueue('api-limited')?.policy, 'api-cap');
    for (const body of ['a', 'b', 'c']) broker.publish('', 'api-limited', body);
    assert.equal(broker.queueCounts('api-limited').messages, 2);
    broker.clearPolicy('api-cap');
    assert.equal(broker.getQueue('api-limited')?.policy, undefined);
  });

  it('closes a client connection by id with 320 and the given reason', async () => {
    const conn = await connect();
    const closed = new Promise<unknown>((resolve) => conn.once('close', resolve));
    const mine = broker.listConnections().at(-1);
    assert.ok(mine);
    broker.closeConnection(mine.id, 'test says bye');
    const err = (await withTimeout(closed, undefined, 'the forced close')) as Error & { code?: number };
    assert.equal(err.code, 320);
    assert.match(err.message, /test says bye/);
    assert.throws(() => broker.closeConnection(mine.id), /no connection/);
  });
});
