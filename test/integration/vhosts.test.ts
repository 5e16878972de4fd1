/**
 * Vhosts as tenants: the same names in two vhosts are different things; deleting a vhost closes its
 * connections (320, RabbitMQ's text) and removes everything in it, permissions included; deleting a
 * user closes that user's connections. Vhost metadata and the core API's errors are Warren's own.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { AuthError } from '../../src/auth/auth-error.js';
import { uniqueName } from '../helpers/broker.js';
import { adminFor, adminUnavailable, type Admin } from '../helpers/admin.js';
import {
  REPLY,
  closedWithError,
  expectReply,
  handshake,
  publishConfirmed,
  useBroker,
} from '../helpers/amqp.js';

const skip = adminUnavailable({ external: Boolean(process.env['WARREN_TEST_URL']) });

describe('vhosts', { skip }, () => {
  const h = useBroker();
  let admin: Admin;

  before(() => {
    admin = adminFor(h.broker);
  });
  after(async () => {
    await admin?.cleanup();
  });

  async function newVhost(): Promise<string> {
    const v = uniqueName('vh');
    await admin.addVhost(v);
    await admin.setPermissions('guest', v, '.*', '.*', '.*');
    return v;
  }

  test('the same queue and exchange names in two vhosts are separate', async () => {
    const [v1, v2] = [await newVhost(), await newVhost()];
    const ch1 = await h.confirmChannel(await h.connect({ vhost: v1 }));
    const ch2 = await h.confirmChannel(await h.connect({ vhost: v2 }));
    for (const ch of [ch1, ch2]) {
      await ch.assertQueue('shared-name', { durable: false });
      await ch.assertExchange('shared-x', 'fanout', { durable: false });
      await ch.bindQueue('shared-name', 'shared-x', '');
    }
    await publishConfirmed(ch1, 'shared-x', '', 'for v1 only');
    await publishConfirmed(ch1, '', 'shared-name', 'also v1');
    assert.equal((await ch1.checkQueue('shared-name')).messageCount, 2);
    assert.equal((await ch2.checkQueue('shared-name')).messageCount, 0);
    const got = await ch1.get('shared-name', { noAck: true });
    assert.ok(got);
    assert.equal(got.content.toString(), 'for v1 only');
    assert.equal(await ch2.get('shared-name'), false);
    // A queue declared in one vhost only does not exist in the other.
    await ch1.assertQueue('only-v1', { durable: false });
    await expectReply(
      (await h.channel(await h.connect({ vhost: v2 }))).checkQueue('only-v1'),
      REPLY.NOT_FOUND,
      `NOT_FOUND - no queue 'only-v1' in vhost '${v2}'`,
    );
  });

  test('deleting a vhost closes its connections with 320 and removes its contents and permissions', async () => {
    const [doomed, kept] = [await newVhost(), await newVhost()];
    const conn = await h.connect({ vhost: doomed });
    const ch = await h.confirmChannel(conn);
    await ch.assertQueue('q', { durable: true });
    await publishConfirmed(ch, '', 'q', 'lost with the vhost', { persistent: true });
    const other = await h.connect({ vhost: kept });
    await admin.deleteVhost(doomed);
    const err = await closedWithError(conn);
    assert.equal(err.code, 320);
    assert.match(err.message, new RegExp(`CONNECTION_FORCED - vhost '${doomed}' is deleted`));
    // The other vhost's connection is untouched.
    const ok = await h.channel(other);
    await ok.checkExchange('amq.direct');
    // The vhost is gone...
    const r = await handshake(h.broker, { user: 'guest', password: 'guest', vhost: doomed });
    assert.deepEqual(r.close && [r.close.replyCode, r.close.replyText], [
      REPLY.NOT_ALLOWED,
      `NOT_ALLOWED - vhost ${doomed} not found`,
    ]);
    // ...and re-created under the same name it is empty, without the old permissions.
    await admin.addVhost(doomed);
    const again = await handshake(h.broker, { user: 'guest', password: 'guest', vhost: doomed });
    assert.deepEqual(again.close && [again.close.replyCode, again.close.replyText], [
      REPLY.NOT_ALLOWED,
      `NOT_ALLOWED - access to vhost '${doomed}' refused for user 'guest'`,
    ]);
    await admin.setPermissions('guest', doomed, '.*', '.*', '.*');
    await expectReply(
      (await h.channel(await h.connect({ vhost: doomed }))).checkQueue('q'),
      REPLY.NOT_FOUND,
      `NOT_FOUND - no queue 'q' in vhost '${doomed}'`,
    );
  });

  test("deleting a user closes that user's connections with 320", async () => {
    const v = await newVhost();
    const user = uniqueName('vh-user');
    await admin.addUser(user, 'pw');
    await admin.setPermissions(user, v, '.*', '.*', '.*');
    const conn = await h.connect({ user, password: 'pw', vhost: v });
    const guestConn = await h.connect({ vhost: v });
    await admin.deleteUser(user);
    const err = await closedWithError(conn);
    assert.equal(err.code, 320);
    assert.match(err.message, new RegExp(`CONNECTION_FORCED - user '${user}' is deleted`));
    await (await h.channel(guestConn)).checkExchange('amq.fanout');
  });

  test('vhost metadata: description, tags, default queue type (Warren core API)', async (t) => {
    const w = h.broker.warren;
    if (!w) return t.skip('core API');
    const b = w.broker;
    const name = await newVhost();
    const v = b.addVhost(name, { description: 'orders', tags: 'eu,prod', defaultQueueType: 'quorum' });
    assert.deepEqual(v.metadata, { description: 'orders', tags: ['eu', 'prod'], defaultQueueType: 'quorum' });
    // Adding an existing vhost is not an error; given metadata replaces what it names.
    b.addVhost(name, { description: 'orders (EU)' });
    assert.deepEqual(b.vhosts.get(name)?.metadata, {
      description: 'orders (EU)',
      tags: ['eu', 'prod'],
      defaultQueueType: 'quorum',
    });
    assert.throws(
      () => b.addVhost(name, { defaultQueueType: 'lazy' }),
      /default queue type 'lazy' is invalid/,
    );
    assert.equal(b.vhost('/').metadata.description, 'Default virtual host');
  });

  test('core API errors name what is missing (Warren core API)', async (t) => {
    const w = h.broker.warren;
    if (!w) return t.skip('core API');
    const b = w.broker;
    const is = (kind: string, message: string) => (e: unknown) =>
      e instanceof AuthError && e.kind === kind && e.message === message;
    assert.throws(
      () => b.deleteVhost('no-such'),
      is('no_such_vhost', "Virtual host 'no-such' does not exist"),
    );
    assert.throws(() => b.deleteUser('no-such'), is('no_such_user', 'User "no-such" does not exist'));
    assert.throws(
      () => b.setPermissions('no-such', '/', { configure: '.*', write: '.*', read: '.*' }),
      is('no_such_user', 'User "no-such" does not exist'),
    );
    assert.throws(
      () => b.setPermissions('guest', 'no-such', { configure: '.*', write: '.*', read: '.*' }),
      is('no_such_vhost', "Virtual host 'no-such' does not exist"),
    );
    assert.throws(() => b.addUser('guest', 'x'), is('user_exists', 'User "guest" already exists'));
    assert.throws(() => b.addUser('', 'x'), is('invalid', 'user cannot be an empty string'));
    assert.throws(
      () => b.setPermissions('guest', '/', { configure: '(', write: '.*', read: '.*' }),
      (e: unknown) =>
        e instanceof AuthError &&
        e.kind === 'invalid' &&
        /regular expression '\(' is invalid/.test(e.message),
    );
    // Nothing changed: guest keeps its permissions on '/'.
    assert.deepEqual(b.listPermissions({ user: 'guest', vhost: '/' }), [
      { user: 'guest', vhost: '/', configure: '.*', write: '.*', read: '.*' },
    ]);
  });
});
