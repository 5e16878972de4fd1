/**
 * list_* output has rabbitmqctl's exact shape: the same state as test/ctl/fixtures/rabbitmqctl-lists.sh
 * built in Warren gives the lines rabbitmqctl printed for it (rows compared as sets: their order is
 * not defined), in table, -s and JSON form; plus the other list verbs on live connections and consumers.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import amqp, { type ChannelModel } from 'amqplib';
import { waitFor } from '../helpers/wait.js';
import { FIXTURES, rows, startCtlBroker, type CtlBroker } from './ctl.js';

const VHOST = 'ctl-fixture';
let b: CtlBroker;
let conn: ChannelModel;

const fixture = (name: string): string => readFileSync(join(FIXTURES, name), 'utf8');

/** Same info lines and header as rabbitmqctl's, then the same rows in any order. */
function assertSameTable(actual: string, expected: string, infoLines: number): void {
  const a = actual.split('\n');
  const e = expected.split('\n');
  assert.deepEqual(a.slice(0, infoLines + 1), e.slice(0, infoLines + 1), 'info lines and header');
  assert.deepEqual(rows(actual, infoLines + 1), rows(expected, infoLines + 1), 'rows');
  assert.ok(actual.endsWith('\n'));
}

before(async () => {
  b = await startCtlBroker();
  assert.equal((await b.ctl(['add_vhost', VHOST])).code, 0);
  assert.equal((await b.ctl(['set_permissions', '-p', VHOST, 'guest', '.*', '.*', '.*'])).code, 0);
  conn = await amqp.connect(`${b.url}/${VHOST}`);
  const ch = await conn.createChannel();
  await ch.assertQueue('ctl-orders', { durable: true, arguments: { 'x-max-length': 100 } });
  await ch.assertQueue('ctl-jobs', { durable: true });
  await ch.assertQueue('ctl-temp', { durable: false, autoDelete: true });
  for (let i = 0; i < 3; i++) {
    ch.sendToQueue('ctl-orders', Buffer.from(`order ${i}`));
    ch.sendToQueue('ctl-jobs', Buffer.from(`job ${i}`));
  }
  const consumer = await conn.createChannel();
  await consumer.prefetch(2);
  let got = 0;
  await consumer.consume('ctl-jobs', () => got++, { noAck: false, consumerTag: 'ctl-tag' });
  await waitFor(() => got === 2, 5000, 'two unacked deliveries');
  // The API may lag the broker (RabbitMQ refreshes every 5 s): wait until it shows the state.
  await waitFor(
    async () =>
      (
        await b.ctl(['-s', 'list_queues', '-p', VHOST, 'name', 'messages_unacknowledged', 'consumers'])
      ).stdout.includes('ctl-jobs\t2\t1\n'),
    15_000,
    'the API to show 2 unacked messages and the consumer',
  );
});

after(async () => {
  await conn?.close();
  if (b?.external) await b.ctl(['delete_vhost', VHOST]);
  await b?.close();
});

test('list_queues name messages_ready messages_unacknowledged: the lines rabbitmqctl prints', async () => {
  const r = await b.ctl(['list_queues', '-p', VHOST, 'name', 'messages_ready', 'messages_unacknowledged']);
  assert.equal(r.code, 0, r.stderr);
  assertSameTable(r.stdout, fixture('list_queues-counts.txt'), 2);
  assert.match(
    r.stdout,
    /^Timeout: 60\.0 seconds \.\.\.\nListing queues for vhost ctl-fixture \.\.\.\nname\tmessages_ready\tmessages_unacknowledged\n/,
  );
});

test('list_queues with booleans, arguments and consumers renders values as rabbitmqctl does', async () => {
  const r = await b.ctl([
    'list_queues',
    '-p',
    VHOST,
    'name',
    'durable',
    'auto_delete',
    'exclusive',
    'arguments',
    'consumers',
  ]);
  assert.equal(r.code, 0, r.stderr);
  assertSameTable(r.stdout, fixture('list_queues-props.txt'), 2);
});

test('-s drops info lines and header; -q keeps the header', async () => {
  const s = await b.ctl(['-s', 'list_queues', '-p', VHOST, 'name', 'messages']);
  assertSameTable(s.stdout, fixture('list_queues-silent.txt'), -1);
  const q = await b.ctl(['list_queues', '-q', '-p', VHOST]);
  assert.equal(q.stdout.split('\n')[0], 'name\tmessages');
  assert.deepEqual(rows(q.stdout, 1), ['ctl-jobs\t3', 'ctl-orders\t3', 'ctl-temp\t0']);
});

