/**
 * RabbitMQ's own management CLI, rabbitmqadmin (a Python 3 script shipped in Debian's rabbitmq-server,
 * installed by .ci/run), works against Warren's management API unchanged: listing, declaring,
 * binding, publishing, getting and deleting. Skipped, saying why, when it is not installed.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { promisify } from 'node:util';
import amqp from 'amqplib';
import { uniqueName } from '../helpers/broker.js';
import { startCtlBroker, type CtlBroker } from './ctl.js';

const PYTHON = '/usr/bin/python3';

/** rabbitmqadmin from RABBITMQADMIN, /usr/bin, or the management plugin's priv/www/cli. */
function findRabbitmqadmin(): string | undefined {
  const candidates = [
    process.env['RABBITMQADMIN'] ?? '',
    '/usr/bin/rabbitmqadmin',
    '/usr/sbin/rabbitmqadmin',
  ];
  const lib = '/usr/lib/rabbitmq/lib';
  if (existsSync(lib))
    for (const server of readdirSync(lib)) {
      const plugins = join(lib, server, 'plugins');
      if (!existsSync(plugins)) continue;
      for (const p of readdirSync(plugins))
        if (p.startsWith('rabbitmq_management-'))
          candidates.push(join(plugins, p, 'priv', 'www', 'cli', 'rabbitmqadmin'));
    }
  return candidates.find((c) => c !== '' && existsSync(c));
}

const script = findRabbitmqadmin();
const skip =
  script === undefined
    ? 'rabbitmqadmin is not installed (Debian package rabbitmq-server; .ci/run installs it)'
    : !existsSync(PYTHON)
      ? `${PYTHON} is missing`
      : false;

let b: CtlBroker;
const queue = uniqueName('ctl-ra-q');
const exchange = uniqueName('ctl-ra-e');

async function admin(...args: string[]): Promise<string> {
  const u = new URL(b.mgmtUrl);
  const { stdout } = await promisify(execFile)(
    PYTHON,
    [script as string, '-H', u.hostname, '-P', u.port || '80', '-u', 'guest', '-p', 'guest', ...args],
    { timeout: 30_000 },
  );
  return stdout;
}

/** The rows of `-f tsv` output, header first. */
const tsv = (out: string): string[][] =>
  out
    .split('\n')
    .filter(Boolean)
    .map((l) => l.split('\t'));

before(async () => {
  if (!skip) b = await startCtlBroker();
});

after(async () => {
  if (!b) return;
  await admin('delete', 'queue', `name=${queue}`).catch(() => {});
  await admin('delete', 'exchange', `name=${exchange}`).catch(() => {});
  await b.close();
});

test('rabbitmqadmin declare queue, then list queues shows it (table and tsv)', { skip }, async () => {
  assert.equal(await admin('declare', 'queue', `name=${queue}`, 'durable=false'), 'queue declared\n');
  const table = await admin('list', 'queues', 'name', 'messages');
  assert.match(table, /^\+-+\+-+\+\n\| +name +\| messages \|\n/);
  // RabbitMQ fills in counts up to 5 s after a declare; Warren at once
  const count = b.external ? '(0)?' : '0';
  assert.match(table, new RegExp(`\\n\\| ${queue} +\\| ${count} +\\|\\n`));
  const rows = tsv(await admin('-f', 'tsv', 'list', 'queues', 'name', 'durable', 'messages'));
  assert.deepEqual(rows[0], ['name', 'durable', 'messages']);
  const row = rows.find((r) => r[0] === queue);
  assert.deepEqual(row?.slice(0, 2), [queue, 'False']);
  assert.ok(row?.[2] === '0' || (b.external && row?.[2] === ''), JSON.stringify(row));
});

test('rabbitmqadmin declare exchange and binding, then list bindings', { skip }, async () => {
  assert.equal(await admin('declare', 'exchange', `name=${exchange}`, 'type=topic'), 'exchange declared\n');
  assert.equal(
    await admin('declare', 'binding', `source=${exchange}`, `destination=${queue}`, 'routing_key=a.#'),
    'binding declared\n',
  );
  const rows = tsv(await admin('-f', 'tsv', 'list', 'bindings', 'source', 'destination', 'routing_key'));
  assert.ok(
    rows.some((r) => r.join('\t') === `${exchange}\t${queue}\ta.#`),
    JSON.stringify(rows),
  );
  const ex = tsv(await admin('-f', 'tsv', 'list', 'exchanges', 'name', 'type'));
  assert.ok(ex.some((r) => r.join('\t') === `${exchange}\ttopic`));
});

test('rabbitmqadmin publish routes through the exchange; get reads the message back', { skip }, async () => {
  assert.equal(
    await admin('publish', `exchange=${exchange}`, 'routing_key=a.b', 'payload=hello warren'),
    'Message published\n',
  );
  const got = tsv(await admin('-f', 'tsv', 'get', `queue=${queue}`, 'ackmode=ack_requeue_true'));
  const header = got[0] as string[];
  const row = got[1] as string[];
  assert.equal(row[header.indexOf('payload')], 'hello warren');
  assert.equal(row[header.indexOf('routing_key')], 'a.b');
  // and an AMQP client sees the same message
  const conn = await amqp.connect(b.url);
  try {
    const ch = await conn.createChannel();
    const m = await ch.get(queue, { noAck: true });
    assert.ok(m);
    assert.equal(m.content.toString(), 'hello warren');
  } finally {
    await conn.close();
  }
});

test('rabbitmqadmin list vhosts, list users, show overview', { skip }, async () => {
  assert.ok(tsv(await admin('-f', 'tsv', 'list', 'vhosts', 'name')).some((r) => r[0] === '/'));
  assert.ok(tsv(await admin('-f', 'tsv', 'list', 'users', 'name')).some((r) => r[0] === 'guest'));
  assert.match(await admin('show', 'overview'), /rabbitmq_version/);
});

test('rabbitmqadmin delete queue and exchange', { skip }, async () => {
  assert.equal(await admin('delete', 'queue', `name=${queue}`), 'queue deleted\n');
  assert.equal(await admin('delete', 'exchange', `name=${exchange}`), 'exchange deleted\n');
  const rows = tsv(await admin('-f', 'tsv', 'list', 'queues', 'name'));
  assert.ok(!rows.some((r) => r[0] === queue));
});
