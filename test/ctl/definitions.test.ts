/**
 * export_definitions then import_definitions gives back the same broker: vhosts, users (with their
 * password hashes, so they log in again), permissions, queues, exchanges, bindings and policies.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import amqp from 'amqplib';
import { uniqueName } from '../helpers/broker.js';
import { startCtlBroker, type CtlBroker } from './ctl.js';

type Defs = Record<string, unknown>;
type Item = Record<string, unknown>;

let b: CtlBroker;
const tmp = mkdtempSync(join(tmpdir(), 'warrenctl-defs-'));
const vhost = uniqueName('ctl-defs');
const user = uniqueName('ctl-defs-user');

before(async () => {
  b = await startCtlBroker();
});

after(async () => {
  await b?.ctl(['delete_vhost', vhost]);
  await b?.ctl(['delete_user', user]);
  await b?.close();
  rmSync(tmp, { recursive: true, force: true });
});

async function ok(args: string[], input?: string): Promise<string> {
  const r = await b.ctl(args, input === undefined ? {} : { input });
  assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

/** The parts of an export that belong to this test's vhost and user. */
function only(defs: Defs): Defs {
  const list = (k: string): Item[] => (defs[k] as Item[] | undefined) ?? [];
  return {
    users: list('users').filter((u) => u['name'] === user),
    vhosts: list('vhosts').filter((v) => v['name'] === vhost),
    permissions: list('permissions').filter((p) => p['vhost'] === vhost),
    topic_permissions: list('topic_permissions').filter((p) => p['vhost'] === vhost),
    policies: list('policies').filter((p) => p['vhost'] === vhost),
    queues: list('queues').filter((q) => q['vhost'] === vhost),
    exchanges: list('exchanges').filter((e) => e['vhost'] === vhost),
    bindings: list('bindings').filter((x) => x['vhost'] === vhost),
  };
}

/** Order-free comparison form: every array sorted by its items' JSON. */
function normal(v: unknown): unknown {
  if (Array.isArray(v))
    return v.map(normal).sort((a, c) => JSON.stringify(a).localeCompare(JSON.stringify(c)));
  if (v && typeof v === 'object')
    return Object.fromEntries(
      Object.entries(v as Item)
        .sort(([a], [c]) => a.localeCompare(c))
        .map(([k, x]) => [k, normal(x)]),
    );
  return v;
}

test('export, delete, import from stdin: the vhost and user come back, and the user logs in', async () => {
  await ok(['add_vhost', vhost]);
  await ok(['add_user', user, 'defs-pw']);
  await ok(['set_user_tags', user, 'monitoring']);
  await ok(['set_permissions', '-p', vhost, user, '.*', '.*', '.*']);
  await ok(['set_permissions', '-p', vhost, 'guest', '.*', '.*', '.*']);
  await ok([
    'set_policy',
    '-p',
    vhost,
    'ctl-ttl',
    '^ctl-t\\.',
    '{"message-ttl":60000}',
    '--apply-to',
    'queues',
  ]);
  const conn = await amqp.connect(`${b.url}/${vhost}`);
  const ch = await conn.createChannel();
  await ch.assertExchange('ctl-orders', 'topic', { durable: true });
  await ch.assertQueue('ctl-orders.eu', { durable: true, arguments: { 'x-max-length': 1000 } });
  await ch.bindQueue('ctl-orders.eu', 'ctl-orders', 'orders.eu.#', { region: 'eu' });
  await conn.close();

  const file = join(tmp, 'defs.json');
  assert.equal(
    await ok(['export_definitions', file]),
    `Exporting definitions in JSON to a file at "${file}" ...\n`,
  );
  const exported = JSON.parse(readFileSync(file, 'utf8')) as Defs;
  const fromStdout = JSON.parse(await ok(['export_definitions', '-'])) as Defs;
  const mine = only(exported);
  assert.deepEqual(normal(only(fromStdout)), normal(mine));
  assert.equal((mine['queues'] as Item[]).length, 1);
  assert.equal((mine['bindings'] as Item[]).length, 1);
  assert.equal((mine['users'] as Item[]).length, 1);

  await ok(['delete_vhost', vhost]);
  await ok(['delete_user', user]);
  assert.equal((await b.ctl(['list_user_permissions', user])).code, 67, 'the user is gone');

  const imported = await ok(['import_definitions'], JSON.stringify(mine));
  assert.equal(
    imported,
    'Importing definitions in JSON from standard input ...\nSuccessfully imported definitions.\n',
  );

  assert.deepEqual(normal(only(JSON.parse(await ok(['export_definitions', '-'])) as Defs)), normal(mine));
  assert.equal(
    await ok(['-s', 'list_queues', '-p', vhost, 'name', 'durable', 'arguments']),
    'ctl-orders.eu\ttrue\t[{"x-max-length",1000}]\n',
  );
  assert.match(
    await ok(['-s', 'list_bindings', '-p', vhost]),
    /(^|\n)ctl-orders\texchange\tctl-orders\.eu\tqueue\torders\.eu\.#\t\[\{"region","eu"\}\]\n/,
  );
  const again = await amqp.connect(`amqp://${user}:defs-pw@${new URL(b.url).host}/${vhost}`);
  await again.close();
});

test('a whole export imported from a file into a fresh Warren exports the same again', async (t) => {
  if (b.external) return t.skip('needs a second, empty broker');
  const file = join(tmp, 'all.json');
  await ok(['export_definitions', file]);
  const other = await startCtlBroker();
  try {
    const r = await other.ctl(['import_definitions', file]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(
      r.stdout,
      `Importing definitions in JSON from a file at "${file}" ...\nSuccessfully imported definitions.\n`,
    );
    const back = JSON.parse((await other.ctl(['export_definitions', '-'])).stdout) as Defs;
    const before = JSON.parse(readFileSync(file, 'utf8')) as Defs;
    for (const key of [
      'users',
      'vhosts',
      'permissions',
      'topic_permissions',
      'policies',
      'queues',
      'exchanges',
      'bindings',
    ])
      assert.deepEqual(normal(back[key] ?? []), normal(before[key] ?? []), key);
  } finally {
    await other.close();
  }
});

test('import_definitions of something that is not JSON: exit 65, nothing imported', async () => {
  const r = await b.ctl(['import_definitions', '-'], { input: '{"vhosts": [' });
  assert.equal(r.code, 65);
  assert.match(r.stderr, /^Error:\nthe definitions are not valid JSON: /);
  const missing = await b.ctl(['import_definitions', join(tmp, 'nope.json')]);
  assert.equal(missing.code, 65);
  assert.match(missing.stderr, /could not read .*nope\.json/);
});
