/**
 * purge_queue, delete_queue, close_connection and close_all_connections through warrenctl, seen from AMQP
 * clients; and the not-found and precondition errors with their exit codes.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { after, before, test } from 'node:test';
import amqp, { type Channel, type ChannelModel } from 'amqplib';
import { uniqueName } from '../helpers/broker.js';
import { waitFor } from '../helpers/wait.js';
import { rows, startCtlBroker, type CtlBroker } from './ctl.js';

let b: CtlBroker;
let conn: ChannelModel;
let ch: Channel;

before(async () => {
  b = await startCtlBroker();
  conn = await amqp.connect(b.url);
  ch = await conn.createChannel();
});

after(async () => {
  await conn?.close().catch(() => {});
  await b?.close();
});

async function fill(queue: string, n: number): Promise<void> {
  await ch.assertQueue(queue, { durable: false });
  for (let i = 0; i < n; i++) ch.sendToQueue(queue, Buffer.from(`m${i}`));
  // until the API shows them (RabbitMQ's refreshes every 5 s)
  await waitFor(
    async () =>
      (await b.ctl(['-s', 'list_queues', 'name', 'messages_ready'])).stdout.includes(`${queue}\t${n}\n`),
    15_000,
    `${n} messages in ${queue}`,
  );
}

test('purge_queue empties the queue for AMQP clients', async () => {
  const q = uniqueName('ctl-purge');
  await fill(q, 5);
  const r = await b.ctl(['purge_queue', q]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, `Purging queue '${q}' in vhost '/' ...\n`);
  assert.equal((await ch.checkQueue(q)).messageCount, 0);
  assert.equal(await ch.get(q), false);
  await ch.deleteQueue(q);
});

test('delete_queue --if-empty refuses a queue with messages (65); plain delete_queue removes it', async () => {
  const q = uniqueName('ctl-delete');
  await fill(q, 2);
  const refused = await b.ctl(['delete_queue', q, '--if-empty']);
  assert.equal(refused.code, 65);
  assert.equal(refused.stdout, `Deleting queue '${q}' on vhost '/' if queue is empty ...\n`);
  assert.equal(refused.stderr, 'Error:\nQueue is not empty\n');
  assert.equal((await ch.checkQueue(q)).messageCount, 2);

  const r = await b.ctl(['delete_queue', q]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(
    r.stdout,
    `Deleting queue '${q}' on vhost '/' ...\nQueue was successfully deleted with 2 ready messages\n`,
  );
  const probe = await conn.createChannel();
  probe.on('error', () => {});
  await assert.rejects(probe.checkQueue(q), /NOT_FOUND|404/);
});

test('purge_queue and delete_queue of a missing queue: "was not found", exit 69', async () => {
  for (const verb of ['purge_queue', 'delete_queue']) {
    const r = await b.ctl([verb, 'ctl-no-such-queue']);
    assert.equal(r.code, 69, verb);
    assert.equal(r.stderr, "Error:\nQueue 'ctl-no-such-queue' in vhost '/' was not found\n", verb);
  }
  const q = await b.ctl(['-q', 'purge_queue', '-p', 'ctl-no-such-vhost', 'x']);
  assert.equal(q.code, 69);
  assert.equal(q.stdout, '');
});

test('close_connection closes a client connection by name, with the explanation as reason', async () => {
  const tag = uniqueName('ctl-close-me');
  const victim = await amqp.connect(b.url, { clientProperties: { connection_name: tag } });
  const closed = once(victim, 'close');
  victim.on('error', () => {});
  let line: string | undefined;
  await waitFor(
    async () => {
      const l = await b.ctl(['-s', 'list_connections', 'name', 'client_properties']);
      line = l.stdout.split('\n').find((x) => x.includes(`{"connection_name","${tag}"}`));
      return line !== undefined;
    },
    15_000,
    'the connection in list_connections',
  );
  const name = (line as string).split('\t')[0] as string;
  const r = await b.ctl(['close_connection', name, 'go away']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, `Closing connection ${name}, reason: go away...\n`);
  const [err] = (await closed) as [Error | undefined];
  assert.match(String(err?.message), /320.*go away|CONNECTION_FORCED - go away/);

  const missing = await b.ctl(['close_connection', 'ctl-no-such-connection', 'x']);
  assert.equal(missing.code, 69);
  assert.equal(missing.stderr, "Error:\nConnection 'ctl-no-such-connection' was not found\n");
});

test('close_all_connections -p closes every connection in that vhost only', async () => {
  const vhost = uniqueName('ctl-close-all');
  await b.ctl(['add_vhost', vhost]);
  await b.ctl(['set_permissions', '-p', vhost, 'guest', '.*', '.*', '.*']);
  try {
    const victims = await Promise.all([1, 2].map(() => amqp.connect(`${b.url}/${vhost}`)));
    const closed = victims.map((v) => {
      v.on('error', () => {});
      return once(v, 'close');
    });
    await waitFor(
      async () =>
        rows((await b.ctl(['-s', 'list_connections', 'vhost'])).stdout, 0).filter((v) => v === vhost)
          .length === 2,
      15_000,
      'two connections in the vhost',
    );
    const r = await b.ctl(['close_all_connections', '-p', vhost, 'maintenance']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(
      r.stdout,
      `Closing all connections in vhost ${vhost}, reason: maintenance...\nClosed 2 connections\n`,
    );
    await Promise.all(closed);
    // ours, in "/", is still open
    await ch.assertQueue(uniqueName('ctl-still-open'), { exclusive: true });
  } finally {
    await b.ctl(['delete_vhost', vhost]);
  }
});
