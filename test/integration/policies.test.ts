/**
 * Policies set through the core API of an in-process Warren, observed through amqplib: an
 * alternate-exchange policy catches unroutable messages until it is cleared, queue settings combine
 * policy and arguments, queues declared later pick the policy up, and policies survive a restart.
 * The last group checks that message-ttl and max-length set by policy take effect in the queue.
 * (Warren-only: policies are set in-process; against RabbitMQ use rabbitmqctl set_policy instead.)
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import amqp, { type ChannelModel } from 'amqplib';
import type { Broker } from '../../src/core/broker.js';
import type { PolicyInput } from '../../src/core/policy.js';
import type { Queue } from '../../src/core/queue/queue.js';
import { Warren } from '../../src/index.js';
import { drain, fill, range, readyCount, useBroker } from '../helpers/amqp.js';
import { uniqueName } from '../helpers/broker.js';
import { waitFor, withTimeout } from '../helpers/wait.js';

const external = process.env['WARREN_TEST_URL'] !== undefined;
const esc = (s: string): string => s.replace(/[.*+?^${}()|[\]\\-]/g, '\\$&');

describe('policies', { skip: external && 'policies are set through the in-process core API' }, () => {
  const h = useBroker();
  const broker = (): Broker => {
    const w = h.broker.warren;
    assert.ok(w, 'needs an in-process Warren');
    return w.broker;
  };
  const queueObject = (name: string): Queue => {
    const q = broker().vhost('/').queues.get(name);
    assert.ok(q, `queue ${name} missing`);
    return q;
  };
  /** Sets a policy on vhost / and clears it after the test file. */
  const policies: string[] = [];
  const setPolicy = (input: PolicyInput): void => {
    broker().setPolicy('/', input);
    if (!policies.includes(input.name)) policies.push(input.name);
  };
  after(() => {
    for (const name of policies) if (broker().vhost('/').policy(name)) broker().clearPolicy('/', name);
  });

  test('an alternate-exchange policy catches unroutable messages; clear_policy removes it', async () => {
    const x = await h.exchange('direct', {}, 'pol-x');
    const ae = await h.exchange('fanout', {}, 'pol-ae');
    const caught = await h.queue({}, 'pol-caught');
    const ch = await h.confirmChannel();
    await ch.bindQueue(caught, ae, '');
    const returned: string[] = [];
    ch.on('return', (m: { content: Buffer }) => returned.push(m.content.toString()));

    const name = uniqueName('ae-policy');
    setPolicy({
      name,
      pattern: `^${esc(x)}$`,
      applyTo: 'exchanges',
      definition: { 'alternate-exchange': ae },
    });
    ch.publish(x, 'nowhere', Buffer.from('to-ae'), { mandatory: true });
    await withTimeout(ch.waitForConfirms(), undefined, 'confirms');
    assert.deepEqual(await drain(ch, caught), ['to-ae']);
    assert.deepEqual(returned, [], 'a message routed to the AE must not be returned');

    broker().clearPolicy('/', name);
    ch.publish(x, 'nowhere', Buffer.from('unroutable'), { mandatory: true });
    await withTimeout(ch.waitForConfirms(), undefined, 'confirms');
    await waitFor(() => returned.length === 1, undefined, 'basic.return');
    assert.deepEqual(returned, ['unroutable']);
    assert.deepEqual(await drain(ch, caught), []);
  });

  test('an alternate-exchange argument wins over the policy', async () => {
    const argAe = await h.exchange('fanout', {}, 'pol-arg-ae');
    const polAe = await h.exchange('fanout', {}, 'pol-pol-ae');
    const x = await h.exchange('direct', { alternateExchange: argAe }, 'pol-x2');
    const viaArg = await h.queue({}, 'pol-via-arg');
    const viaPolicy = await h.queue({}, 'pol-via-policy');
    const ch = await h.confirmChannel();
    await ch.bindQueue(viaArg, argAe, '');
    await ch.bindQueue(viaPolicy, polAe, '');
    setPolicy({
      name: uniqueName('ae-lose'),
      pattern: `^${esc(x)}$`,
      applyTo: 'exchanges',
      definition: { 'alternate-exchange': polAe },
    });
    ch.publish(x, 'nowhere', Buffer.from('m'));
    await withTimeout(ch.waitForConfirms(), undefined, 'confirms');
    assert.deepEqual(await drain(ch, viaArg), ['m']);
    assert.deepEqual(await drain(ch, viaPolicy), []);
  });

  test('queue settings combine policy and arguments; existing and new queues get the policy', async () => {
    const prefix = uniqueName('pol-settings');
    const ch = await h.channel();
    const before = `${prefix}-before`;
    await ch.assertQueue(before, {
      durable: false,
      arguments: { 'x-max-length': 10, 'x-dead-letter-exchange': 'from-arg' },
    });
    h.deleteAfter('queue', before);
    const name = uniqueName('settings');
    setPolicy({
      name,
      pattern: `^${esc(prefix)}`,
      applyTo: 'queues',
      definition: { 'max-length': 3, 'dead-letter-exchange': 'from-policy', 'message-ttl': 60000 },
    });
    const old = queueObject(before);
    assert.equal(old.policy, name);
    assert.equal(old.settings.maxLength, 3, 'the lower of argument and policy');
    assert.equal(old.settings.deadLetterExchange, 'from-arg', 'the argument wins for non-numeric keys');
    assert.equal(old.settings.messageTtl, 60000);

    const later = `${prefix}-after`;
    await ch.assertQueue(later, { durable: false, arguments: { 'x-message-ttl': 1000 } });
    h.deleteAfter('queue', later);
    const fresh = queueObject(later);
    assert.equal(fresh.policy, name);
    assert.equal(fresh.settings.messageTtl, 1000);
    assert.equal(fresh.settings.maxLength, 3);
    assert.equal(fresh.settings.deadLetterExchange, 'from-policy');

    broker().clearPolicy('/', name);
    assert.equal(old.policy, undefined);
    assert.equal(old.settings.maxLength, 10);
    assert.equal(old.settings.messageTtl, undefined);
    assert.equal(fresh.settings.maxLength, undefined);
  });

  // ---- behaviour in the queue core (message-ttl / max-length by policy) ----
  // These depend on the queue acting on `settings` (src/core/queue/queue.ts), not on policy code.

  test('[queue core] message-ttl set by policy expires messages', async () => {
    const q = await h.queue({}, 'pol-ttl');
    setPolicy({ name: uniqueName('ttl'), pattern: `^${esc(q)}$`, definition: { 'message-ttl': 100 } });
    const ch = await h.confirmChannel();
    await fill(ch, q, ['short-lived']);
    await waitFor(async () => (await readyCount(ch, q)) === 0, undefined, 'the message to expire');
    assert.equal(await ch.get(q, { noAck: true }), false);
  });

  test('[queue core] max-length set by policy keeps only the newest N', async () => {
    const q = await h.queue({}, 'pol-maxlen');
    setPolicy({ name: uniqueName('maxlen'), pattern: `^${esc(q)}$`, definition: { 'max-length': 2 } });
    const ch = await h.confirmChannel();
    await fill(ch, q, range(5));
    assert.equal(await readyCount(ch, q), 2);
    assert.deepEqual(await drain(ch, q), ['m3', 'm4']);
  });

  test('[queue core] a policy lowering max-length trims a queue that is already longer', async () => {
    const q = await h.queue({}, 'pol-trim');
    const ch = await h.confirmChannel();
    await fill(ch, q, range(5));
    setPolicy({ name: uniqueName('trim'), pattern: `^${esc(q)}$`, definition: { 'max-length': 1 } });
    await waitFor(async () => (await readyCount(ch, q)) === 1, undefined, 'the queue to be trimmed');
    assert.deepEqual(await drain(ch, q), ['m4']);
  });
});