test('--formatter json: an array of objects, in rabbitmqctl layout', async () => {
  const r = await b.ctl(['list_queues', '-p', VHOST, 'name', 'messages', 'durable', '--formatter', 'json']);
  assert.equal(r.code, 0, r.stderr);
  const byName = (a: { name: string }, c: { name: string }): number => a.name.localeCompare(c.name);
  const got = (JSON.parse(r.stdout) as { name: string }[]).sort(byName);
  const want = (JSON.parse(fixture('list_queues-json.txt')) as { name: string }[]).sort(byName);
  assert.deepEqual(got, want);
  assert.match(r.stdout, /^\[\n\{.*\}\n(,\{.*\}\n)*\]\n$/);
  const empty = await b.ctl(['list_policies', '-p', VHOST, '--formatter', 'json']);
  assert.deepEqual(JSON.parse(empty.stdout), []);
});

test('unknown column: argument validation error, exit 64', async () => {
  const r = await b.ctl(['list_queues', '-p', VHOST, 'name', 'nope']);
  assert.equal(r.code, 64);
  assert.match(r.stderr, /Info key\(s\) nope are not supported/);
  assert.equal(r.stdout, '');
});

test('list_connections, list_channels, list_consumers see the AMQP client', async () => {
  const c = await b.ctl(['-q', 'list_connections', 'user', 'vhost', 'protocol', 'state', 'name']);
  assert.equal(c.code, 0, c.stderr);
  assert.equal(c.stdout.split('\n')[0], 'user\tvhost\tprotocol\tstate\tname');
  const mine = c.stdout.split('\n').find((l) => l.includes(`\t${VHOST}\t`));
  assert.ok(mine, c.stdout);
  assert.match(mine, /^guest\tctl-fixture\t\{0,9,1\}\trunning\t\S+:\d+ -> \S+:\d+$/);

  const ch = await b.ctl(['-q', 'list_channels', 'user', 'number', 'prefetch_count', 'vhost']);
  assert.ok(ch.stdout.split('\n').includes(`guest\t2\t2\t${VHOST}`), ch.stdout);

  const cons = await b.ctl(['-q', 'list_consumers', '-p', VHOST]);
  assert.equal(
    cons.stdout.split('\n')[0],
    'queue_name\tchannel_pid\tconsumer_tag\tack_required\tprefetch_count\tactive\targuments',
  );
  assert.match(cons.stdout, /\nctl-jobs\t[^\t]*\tctl-tag\ttrue\t2\ttrue\t\[\]\n/);
});

test('list_exchanges, list_bindings, list_vhosts, list_users, list_permissions', async () => {
  const ex = await b.ctl(['-q', 'list_exchanges', '-p', VHOST]);
  assert.equal(ex.stdout.split('\n')[0], 'name\ttype');
  for (const line of [
    'amq.direct\tdirect',
    'amq.fanout\tfanout',
    'amq.topic\ttopic',
    'amq.headers\theaders',
    '\tdirect',
  ])
    assert.ok(ex.stdout.split('\n').includes(line), `${line} in ${ex.stdout}`);

  const bi = await b.ctl([
    '-s',
    'list_bindings',
    '-p',
    VHOST,
    'source_name',
    'destination_name',
    'routing_key',
  ]);
  assert.ok(bi.stdout.split('\n').includes('\tctl-jobs\tctl-jobs'), bi.stdout);

  const vh = await b.ctl(['list_vhosts', 'name', 'tracing']);
  assert.equal(vh.stdout.split('\n')[0], 'Listing vhosts ...');
  assert.ok(vh.stdout.includes(`\n${VHOST}\tfalse\n`), vh.stdout);

  const us = await b.ctl(['list_users']);
  assert.match(us.stdout, /^Listing users \.\.\.\nuser\ttags\n/);
  assert.match(us.stdout, /\nguest\t\[administrator\]\n/);

  const pe = await b.ctl(['list_permissions', '-p', VHOST]);
  assert.match(
    pe.stdout,
    /^Listing permissions for vhost "ctl-fixture" \.\.\.\nuser\tconfigure\twrite\tread\n/,
  );
  assert.ok(pe.stdout.includes('\nguest\t.*\t.*\t.*\n'), pe.stdout);
});
