/**
 * The access-control rules without a network: permission patterns (empty grants nothing, unanchored,
 * `amq.default` for the default exchange, topic variables), and the definitions JSON converters
 * reading what RabbitMQ releases have written.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { AuthError } from '../../src/auth/auth-error.js';
import {
  permissionFromJson,
  userFromJson,
  usersToJson,
  vhostFromJson,
  vhostsToJson,
} from '../../src/auth/definitions-json.js';
import { Broker } from '../../src/core/broker.js';

function broker(): Broker {
  const b = new Broker();
  b.addVhost('v');
  b.addUser('u', 'pw');
  return b;
}

const refused = (e: unknown): boolean => e instanceof Error && /ACCESS_REFUSED/.test(e.message);

describe('permission patterns', () => {
  test('unanchored regular expressions; an empty pattern grants nothing', () => {
    const b = broker();
    b.setPermissions('u', 'v', { configure: 'orders', write: '^w\\.', read: '' });
    b.checkResourceAccess('u', 'v', 'configure', 'queue', 'eu-orders-1');
    assert.throws(() => b.checkResourceAccess('u', 'v', 'configure', 'queue', 'order'), refused);
    b.checkResourceAccess('u', 'v', 'write', 'exchange', 'w.x');
    assert.throws(() => b.checkResourceAccess('u', 'v', 'write', 'exchange', 'wx'), refused);
    assert.throws(() => b.checkResourceAccess('u', 'v', 'read', 'queue', 'anything'), refused);
  });

  test('the default exchange is checked as amq.default, with RabbitMQ 3.13 text', () => {
    const b = broker();
    b.setPermissions('u', 'v', { configure: '', write: '^amq\\.default$', read: '' });
    b.checkResourceAccess('u', 'v', 'write', 'exchange', '');
    b.setPermissions('u', 'v', { configure: '', write: '^x$', read: '' });
    assert.throws(
      () => b.checkResourceAccess('u', 'v', 'write', 'exchange', ''),
      (e: Error) =>
        e.message ===
        "ACCESS_REFUSED - write access to exchange 'amq.default' in vhost 'v' refused for user 'u'",
    );
  });

  test('a leading (?i) makes a pattern case-insensitive', () => {
    const b = broker();
    b.setPermissions('u', 'v', { configure: '(?i)^orders$', write: '', read: '' });
    b.checkResourceAccess('u', 'v', 'configure', 'queue', 'ORDERS');
  });

  test('topic permissions expand {username} and {vhost}, and apply to topic exchanges only', () => {
    const b = broker();
    b.setPermissions('u', 'v', { configure: '.*', write: '.*', read: '.*' });
    b.setTopicPermissions('u', 'v', 't', { write: '^{username}\\.', read: '^{vhost}\\.' });
    const topic = { name: 't', type: 'topic' };
    b.checkTopicAccess('u', 'v', 'write', topic, 'u.a');
    b.checkTopicAccess('u', 'v', 'read', topic, 'v.a');
    assert.throws(
      () => b.checkTopicAccess('u', 'v', 'write', topic, 'x.a'),
      (e: Error) =>
        e.message ===
        "ACCESS_REFUSED - write access to topic 'x.a' in exchange 't' in vhost 'v' refused for user 'u'",
    );
    b.checkTopicAccess('u', 'v', 'write', { name: 't', type: 'direct' }, 'x.a');
    b.checkTopicAccess('u', 'v', 'write', { name: 'other', type: 'topic' }, 'x.a');
    b.clearTopicPermissions('u', 'v');
    b.checkTopicAccess('u', 'v', 'write', topic, 'x.a');
  });

  test('vhost access needs some permissions, even empty ones', () => {
    const b = broker();
    assert.equal(b.canAccessVhost('u', 'v'), false);
    b.setPermissions('u', 'v', { configure: '', write: '', read: '' });
    assert.equal(b.canAccessVhost('u', 'v'), true);
    b.clearPermissions('u', 'v');
    assert.equal(b.canAccessVhost('u', 'v'), false);
  });
});

describe('definitions JSON', () => {
  test('users round-trip: the exported hash logs in after import elsewhere', () => {
    const a = broker();
    a.setUserTags('u', ['management', 'custom']);
    a.setUserLimits('u', { 'max-channels': 3 });
    const [json] = usersToJson(a).filter((u) => u.name === 'u');
    assert.ok(json);
    assert.equal(json.hashing_algorithm, 'rabbit_password_hashing_sha256');
    const b = new Broker();
    b.putUser(userFromJson(json));
    assert.ok(b.authenticate('u', 'pw'));
    assert.equal(b.authenticate('u', 'wrong'), undefined);
    assert.deepEqual(b.users.get('u')?.tags, ['management', 'custom']);
    assert.deepEqual(b.users.get('u')?.limits, { 'max-channels': 3 });
  });

  test('tags as a comma-separated string (RabbitMQ before 3.9) and the pre-3.0 administrator flag', () => {
    assert.deepEqual(userFromJson({ name: 'a', password_hash: '', tags: 'administrator, monitoring' }).tags, [
      'administrator',
      'monitoring',
    ]);
    assert.deepEqual(userFromJson({ name: 'a', password_hash: '', tags: '' }).tags, []);
    assert.deepEqual(userFromJson({ name: 'a', password_hash: '', administrator: 'true' }).tags, [
      'administrator',
    ]);
  });

  test('a user from RabbitMQ 3.10 logs in with its password', () => {
    const b = new Broker();
    b.putUser(
      userFromJson({
        hashing_algorithm: 'rabbit_password_hashing_sha256',
        limits: {},
        name: 'from-rabbit',
        password_hash: '9djaNAcCMXh20EumUEXneBYsvxmz+RyCQZKFANMzeqih2sUk',
        tags: ['management'],
      }),
    );
    assert.ok(b.authenticate('from-rabbit', 'secret'));
  });

  test('vhost metadata at the top level or under metadata; exported as RabbitMQ 3.13 does', () => {
    assert.deepEqual(vhostFromJson({ name: 'a', description: 'top', tags: 'x,y' }).metadata, {
      description: 'top',
      tags: 'x,y',
    });
    const nested = vhostFromJson({
      name: 'b',
      metadata: { description: 'nested', tags: ['t'], default_queue_type: 'quorum' },
    });
    assert.deepEqual(nested.metadata, { description: 'nested', tags: ['t'], defaultQueueType: 'quorum' });
    const br = new Broker();
    br.addVhost(nested.name, nested.metadata);
    br.setVhostLimits('b', { 'max-queues': 4 });
    assert.deepEqual(
      vhostsToJson(br).find((v) => v.name === 'b'),
      {
        name: 'b',
        limits: [['max-queues', 4]],
        metadata: { description: 'nested', tags: ['t'], default_queue_type: 'quorum' },
      },
    );
    assert.throws(() => vhostFromJson({ name: 'c', default_queue_type: 'lazy' }), AuthError);
  });

  test('bad entries are refused before anything is applied', () => {
    assert.throws(
      () => permissionFromJson({ user: 'u', vhost: 'v', configure: '(', write: '', read: '' }),
      AuthError,
    );
    assert.throws(() => userFromJson({ name: 'x', password_hash: '%%%' }), /not valid base64/);
    assert.throws(() => userFromJson({ name: 'x', hashing_algorithm: 'rot13' }), /unknown hashing_algorithm/);
    assert.throws(() => userFromJson({ name: 'x', password: 'a', password_hash: '' }), /both password/);
  });
});