describe('policies across restarts', { skip: external && 'needs an in-process Warren' }, () => {
  let dir: string;
  let warren: Warren | undefined;
  let conn: ChannelModel | undefined;

  const start = async (): Promise<Warren> => {
    await conn?.close().catch(() => {});
    conn = undefined;
    await warren?.close();
    warren = await Warren.start({ host: '127.0.0.1', port: 0, logLevel: 'silent', dataDir: dir });
    return warren;
  };

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'warren-policies-'));
  });
  after(async () => {
    await conn?.close().catch(() => {});
    await warren?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('policies are durable and recovered queues and exchanges get them; a cleared one stays gone', async () => {
    let w = await start();
    conn = await amqp.connect(w.url);
    const ch = await conn.createChannel();
    await ch.assertQueue('dq-keep', { durable: true, arguments: { 'x-max-length': 50 } });
    await ch.assertExchange('dx-keep', 'topic', { durable: true });
    w.broker.setPolicy('/', {
      name: 'limits',
      pattern: '^dq-',
      applyTo: 'queues',
      priority: 4,
      definition: { 'max-length': 20, 'message-ttl': 30000 },
    });
    w.broker.setPolicy('/', {
      name: 'ae',
      pattern: '^dx-',
      applyTo: 'exchanges',
      definition: { 'alternate-exchange': 'somewhere' },
    });
    w.broker.setPolicy('/', { name: 'gone', pattern: 'x', definition: { expires: 1000 } });
    // Replaced by name: only the second version may come back.
    w.broker.setPolicy('/', { name: 'gone', pattern: 'y', definition: { expires: 2000 } });
    w.broker.clearPolicy('/', 'gone');

    // Twice: the second start reads the log the first one compacted.
    for (let i = 0; i < 2; i++) {
      w = await start();
      assert.deepEqual(
        w.broker.policies('/').map((p) => [p.name, p.pattern, p.applyTo, p.priority, p.definition]),
        [
          ['ae', '^dx-', 'exchanges', 0, { 'alternate-exchange': 'somewhere' }],
          ['limits', '^dq-', 'queues', 4, { 'max-length': 20, 'message-ttl': 30000 }],
        ],
      );
      const v = w.broker.vhost('/');
      const q = v.queues.get('dq-keep');
      assert.ok(q);
      assert.equal(q.policy, 'limits');
      assert.equal(q.settings.maxLength, 20);
      assert.equal(q.settings.messageTtl, 30000);
      assert.equal(v.exchanges.get('dx-keep')?.alternateExchange, 'somewhere');
    }

    w.broker.clearPolicy('/', 'limits');
    w = await start();
    assert.deepEqual(
      w.broker.policies().map((p) => p.name),
      ['ae'],
    );
    assert.equal(w.broker.vhost('/').queues.get('dq-keep')?.settings.maxLength, 50);
  });
});
