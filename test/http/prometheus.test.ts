/**
 * A Prometheus scrape, parsed by a real parser (parse-prometheus-text-format): rabbitmq_prometheus'
 * names and types, gauges that match the AMQP state, per-object series with vhost/queue labels, and
 * the Node.js process metrics.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import amqp from 'amqplib';
import parse from 'parse-prometheus-text-format';
import type { Warren } from '../../src/index.js';
import { waitFor } from '../helpers/wait.js';
import { startWarren } from './http.js';

let w: Warren;
before(async () => {
  w = await startWarren();
});
after(() => w.close());

async function scrape(path = '/metrics'): Promise<ReturnType<typeof parse>> {
  const res = await fetch(`${w.prometheusUrl}${path}`);
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
  return parse(await res.text());
}

function value(
  families: ReturnType<typeof parse>,
  name: string,
  labels: Record<string, string> = {},
): number {
  const f = families.find((x) => x.name === name);
  assert.ok(f, `${name} is exposed`);
  const m = f.metrics.find((s) => Object.entries(labels).every(([k, v]) => s.labels?.[k] === v));
  assert.ok(m, `${name} has a series ${JSON.stringify(labels)}`);
  return Number(m.value);
}

test('aggregated gauges and counters match the AMQP state', async () => {
  const conn = await amqp.connect(w.url);
  const ch = await conn.createConfirmChannel();
  await ch.assertQueue('pa');
  await ch.assertQueue('pb');
  for (let i = 0; i < 5; i++) ch.sendToQueue('pa', Buffer.from('12345'));
  for (let i = 0; i < 2; i++) ch.sendToQueue('pb', Buffer.from('x'));
  ch.publish('amq.direct', 'nowhere', Buffer.from('dropped'));
  await ch.waitForConfirms();
  const consumer = await conn.createChannel();
  await consumer.prefetch(2);
  let got = 0;
  await consumer.consume('pa', () => got++); // two unacked, three ready
  await waitFor(() => got === 2);

  const f = await scrape();
  const type = (name: string) => f.find((x) => x.name === name)?.type;
  assert.equal(value(f, 'rabbitmq_queue_messages_ready'), 3 + 2);
  assert.equal(value(f, 'rabbitmq_queue_messages_unacked'), 2);
  assert.equal(value(f, 'rabbitmq_queue_messages'), 7);
  assert.equal(value(f, 'rabbitmq_queue_messages_ready_bytes'), 3 * 5 + 2);
  assert.equal(value(f, 'rabbitmq_queues'), 2);
  assert.equal(value(f, 'rabbitmq_connections'), 1);
  assert.equal(value(f, 'rabbitmq_channels'), 2);
  assert.equal(value(f, 'rabbitmq_consumers'), 1);
  assert.equal(type('rabbitmq_queue_messages_ready'), 'GAUGE');
  const amqp091 = { protocol: 'amqp091' };
  assert.equal(value(f, 'rabbitmq_global_messages_received_total', amqp091), 8);
  assert.equal(value(f, 'rabbitmq_global_messages_received_confirm_total', amqp091), 8);
  assert.equal(value(f, 'rabbitmq_global_messages_routed_total', amqp091), 7);
  assert.equal(value(f, 'rabbitmq_global_messages_unroutable_dropped_total', amqp091), 1);
  assert.equal(value(f, 'rabbitmq_global_messages_confirmed_total', amqp091), 8);
  assert.equal(value(f, 'rabbitmq_global_messages_delivered_total', amqp091), 2);
  assert.equal(value(f, 'rabbitmq_global_messages_delivered_consume_manual_ack_total', amqp091), 2);
  assert.equal(value(f, 'rabbitmq_global_messages_acknowledged_total', amqp091), 0);
  assert.equal(type('rabbitmq_global_messages_received_total'), 'COUNTER');
  assert.equal(value(f, 'rabbitmq_connections_opened_total'), 1);
  assert.equal(value(f, 'rabbitmq_queues_declared_total'), 2);
  assert.equal(value(f, 'rabbitmq_build_info', { product_name: 'Warren' }), 1);
  assert.equal(value(f, 'rabbitmq_identity_info', { rabbitmq_node: w.broker.clusterName }), 1);
  assert.ok(value(f, 'rabbitmq_process_resident_memory_bytes') > 0);
  // Node.js process metrics come along (prom-client's collectDefaultMetrics).
  assert.ok(value(f, 'process_cpu_user_seconds_total') >= 0);
  assert.ok(f.some((x) => x.name === 'nodejs_eventloop_lag_seconds'));
  await conn.close();
});

test('/metrics/per-object: one series per queue with vhost and queue labels', async () => {
  w.broker.addVhost('other');
  w.broker
    .vhost('other')
    .declareQueue(
      { name: 'pa', passive: false, durable: false, exclusive: false, autoDelete: false, arguments: {} },
      null,
    );
  const f = await scrape('/metrics/per-object');
  assert.equal(value(f, 'rabbitmq_queue_messages_ready', { vhost: '/', queue: 'pb' }), 2);
  assert.equal(value(f, 'rabbitmq_queue_messages_ready', { vhost: 'other', queue: 'pa' }), 0);
  const series = f.find((x) => x.name === 'rabbitmq_queue_messages')?.metrics ?? [];
  assert.equal(series.length, 3);
  // Deleted queues disappear from the next scrape.
  w.broker.vhost('other').deleteQueue('pa', null, false, false);
  const again = await scrape('/metrics/per-object');
  assert.equal(again.find((x) => x.name === 'rabbitmq_queue_messages')?.metrics.length, 2);
});

test('other paths are 404, other methods 405', async () => {
  assert.equal((await fetch(`${w.prometheusUrl}/`)).status, 404);
  assert.equal((await fetch(`${w.prometheusUrl}/metrics`, { method: 'POST' })).status, 405);
});
