// Warren is an ES module: Jest loads it with --experimental-vm-modules (see package.json), and the
// test globals come from @jest/globals.
import { afterAll, beforeAll, expect, test } from '@jest/globals';
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

test('closing a connection from the broker side reaches the client', async () => {
  const opened = broker.waitFor('connection.created');
  const other = await amqp.connect(broker.url, { noDelay: true });
  other.on('error', () => {}); // the forced close is asserted below
  const closed = new Promise((resolve) => other.once('close', resolve));
  const { id } = await opened;
  broker.closeConnection(id, 'maintenance');
  const err = await closed;
  expect(err.code).toBe(320);
});
