// One in-memory broker for this test file: started before the tests, closed after them.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import amqp from 'amqplib';
import { Warren } from 'warren-mq';

let broker;
let connection;

before(async () => {
  broker = await Warren.start({ port: 0, host: '127.0.0.1', logLevel: 'silent' });
  // noDelay: without it, amqplib's small writes wait for delayed ACKs (about 40 ms each).
  connection = await amqp.connect(broker.url, { noDelay: true });
});

after(async () => {
  await connection.close();
  await broker.close();
});

test('a worker receives what a producer sends', async () => {
  const channel = await connection.createChannel();
  await channel.assertQueue('orders', { durable: false });
  const received = new Promise((resolve) => {
    channel.consume('orders', (msg) => {
      channel.ack(msg);
      resolve(msg.content.toString());
    });
  });
  channel.sendToQueue('orders', Buffer.from('order 1'));
  assert.equal(await received, 'order 1');
  await channel.close();
});

test('the broker state can be asserted without a client', async () => {
  broker.declareQueue('audit', { durable: false });
  const channel = await connection.createConfirmChannel();
  for (const n of [1, 2, 3]) channel.sendToQueue('audit', Buffer.from(`event ${n}`));
  await channel.waitForConfirms();
  assert.deepEqual(broker.queueCounts('audit'), {
    messages: 3,
    messagesReady: 3,
    messagesUnacknowledged: 0,
    consumers: 0,
  });
  await channel.close();
});

test('a test can wait for what the code under test declares', async () => {
  const declared = broker.waitFor('queue.declared', (q) => q.name === 'invoices');
  const channel = await connection.createChannel();
  await channel.assertQueue('invoices', { durable: true, arguments: { 'x-max-length': 100 } });
  const queue = await declared;
  assert.equal(queue.durable, true);
  assert.deepEqual(queue.arguments, { 'x-max-length': 100 });
  await channel.close();
});
