/**
 * message_stats counters and rates as the API shows them after real AMQP traffic: per queue, per
 * exchange, per channel, per connection, per vhost and in the overview; closed channels' counts stay
 * in their vhost's totals; rates are counts per second between two samples.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import amqp from 'amqplib';
import type { Warren } from '../../src/index.js';
import { waitFor } from '../helpers/wait.js';
import { get, startWarren, type Obj } from './http.js';

let w: Warren;
before(async () => {
  w = await startWarren();
  w.stats.stop(); // samples are taken by hand below, at chosen times
});
after(() => w.close());

const ms = (o: Obj): Obj => o['message_stats'] as Obj;

test('counters and rates through every level after publish, consume, get, ack and returns', async () => {
  const conn = await amqp.connect(w.url);
  const ch = await conn.createConfirmChannel();
  await ch.assertExchange('sx', 'direct');
  await ch.assertQueue('sq');
  await ch.bindQueue('sq', 'sx', 'k');
  w.stats.sample(1_000);
  for (let i = 0; i < 10; i++) ch.publish('sx', 'k', Buffer.from(String(i)));
  ch.publish('sx', 'nowhere', Buffer.from('dropped'));
  ch.publish('sx', 'nowhere', Buffer.from('returned'), { mandatory: true });
  await ch.waitForConfirms();

  const got = await ch.get('sq', { noAck: false });
  assert.ok(got);
  ch.nack(got, false, true); // back, marked redelivered
  await ch.get('sq', { noAck: true }); // the redelivered one, no-ack
  await ch.get('sq', { noAck: false }).then((m) => m && ch.ack(m));
  const c2 = await conn.createChannel();
  await c2.prefetch(100);
  let delivered = 0;
  await c2.consume('sq', (m) => {
    if (!m) return;
    delivered++;
    c2.ack(m);
  });
  await waitFor(() => delivered === 8, 5000, 'eight deliveries');
  await ch.assertQueue('empty');
  assert.equal(await ch.get('empty'), false);
  await waitFor(async () => (await get(w, '/queues/%2F/sq'))['messages'] === 0);
  w.stats.sample(6_000); // five seconds later

  const q = await get(w, '/queues/%2F/sq');
  assert.deepEqual(
    pick(ms(q), [
      'publish',
      'deliver',
      'deliver_no_ack',
      'get',
      'get_no_ack',
      'ack',
      'redeliver',
      'deliver_get',
    ]),
    {
      publish: 10,
      deliver: 8,
      deliver_no_ack: 0,
      get: 2,
      get_no_ack: 1,
      ack: 9,
      redeliver: 1,
      deliver_get: 11,
    },
  );
  assert.deepEqual(ms(q)['publish_details'], { rate: 2 }); // 10 in 5 s
  assert.deepEqual(ms(q)['deliver_get_details'], { rate: 2.2 });

  const x = await get(w, '/exchanges/%2F/sx');
  assert.deepEqual(pick(ms(x), ['publish_in', 'publish_out']), { publish_in: 12, publish_out: 10 });
  assert.deepEqual(ms(x)['publish_in_details'], { rate: 2.4 });

  const chans = await get<Obj[]>(w, '/channels');
  const first = chans.find((c) => c['number'] === 1) as Obj;
  assert.deepEqual(
    pick(ms(first), [
      'publish',
      'confirm',
      'drop_unroutable',
      'return_unroutable',
      'get',
      'get_no_ack',
      'get_empty',
      'ack',
      'redeliver',
    ]),
    {
      publish: 12,
      confirm: 12,
      drop_unroutable: 1,
      return_unroutable: 1,
      get: 2,
      get_no_ack: 1,
      get_empty: 1,
      ack: 1,
      redeliver: 1,
    },
  );
  const second = chans.find((c) => c['number'] === 2) as Obj;
  assert.deepEqual(pick(ms(second), ['deliver', 'ack']), { deliver: 8, ack: 8 });

  const connection = (await get<Obj[]>(w, '/connections'))[0] as Obj;
  assert.ok((connection['recv_oct_details'] as { rate: number }).rate > 0);

  const vhost = await get(w, '/vhosts/%2F');
  assert.equal(ms(vhost)['publish'], 12);
  assert.equal(ms(vhost)['deliver_get'], 11);
  const o = await get(w, '/overview');
  assert.equal(ms(o)['publish'], 12);
  assert.deepEqual(ms(o)['publish_details'], { rate: 2.4 });
  assert.equal((o['churn_rates'] as Obj)['channel_created'], 2);

  // Closing the channels keeps their counts in the vhost and the overview, with no negative rate.
  await conn.close();
  await waitFor(async () => (await get<Obj[]>(w, '/channels')).length === 0);
  w.stats.sample(11_000);
  const after = await get(w, '/overview');
  assert.equal(ms(after)['publish'], 12);
  assert.deepEqual(ms(after)['publish_details'], { rate: 0 });
  assert.equal(ms(await get(w, '/vhosts/%2F'))['ack'], 9);
  assert.equal((after['churn_rates'] as Obj)['channel_closed'], 2);
});

function pick(o: Obj, keys: string[]): Obj {
  return Object.fromEntries(keys.map((k) => [k, o[k]]));
}
