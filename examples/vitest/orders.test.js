// One in-memory broker per test file (Vitest runs files in parallel workers; port 0 keeps them apart).
import { afterAll, beforeAll, expect, test } from 'vitest';
import amqp from 'amqplib';
import { Warren } from 'warren-mq';

let broker;
let connection;

beforeAll(async () => {
  broker = await Warren.start({ port: 0, host: '127.0.0.1', logLevel: 'silent' });
  // noDelay: without it, amqplib's small writes wait for delayed ACKs (about 40 ms each).
  connection = await amqp.connect(broker.url, { noDelay: true });
});

afterAll(async () => {
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
  await expect(received).resolves.toBe('order 1');
  await channel.close();
});

test('the broker state can be asserted without a client', async () => {
  broker.declareQueue('audit', { durable: false });
  const channel = await connection.createConfirmChannel();
  for (const n of [1, 2, 3]) channel.sendToQueue('audit', Buffer.from(`event ${n}`));
  await channel.waitForConfirms();
  expect(broker.queueCounts('audit')).toEqual({
    messages: 3,
    messagesReady: 3,
    messagesUnacknowledged: 0,
    consumers: 0,
  });
  await channel.close();
});

test('a test can wait for a consumer to attach', async () => {
  const attached = broker.waitFor('consumer.created', (c) => c.queue === 'jobs');
  const channel = await connection.createChannel();
  await channel.assertQueue('jobs', { durable: false });
  const { consumerTag } = await channel.consume('jobs', () => {});
  await expect(attached).resolves.toMatchObject({ queue: 'jobs', consumerTag });
  expect(broker.queueCounts('jobs').consumers).toBe(1);
  await channel.close();
});
