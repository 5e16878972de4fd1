/**
 * Definitions import and export. The fixture was exported by RabbitMQ 3.10.8 (`rabbitmqctl
 * export_definitions`, made by test/fixtures/rabbitmq-definitions.sh): a vhost with a limit, a user
 * with a password, tags, permissions and topic permissions, a policy, exchanges (one with an
 * alternate exchange), a durable queue with arguments and bindings (one exchange-to-exchange with
 * arguments). Loaded with `loadDefinitions` it must give a Warren where that user logs in with its
 * RabbitMQ password and messages route as they did in RabbitMQ. Also: Warren's export imports back
 * unchanged, and bad input is refused, naming the item, before anything changes.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, describe, test } from 'node:test';
import amqp from 'amqplib';
import { Broker } from '../../src/core/broker.js';
import { DefinitionsError } from '../../src/definitions/error.js';
import { exportDefinitions } from '../../src/definitions/export.js';
import { importDefinitions } from '../../src/definitions/import.js';
import type { DefinitionsJson } from '../../src/definitions/json-types.js';
import { Warren } from '../../src/warren.js';
import { waitFor } from '../helpers/wait.js';

const fixture = join(
  dirname(fileURLToPath(import.meta.url)),
  '..',
  '..',
  '..',
  'test',
  'fixtures',
  'rabbitmq-definitions.json',
);
const VHOST = 'defs-import';
const tmp = mkdtempSync(join(tmpdir(), 'warren-defs-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

const fixtureJson = (): DefinitionsJson => JSON.parse(readFileSync(fixture, 'utf8')) as DefinitionsJson;

async function start(dataDir: string, loadDefinitions?: string): Promise<Warren> {
  return Warren.start({ host: '127.0.0.1', port: 0, logLevel: 'silent', dataDir, loadDefinitions });
}

describe('a RabbitMQ export loaded at boot', () => {
  const dataDir = join(tmp, 'boot');

  test('creates what it defines, and the user logs in with its RabbitMQ password', async () => {
    const w = await start(dataDir, fixture);
    try {
      const b = w.broker;
      const v = b.vhost(VHOST);
      // As RabbitMQ with definitions to load: no default user or vhost seeded; guest comes from the file.
      assert.equal(b.vhosts.has('/'), false);
      assert.deepEqual([...b.users.keys()].sort(), ['defs-alice', 'guest']);
      assert.deepEqual(b.users.get('defs-alice')?.tags, ['monitoring', 'policymaker']);
      assert.deepEqual(v.limits, { 'max-queues': 100 });
      assert.deepEqual(
        b.listPermissions({ vhost: VHOST }).find((p) => p.user === 'defs-alice'),
        { user: 'defs-alice', vhost: VHOST, configure: '^defs-.*', write: '.*', read: '.*' },
      );
      assert.deepEqual(b.listTopicPermissions({ user: 'defs-alice' }), [
        { user: 'defs-alice', vhost: VHOST, exchange: 'amq.topic', write: '^orders\\.', read: '^orders\\.' },
      ]);
      const [policy] = b.policies(VHOST);
      assert.equal(policy?.name, 'defs-expiry');
      assert.equal(policy?.applyTo, 'queues');
      assert.equal(policy?.priority, 3);
      assert.deepEqual(policy?.definition, { expires: 600000 });

      const orders = v.exchange('defs-orders');
      assert.equal(orders.type, 'topic');
      assert.equal(orders.durable, true);
      assert.equal(orders.alternateExchange, 'defs-unrouted');
      const q = v.queues.get('defs-orders.eu');
      assert.ok(q);
      assert.equal(q.durable, true);
      assert.deepEqual(q.arguments, {
        'x-dead-letter-exchange': 'defs-unrouted',
        'x-max-length': 1000,
        'x-message-ttl': 60000,
        'x-queue-type': 'classic',
      });

      // The imported user, with the password it had in RabbitMQ; a wrong one is refused.
      const base = `127.0.0.1:${w.port}/${VHOST}`;
      await assert.rejects(amqp.connect(`amqp://defs-alice:wrong@${base}`), /ACCESS_REFUSED|403/);
      const conn = await amqp.connect(`amqp://defs-alice:alice-rabbit-pw@${base}`);
      try {
        const ch = await conn.createChannel();
        // Routing as the bindings say: topic binding, alternate exchange, headers e2e binding.
        ch.publish('defs-orders', 'orders.eu.new', Buffer.from('routed'));
        ch.publish('defs-orders', 'orders.us.new', Buffer.from('unrouted'));
        const got = async (queue: string): Promise<string | undefined> => {
          let body: string | undefined;
          await waitFor(async () => {
            const m = await ch.get(queue, { noAck: true });
            if (m) body = m.content.toString();
            return m !== false;
          });
          return body;
        };
        assert.equal(await got('defs-orders.eu'), 'routed');
        assert.equal(await got('defs-unrouted'), 'unrouted');
        assert.deepEqual(
          [...orders.bindings].map((bd) => [bd.destination.name, bd.routingKey, bd.arguments]).sort(),
          [
            ['defs-audit', '', { region: 'eu', 'x-match': 'any' }],
            ['defs-orders.eu', 'orders.eu.*', {}],
          ],
        );
      } finally {
        await conn.close();
      }
    } finally {
      await w.close();
    }
  });

  test('the next boot imports again: what is missing comes back, what exists is left as it is', async () => {
    const w = await start(dataDir, fixture);
    try {
      const v = w.broker.vhost(VHOST);
      v.deleteQueue('defs-unrouted', null, false, false);
      v.deleteQueue('defs-orders.eu', null, false, false);
      v.declareQueue(
        {
          name: 'defs-orders.eu',
          passive: false,
          durable: true,
          exclusive: false,
          autoDelete: false,
          arguments: { 'x-max-length': 5 },
        },
        null,
      );
    } finally {
      await w.close();
    }
    const again = await start(dataDir, fixture);
    try {
      const v = again.broker.vhost(VHOST);
      assert.equal(v.queues.get('defs-unrouted')?.durable, true);
      assert.deepEqual(v.queues.get('defs-orders.eu')?.arguments, { 'x-max-length': 5 });
      assert.equal(again.broker.vhosts.has('/'), false);
    } finally {
      await again.close();
    }
  });

  test('a directory: every .json file in name order', async () => {
    const dir = join(tmp, 'defs.d');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, '10-rabbit.json'), readFileSync(fixture));
    writeFileSync(
      join(dir, '20-more.json'),
      JSON.stringify({ queues: [{ name: 'defs-extra', vhost: VHOST, durable: false }] }),
    );
    writeFileSync(join(dir, 'notes.txt'), 'not json');
    const w = await start(join(tmp, 'dir-boot'), dir);
    try {
      assert.equal(w.broker.vhost(VHOST).queues.get('defs-extra')?.durable, false);
    } finally {
      await w.close();
    }
  });

  test('a bad file stops the start, naming the file and the item', async () => {
    const bad = join(tmp, 'bad.json');
    const json = fixtureJson();
    json.bindings?.push({
      source: 'defs-nowhere',
      vhost: VHOST,
      destination: 'defs-orders.eu',
      destination_type: 'queue',
      routing_key: 'x',
      arguments: {},
    });
    writeFileSync(bad, JSON.stringify(json));
    await assert.rejects(
      start(join(tmp, 'bad-boot'), bad),
      (e: Error) =>
        e instanceof DefinitionsError &&
        e.message.includes(bad) &&
        e.message.includes("bindings[3] ('defs-nowhere' -> 'defs-orders.eu' in vhost 'defs-import')") &&
        e.message.includes("source exchange 'defs-nowhere' does not exist"),
    );
    writeFileSync(bad, '{"queues": [');
    await assert.rejects(start(join(tmp, 'bad-boot2'), bad), /bad\.json: .*JSON/);
  });
});

describe('export', () => {
  test("Warren's export has RabbitMQ's shape and imports back into an empty broker unchanged", async () => {
    const a = new Broker();
    a.addVhost('shop', { description: 'the shop', tags: ['prod'] });
    a.addUser('bob', 'bob-pw', ['management']);
    a.setPermissions('bob', 'shop', { configure: '', write: '^orders$', read: '.*' });
    a.setTopicPermissions('bob', 'shop', 'amq.topic', { write: '^a\\.', read: '.*' });
    a.setVhostLimits('shop', { 'max-connections': 10 });
    a.setPolicy('shop', {
      name: 'ttl',
      pattern: '^t\\.',
      definition: { 'message-ttl': 1000 },
      applyTo: 'queues',
    });
    a.clusterName = 'shop-cluster';
    const v = a.vhost('shop');
    const x = (name: string, type: string, extra: object = {}): void => {
      v.declareExchange({
        name,
        type,
        passive: false,
        durable: true,
        autoDelete: false,
        internal: false,
        arguments: {},
        ...extra,
      });
    };
    x('orders', 'direct');
    x('hidden', 'fanout', { internal: true });
    x('later', 'x-delayed-message', { arguments: { 'x-delayed-type': 'topic' } });
    const q = (name: string, extra: object = {}, owner: { id: number } | null = null): void => {
      v.declareQueue(
        { name, passive: false, durable: true, exclusive: false, autoDelete: false, arguments: {}, ...extra },
        owner,
      );
    };
    q('orders', { arguments: { 'x-max-priority': 5, 'x-dead-letter-exchange': 'hidden' } });
    q('scratch', { durable: false, autoDelete: true });
    q('mine', { exclusive: true }, { id: 1 });
    v.bind('orders', v.queues.get('orders')!, 'new', {});
    v.bind('orders', v.exchange('hidden'), 'audit', { 'x-note': 'e2e' });
    v.bind('amq.topic', v.queues.get('scratch')!, 'a.#', {});

    const exported = exportDefinitions(a);
    assert.equal(exported.rabbitmq_version, '3.13.7');
    assert.equal(exported.product_name, 'Warren');
    const names = (list: { name: string; vhost: string }[] | undefined): string[] =>
      (list ?? [])
        .filter((e) => e.vhost === 'shop')
        .map((e) => e.name)
        .sort();
    // No exclusive queues, no default or amq.* exchanges; internal ones are kept (marked).
    assert.deepEqual(names(exported.queues), ['orders', 'scratch']);
    assert.deepEqual(names(exported.exchanges), ['hidden', 'later', 'orders']);
    assert.equal(exported.exchanges?.find((e) => e.name === 'hidden')?.internal, true);
    assert.equal(exported.exchanges?.find((e) => e.name === 'orders')?.internal, false);
    assert.deepEqual(
      exported.queues?.find((e) => e.name === 'orders'),
      {
        name: 'orders',
        vhost: 'shop',
        durable: true,
        auto_delete: false,
        arguments: { 'x-max-priority': 5, 'x-dead-letter-exchange': 'hidden' },
        type: 'classic',
      },
    );
    assert.deepEqual(exported.global_parameters, [{ name: 'cluster_name', value: 'shop-cluster' }]);
    assert.deepEqual(exported.parameters, [
      { vhost: 'shop', component: 'vhost-limits', name: 'limits', value: { 'max-connections': 10 } },
    ]);
    const shopBindings = exported.bindings?.filter((b) => b.vhost === 'shop');
    assert.equal(shopBindings?.length, 3);

    // Through JSON text, as a file would carry it.
    const b = new Broker();
    const result = importDefinitions(b, JSON.parse(JSON.stringify(exported)));
    assert.equal(result.counts.queues, 2);
    assert.equal(result.counts.bindings, 3);
    assert.deepEqual(sorted(exportDefinitions(b)), sorted(exported));
    assert.ok(b.access.authenticate('bob', 'bob-pw'), 'bob logs in with his password in the new broker');
    assert.equal(b.clusterName, 'shop-cluster');
  });
});

describe('import checks', () => {
  const base = (): DefinitionsJson => ({
    vhosts: [{ name: 'v1' }],
    users: [{ name: 'u1', password_hash: '', tags: [] }],
    exchanges: [
      { name: 'e1', vhost: 'v1', type: 'direct', durable: true, auto_delete: false, arguments: {} },
    ],
    queues: [{ name: 'q1', vhost: 'v1', durable: true, auto_delete: false, arguments: {} }],
    bindings: [
      {
        source: 'e1',
        vhost: 'v1',
        destination: 'q1',
        destination_type: 'queue',
        routing_key: 'k',
        arguments: {},
      },
    ],
  });

  /** Imports `mutate(base())` into a fresh broker: refused with `message`, and nothing created. */
  function refused(mutate: (d: DefinitionsJson & Record<string, unknown>) => void, message: RegExp): void {
    const b = new Broker();
    const before = JSON.stringify(sorted(exportDefinitions(b)));
    const doc = base() as DefinitionsJson & Record<string, unknown>;
    mutate(doc);
    assert.throws(
      () => importDefinitions(b, doc),
      (e: unknown) => e instanceof DefinitionsError && message.test(e.message),
    );
    assert.equal(JSON.stringify(sorted(exportDefinitions(b))), before, 'nothing changed');
  }

  test('the base document imports', () => {
    const b = new Broker();
    const r = importDefinitions(b, base());
    assert.deepEqual(r.counts, {
      vhosts: 1,
      users: 1,
      permissions: 0,
      topicPermissions: 0,
      exchanges: 1,
      queues: 1,
      bindings: 1,
      policies: 0,
      parameters: 0,
      globalParameters: 0,
    });
    assert.equal(b.vhost('v1').exchange('e1').bindingCount, 1);
  });

  test('refusals name the item and change nothing', () => {
    refused((d) => (d['queues'] = {} as never), /^queues should be a list$/);
    refused((d) => d.queues?.push('q2' as never), /^queues\[1\] should be an object$/);
    refused(
      (d) => ((d.queues![0] as unknown as Record<string, unknown>)['durable'] = 'yes'),
      /^queues\[0\] \('q1' in vhost 'v1'\): durable should be true or false, not "yes"$/,
    );
    refused(
      (d) => (d.queues![0]!.arguments = { 'x-max-length': 'ten' }),
      /^queues\[0\] \('q1' in vhost 'v1'\): .*invalid arg 'x-max-length'/,
    );
    refused(
      (d) => (d.queues![0]!.vhost = 'v9'),
      /queues\[0\] .*virtual host 'v9' does not exist and is not created by this file/,
    );
    refused(
      (d) => delete (d.queues![0] as Partial<{ vhost: string }>).vhost,
      /queues\[0\] \('q1'\): vhost is missing/,
    );
    refused(
      (d) => (d.exchanges![0]!.type = 'x-consistent-hash'),
      /exchanges\[0\] \('e1' in vhost 'v1'\): unknown exchange type 'x-consistent-hash'/,
    );
    refused(
      (d) => (d.bindings![0]!.destination = 'q9'),
      /bindings\[0\] .*destination queue 'q9' does not exist/,
    );
    refused(
      (d) => (d.bindings![0]!.destination_type = 'topic' as never),
      /bindings\[0\] .*destination_type should be "queue" or "exchange"/,
    );
    refused(
      (d) => (d['permissions'] = [{ user: 'nobody', vhost: 'v1', configure: '.*', write: '.*', read: '.*' }]),
      /permissions\[0\] \('nobody' in vhost 'v1'\): user 'nobody' does not exist/,
    );
    refused(
      (d) => (d['permissions'] = [{ user: 'u1', vhost: 'v1', configure: '(', write: '.*', read: '.*' }]),
      /permissions\[0\] .*/,
    );
    refused((d) => (d['users'] = [{ name: 'u2', password_hash: '!!!' }]), /users\[0\] \('u2'\): .*base64/);
    refused(
      (d) => (d['parameters'] = [{ vhost: 'v1', component: 'federation-upstream', name: 'up', value: {} }]),
      /parameters\[0\] .*component 'federation-upstream' is not supported/,
    );
    refused(
      (d) =>
        (d['policies'] = [
          {
            vhost: 'v1',
            name: 'p',
            pattern: '.*',
            'apply-to': 'queues',
            definition: { 'max-length': -1 },
            priority: 0,
          },
        ]),
      /policies\[0\] \('p' in vhost 'v1'\): .*not a valid maximum length/,
    );
    refused(
      (d) => (d['global_parameters'] = [{ name: 'cluster_name', value: 7 }]),
      /global_parameters\[0\] .*cluster_name should be a non-empty string/,
    );
  });

  test('what exists is left as it is; amq.* and default-exchange items are skipped with a reason', () => {
    const b = new Broker();
    importDefinitions(b, base());
    const doc = base();
    doc.queues![0]!.arguments = { 'x-max-length': 5 };
    doc.exchanges![0]!.type = 'fanout';
    doc.exchanges!.push({
      name: 'amq.direct',
      vhost: 'v1',
      type: 'direct',
      durable: true,
      auto_delete: false,
      arguments: {},
    });
    doc.queues!.push({ name: 'amq.q', vhost: 'v1', durable: true, auto_delete: false, arguments: {} });
    doc.bindings!.push({
      source: '',
      vhost: 'v1',
      destination: 'q1',
      destination_type: 'queue',
      routing_key: 'q1',
      arguments: {},
    });
    const r = importDefinitions(b, doc);
    assert.equal(r.counts.queues, 0);
    assert.equal(r.counts.exchanges, 0);
    assert.deepEqual(b.vhost('v1').queues.get('q1')?.arguments, {});
    assert.equal(b.vhost('v1').exchange('e1').type, 'direct');
    assert.equal(r.skipped.length, 3);
    assert.match(
      r.skipped.join('\n'),
      /exchanges\[1\] \('amq.direct' in vhost 'v1'\): the default and amq\.\* exchanges are not imported/,
    );
  });

  test('a single-vhost export imports into a named vhost', () => {
    const b = new Broker();
    importDefinitions(b, { queues: [{ name: 'solo', durable: true }] }, { vhost: '/' });
    assert.ok(b.vhost('/').queues.has('solo'));
  });
});

/** A definitions document with every list sorted, for comparing two exports. */
function sorted(d: DefinitionsJson): DefinitionsJson {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(d)) {
    out[k] = Array.isArray(v) ? [...v].map((x) => JSON.stringify(x)).sort() : v;
  }
  return out as DefinitionsJson;
}
