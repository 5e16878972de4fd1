/**
 * Policies without sockets: validation with RabbitMQ's error texts (checked against rabbitmqctl
 * set_policy on RabbitMQ 3.10/3.13), which policy applies to which queue or exchange, priority and
 * tie-breaking, replacing and clearing, and the definitions-JSON shape.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Broker } from '../../src/core/broker.js';
import type { PolicyInput } from '../../src/core/policy.js';
import { PolicyError } from '../../src/core/policy-error.js';
import { policyFromJson, policyToJson } from '../../src/core/policy-json.js';
import type { Queue, QueueOwner } from '../../src/core/queue/queue.js';
import { VHost } from '../../src/core/vhost.js';
import type { FieldTable } from '../../src/protocol/field-types.js';

const input = (definition: unknown, extra: Partial<PolicyInput> = {}): PolicyInput => ({
  name: 'p',
  pattern: '.*',
  definition,
  ...extra,
});

function rejects(v: VHost, i: PolicyInput, message: string | RegExp): void {
  assert.throws(
    () => v.setPolicy(i),
    (e: unknown) => {
      assert.ok(e instanceof PolicyError, `expected a PolicyError, got ${String(e)}`);
      assert.equal(e.kind, 'invalid');
      if (typeof message === 'string') assert.equal(e.message, message);
      else assert.match(e.message, message);
      return true;
    },
  );
}

function queue(v: VHost, name: string, args: FieldTable = {}, exclusive = false): Queue {
  const owner: QueueOwner | null = exclusive ? { id: 1 } : null;
  return v.declareQueue(
    { name, passive: false, durable: false, exclusive, autoDelete: false, arguments: args },
    owner,
  );
}

describe('policy validation', () => {
  const v = new VHost('/');

  test('an invalid pattern is refused', () => {
    rejects(
      v,
      input({ 'max-length': 1 }, { pattern: '[' }),
      /^pattern should be regular expression but is invalid: /,
    );
    rejects(v, input({ 'max-length': 1 }, { pattern: 3 }), 'pattern should be a binary but was 3');
  });

  test('an empty or non-object definition is refused', () => {
    rejects(v, input({}), 'no policy provided');
    rejects(v, input([]), 'no policy provided');
    rejects(v, input([1]), 'definition must be a dictionary: [1]');
    rejects(v, input('x'), 'definition must be a dictionary: <<"x">>');
  });

  test('pattern and definition are mandatory', () => {
    rejects(
      v,
      { name: 'p', pattern: undefined, definition: { 'max-length': 1 } },
      'Key "pattern" not found in p',
    );
    rejects(v, { name: 'p', pattern: '.*', definition: undefined }, 'Key "definition" not found in p');
  });

  test('unknown keys are listed as RabbitMQ prints them; max-priority is not a policy key', () => {
    rejects(
      v,
      input({ foo: 1, bar: 'x', 'max-length': 3 }),
      '[{<<"bar">>,<<"x">>},{<<"foo">>,1}] are not recognised policy settings',
    );
    rejects(v, input({ 'max-priority': 1 }), '[{<<"max-priority">>,1}] are not recognised policy settings');
    // A bad known value is reported before unknown keys.
    rejects(v, input({ foo: 1, 'max-length': -1 }), '-1 is not a valid maximum length');
  });

  test('values are checked by type and range with RabbitMQ texts, keys in sorted order', () => {
    rejects(v, input({ 'max-length': -1 }), '-1 is not a valid maximum length');
    rejects(v, input({ 'max-length': 'x' }), '<<"x">> is not a valid maximum length');
    rejects(v, input({ 'max-length': 1.5 }), '1.5 is not a valid maximum length');
    rejects(v, input({ 'max-length': 'x', expires: 0 }), '0 is not a valid queue expiry');
    rejects(v, input({ 'message-ttl': -5 }), '-5 is not a valid message TTL');
    rejects(v, input({ 'max-length-bytes': true }), 'true is not a valid maximum length in bytes');
    rejects(v, input({ overflow: 'x' }), '<<"x">> is not a valid overflow value');
    rejects(v, input({ 'alternate-exchange': 1 }), '1 is not a valid alternate exchange name');
    rejects(v, input({ 'dead-letter-exchange': null }), 'null is not a valid dead letter exchange name');
    rejects(
      v,
      input({ 'dead-letter-exchange': ['a'] }),
      '[<<"a">>] is not a valid dead letter exchange name',
    );
    rejects(
      v,
      input({ 'dead-letter-exchange': { a: 1 } }),
      '#{<<"a">> => 1} is not a valid dead letter exchange name',
    );
    rejects(v, input({ 'dead-letter-routing-key': 7 }), '7 is not a valid dead letter routing key');
    rejects(v, input({ 'delivery-limit': -1 }), '-1 is not a valid delivery limit');
    rejects(v, input({ 'consumer-timeout': 'soon' }), '<<"soon">> is not a valid consumer timeout');
    rejects(v, input({ 'queue-mode': 'fast' }), '<<"fast">> is not a valid queue-mode value');
    rejects(v, input({ 'queue-version': 3 }), '3 is not a valid queue-version value');
    rejects(v, input({ 'max-age': '0D' }), '<<"0D">> is not a valid max age');
    rejects(v, input({ 'queue-master-locator': 'x' }), '<<"x">> invalid queue-master-locator value');
  });

  test('classic mirroring keys are validated together, as RabbitMQ does', () => {
    rejects(
      v,
      input({ 'ha-params': 1 }),
      'ha-mode must be specified to specify ha-params, ha-sync-mode or ha-promote-on-shutdown',
    );
    rejects(v, input({ 'ha-mode': 'all', 'ha-params': 2 }), 'ha-mode="all" does not take parameters');
    rejects(v, input({ 'ha-mode': 'exactly' }), 'ha-mode="exactly" takes an integer, none given');
    rejects(v, input({ 'ha-mode': 'nodes', 'ha-params': [] }), 'ha-mode="nodes" list must be non-empty');
    rejects(v, input({ 'ha-mode': 'bogus' }), '<<"bogus">> is not a valid ha-mode value');
    rejects(
      v,
      input({ 'ha-mode': 'all', 'ha-sync-mode': 'x' }),
      'ha-sync-mode must be "manual" or "automatic", got <<"x">>',
    );
  });

  test('priority must be a number and apply-to one of the known values', () => {
    rejects(
      v,
      input({ 'max-length': 1 }, { priority: 'x' }),
      'priority should be a number, actually was <<"x">>',
    );
    rejects(
      v,
      input({ 'max-length': 1 }, { applyTo: 'foo' }),
      "apply-to 'foo' unrecognised; should be one of: 'queues', 'classic_queues', 'quorum_queues', 'streams', 'exchanges', or 'all'",
    );
  });

  test('keys Warren ignores are accepted, so RabbitMQ definitions import unchanged', () => {
    const p = v.setPolicy(
      input({
        'ha-mode': 'exactly',
        'ha-params': 2,
        'ha-sync-mode': 'automatic',
        'queue-mode': 'lazy',
        'queue-version': 2,
        'queue-master-locator': 'min-masters',
      }),
    );
    assert.equal(p.applyTo, 'all');
    assert.equal(p.priority, 0);
    v.clearPolicy('p');
  });

  test('the stored definition is a copy the caller cannot change', () => {
    const def: Record<string, unknown> = { 'max-length': 4 };
    const p = v.setPolicy(input(def));
    def['max-length'] = 400;
    assert.deepEqual(p.definition, { 'max-length': 4 });
    assert.throws(() => {
      (p.definition as Record<string, unknown>)['max-length'] = 9;
    }, TypeError);
    v.clearPolicy('p');
  });

  test('clearing an unknown policy, or using an unknown vhost, fails with its own kind', () => {
    assert.throws(
      () => v.clearPolicy('nope'),
      (e: unknown) =>
        e instanceof PolicyError && e.kind === 'not_found' && e.message === 'Parameter does not exist',
    );
    const b = new Broker();
    assert.throws(
      () => b.setPolicy('nope', input({ 'max-length': 1 })),
      (e: unknown) =>
        e instanceof PolicyError &&
        e.kind === 'no_such_vhost' &&
        e.message === "Virtual host 'nope' does not exist",
    );
  });
});

describe('which policy applies', () => {
  test('the highest priority wins alone; the definitions are not merged', () => {
    const v = new VHost('/');
    v.setPolicy({ name: 'low', pattern: '^q', priority: 1, definition: { 'message-ttl': 1000 } });
    v.setPolicy({ name: 'high', pattern: '^q', priority: 2, definition: { 'max-length': 5 } });
    const q = queue(v, 'q1');
    assert.equal(q.policy, 'high');
    assert.equal(q.settings.maxLength, 5);
    assert.equal(q.settings.messageTtl, undefined);
    // Clearing the winner falls back to the next matching one.
    v.clearPolicy('high');
    assert.equal(q.policy, 'low');
    assert.equal(q.settings.maxLength, undefined);
    assert.equal(q.settings.messageTtl, 1000);
    v.clearPolicy('low');
    assert.equal(q.policy, undefined);
    assert.equal(q.settings.messageTtl, undefined);
  });

  test('equal priorities: the name that sorts first wins, whatever the order of setting', () => {
    const v = new VHost('/');
    v.setPolicy({ name: 'pb', pattern: 'x', definition: { 'max-length': 2 } });
    v.setPolicy({ name: 'pa', pattern: 'x', definition: { 'max-length': 1 } });
    v.setPolicy({ name: 'pc', pattern: 'x', definition: { 'max-length': 3 } });
    assert.equal(queue(v, 'x').policy, 'pa');
    assert.deepEqual(
      v.policies().map((p) => p.name),
      ['pc', 'pb', 'pa'],
    );
  });

  test('setting a policy of the same name replaces it and re-applies it', () => {
    const v = new VHost('/');
    const q = queue(v, 'r');
    v.setPolicy({ name: 'p', pattern: '^r$', definition: { 'max-length': 5 } });
    assert.equal(q.settings.maxLength, 5);
    v.setPolicy({ name: 'p', pattern: '^r$', definition: { 'message-ttl': 100, 'max-length': 7 } });
    assert.equal(q.settings.maxLength, 7);
    // An identical definition (a different priority, keys in another order) tells the queue nothing new.
    let told = 0;
    const apply = q.applyPolicy.bind(q);
    q.applyPolicy = (name, def) => {
      told++;
      apply(name, def);
    };
    v.setPolicy({
      name: 'p',
      pattern: 'r',
      priority: 2,
      definition: { 'max-length': 7, 'message-ttl': 100 },
    });
    assert.equal(told, 0);
    v.setPolicy({ name: 'p', pattern: '^nomatch$', definition: { 'max-length': 7 } });
    assert.equal(told, 1);
    assert.equal(q.policy, undefined);
    assert.equal(v.policies().length, 1);
  });

  test('patterns are unanchored regular expressions; a leading (?i) makes them case-insensitive', () => {
    const v = new VHost('/');
    v.setPolicy({ name: 'mid', pattern: 'ord', definition: { 'max-length': 1 } });
    v.setPolicy({ name: 'ci', pattern: '(?i)^CASE', priority: 5, definition: { 'max-length': 2 } });
    assert.equal(queue(v, 'orders').policy, 'mid');
    assert.equal(queue(v, 'my-orders-2').policy, 'mid');
    assert.equal(queue(v, 'case-study').policy, 'ci');
    assert.equal(queue(v, 'other').policy, undefined);
  });

  test('apply-to: queues, exchanges, all, and queue types by x-queue-type', () => {
    const v = new VHost('/');
    v.setPolicy({
      name: 'ex',
      pattern: '^t',
      applyTo: 'exchanges',
      definition: { 'alternate-exchange': 'ae' },
    });
    v.setPolicy({
      name: 'qq',
      pattern: '^t',
      applyTo: 'quorum_queues',
      priority: 3,
      definition: { 'delivery-limit': 4 },
    });
    v.setPolicy({
      name: 'cq',
      pattern: '^t',
      applyTo: 'classic_queues',
      priority: 2,
      definition: { 'max-length': 9 },
    });
    const e = v.declareExchange({
      name: 't-x',
      type: 'direct',
      passive: false,
      durable: false,
      autoDelete: false,
      internal: false,
      arguments: {},
    });
    assert.equal(e.policy?.name, 'ex');
    assert.equal(e.alternateExchange, 'ae');
    assert.equal(queue(v, 't-classic').policy, 'cq');
    assert.equal(queue(v, 't-quorum', { 'x-queue-type': 'quorum' }).policy, 'qq');
    assert.equal(queue(v, 't-stream', { 'x-queue-type': 'stream' }).policy, undefined);
    v.setPolicy({
      name: 'all',
      pattern: '^t',
      applyTo: 'all',
      priority: 10,
      definition: { 'max-length': 1 },
    });
    assert.equal(e.policy?.name, 'all');
    assert.equal(e.alternateExchange, undefined);
    assert.equal(v.queues.get('t-classic')?.policy, 'all');
  });

  test('a policy with keys the queue type does not support is skipped for it, as in RabbitMQ', () => {
    const v = new VHost('/');
    v.setPolicy({
      name: 'stream-ish',
      pattern: '^s',
      priority: 10,
      definition: { 'max-age': '1D', 'max-length-bytes': 5000 },
    });
    v.setPolicy({ name: 'plain', pattern: '^s', priority: 1, definition: { 'max-length': 7 } });
    const q = queue(v, 's1');
    assert.equal(q.policy, 'plain');
    assert.equal(q.settings.maxLength, 7);
    assert.equal(queue(v, 's2', { 'x-queue-type': 'stream' }).policy, 'stream-ish');
  });

  test('exclusive queues and amq.* exchanges get policies; the default exchange never does', () => {
    const v = new VHost('/');
    v.setPolicy({
      name: 'every',
      pattern: '.*',
      definition: { 'alternate-exchange': 'ae', 'max-length': 3 },
    });
    assert.equal(queue(v, 'excl', {}, true).policy, 'every');
    assert.equal(v.exchanges.get('amq.topic')?.policy?.name, 'every');
    assert.equal(v.defaultExchange.policy, undefined);
    assert.equal(v.defaultExchange.alternateExchange, undefined);
  });

  test('arguments and policy combine: lower numeric limit wins, otherwise the argument', () => {
    const v = new VHost('/');
    v.setPolicy({
      name: 'p',
      pattern: '^a',
      definition: {
        'max-length': 5,
        'message-ttl': 1000,
        'dead-letter-exchange': 'from-policy',
        expires: 60000,
      },
    });
    const lower = queue(v, 'a1', { 'x-max-length': 3, 'x-dead-letter-exchange': 'from-arg' });
    assert.equal(lower.settings.maxLength, 3);
    assert.equal(lower.settings.deadLetterExchange, 'from-arg');
    assert.equal(lower.settings.messageTtl, 1000);
    const higher = queue(v, 'a2', { 'x-max-length': 10, 'x-message-ttl': 500 });
    assert.equal(higher.settings.maxLength, 5);
    assert.equal(higher.settings.messageTtl, 500);
    assert.equal(higher.settings.deadLetterExchange, 'from-policy');
    assert.equal(higher.settings.expires, 60000);
  });
});

describe('definitions JSON', () => {
  test('a policy maps onto RabbitMQ definitions JSON and back', () => {
    const v = new VHost('vh');
    const p = v.setPolicy({
      name: 'ha',
      pattern: '^q\\.',
      applyTo: 'queues',
      priority: 3,
      definition: { 'max-length': 2 },
    });
    const json = policyToJson(p);
    assert.deepEqual(json, {
      vhost: 'vh',
      name: 'ha',
      pattern: '^q\\.',
      'apply-to': 'queues',
      definition: { 'max-length': 2 },
      priority: 3,
    });
    const back = policyFromJson(JSON.parse(JSON.stringify(json)));
    assert.equal(back.vhost, 'vh');
    const again = new VHost('vh').setPolicy(back.input);
    assert.deepEqual(policyToJson(again), json);
  });

  test('apply-to and priority default as in RabbitMQ; a malformed entry is refused', () => {
    const { input: i } = policyFromJson({ vhost: '/', name: 'd', pattern: 'x', definition: { expires: 5 } });
    const p = new VHost('/').setPolicy(i);
    assert.equal(p.applyTo, 'all');
    assert.equal(p.priority, 0);
    assert.throws(() => policyFromJson([1]), PolicyError);
    assert.throws(() => policyFromJson({ name: 'n' }), /vhost should be a string/);
  });
});
