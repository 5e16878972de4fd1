/**
 * Vhost limits (max-connections, max-queues) and user limits (max-connections, max-channels), with
 * RabbitMQ's codes and texts: connection and channel refusals are 530 NOT_ALLOWED and close the
 * connection; a queue over the limit is 406 PRECONDITION_FAILED on the channel.
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
  overrideClientChannelMax,
  useBroker,
} from '../helpers/amqp.js';

const skip = adminUnavailable({ external: Boolean(process.env['WARREN_TEST_URL']) });

describe('limits', { skip }, () => {
  const h = useBroker();
  const password = 'limit-pw';
  let admin: Admin;

  before(() => {
    admin = adminFor(h.broker);
  });
  after(async () => {
    await admin?.cleanup();
  });

  /** A fresh vhost and user with all permissions there. */
  async function tenant(): Promise<{ vhost: string; user: string }> {
    const vhost = uniqueName('lim-v');
    const user = uniqueName('lim-u');
    await admin.addVhost(vhost);
    await admin.addUser(user, password);
    await admin.setPermissions(user, vhost, '.*', '.*', '.*');
    return { vhost, user };
  }

  async function openRefused(user: string, vhost: string): Promise<string | undefined> {
    const r = await handshake(h.broker, { user, password, vhost });
    assert.equal(r.opened, false, 'connection.open should have been refused');
    assert.equal(r.close?.replyCode, REPLY.NOT_ALLOWED);
    return r.close?.replyText;
  }

  test('vhost max-connections refuses connection.open past the limit with 530', async () => {
    const { vhost, user } = await tenant();
    await admin.setVhostLimits(vhost, { 'max-connections': 1 });
    await h.connect({ user, password, vhost });
    assert.equal(
      await openRefused(user, vhost),
      `NOT_ALLOWED - access to vhost '${vhost}' refused for user '${user}': connection limit (1) is reached`,
    );
    await admin.clearVhostLimits(vhost);
    await h.connect({ user, password, vhost });
  });

  test('vhost max-queues refuses new queues with 406, not redeclares', async () => {
    const { vhost, user } = await tenant();
    await admin.setVhostLimits(vhost, { 'max-queues': 1 });
    const conn = await h.connect({ user, password, vhost });
    const ch = await h.channel(conn);
    await ch.assertQueue('first', { durable: false });
    await ch.assertQueue('first', { durable: false });
    await expectReply(
      (await h.channel(conn)).assertQueue('second', { durable: false }),
      REPLY.PRECONDITION_FAILED,
      `PRECONDITION_FAILED - cannot declare queue 'second': queue limit in vhost '${vhost}' (1) is reached`,
    );
    await expectReply(
      (await h.channel(conn)).assertQueue('', { exclusive: true }),
      REPLY.PRECONDITION_FAILED,
      new RegExp(
        `^PRECONDITION_FAILED - cannot declare queue 'amq\\.gen-[\\w-]{22}': queue limit in vhost '${vhost}' \\(1\\) is reached$`,
      ),
    );
    // A negative limit is no limit.
    await admin.setVhostLimits(vhost, { 'max-queues': -1 });
    await (await h.channel(conn)).assertQueue('second', { durable: false });
    await admin.setVhostLimits(vhost, { 'max-queues': 0 });
    await expectReply(
      (await h.channel(conn)).assertQueue('third', { durable: false }),
      REPLY.PRECONDITION_FAILED,
    );
  });

  test('user max-connections counts the user across vhosts; 0 allows none', async () => {
    const { vhost, user } = await tenant();
    const second = uniqueName('lim-v2');
    await admin.addVhost(second);
    await admin.setPermissions(user, second, '.*', '.*', '.*');
    await admin.setUserLimits(user, { 'max-connections': 2 });
    await h.connect({ user, password, vhost });
    await h.connect({ user, password, vhost: second });
    assert.equal(
      await openRefused(user, vhost),
      `NOT_ALLOWED - connection refused for user '${user}': user connection limit (2) is reached`,
    );
    await admin.setUserLimits(user, { 'max-connections': 0 });
    assert.equal(
      await openRefused(user, second),
      `NOT_ALLOWED - connection refused for user '${user}': user connection limit (0) is reached`,
    );
    await admin.clearUserLimits(user);
    await h.connect({ user, password, vhost });
  });

  test("user max-channels counts the user's channels on all connections; past it the connection closes", async () => {
    const { vhost, user } = await tenant();
    await admin.setUserLimits(user, { 'max-channels': 2 });
    const a = await h.connect({ user, password, vhost });
    const b = await h.connect({ user, password, vhost });
    await h.channel(a);
    const chB = await h.channel(b);
    await assert.rejects(h.channel(a));
    const err = await closedWithError(a);
    assert.equal(err.code, REPLY.NOT_ALLOWED);
    assert.match(
      err.message,
      new RegExp(
        `NOT_ALLOWED - number of channels opened for user '${user}' has reached the maximum allowed user limit of \\(2\\)`,
      ),
    );
    // `a`'s channel went with it: there is room for one more now.
    await chB.checkExchange('amq.direct');
    await h.channel(b);
    overrideClientChannelMax(b, 100);
    await assert.rejects(h.channel(b));
    assert.equal((await closedWithError(b)).code, REPLY.NOT_ALLOWED);
  });

  test('limits are validated with RabbitMQ texts; user limits merge, vhost limits replace (core API)', async (t) => {
    const w = h.broker.warren;
    if (!w) return t.skip('core API');
    const b = w.broker;
    const { vhost, user } = await tenant();
    const invalid = (message: string) => (e: unknown) =>
      e instanceof AuthError && e.kind === 'invalid' && e.message === message;
    assert.throws(
      () => b.setVhostLimits(vhost, { 'max-foo': 1 }),
      invalid('Unrecognised terms [{<<"max-foo">>,1}] in limits'),
    );
    assert.throws(
      () => b.setVhostLimits(vhost, { 'max-queues': 'a' }),
      invalid('max-queues should be a number, actually was <<"a">>'),
    );
    assert.throws(
      () => b.setUserLimits(user, { 'max-foo': 1 }),
      invalid('Unrecognised terms [{<<"max-foo">>,1}] in user-limits'),
    );
    b.setVhostLimits(vhost, { 'max-queues': 5 });
    b.setVhostLimits(vhost, { 'max-connections': 3 });
    assert.deepEqual(b.vhosts.get(vhost)?.limits, { 'max-connections': 3 });
    b.setUserLimits(user, { 'max-channels': 3 });
    b.setUserLimits(user, { 'max-connections': 4 });
    assert.deepEqual(b.users.get(user)?.limits, { 'max-channels': 3, 'max-connections': 4 });
    b.clearUserLimits(user, 'max-channels');
    assert.deepEqual(b.users.get(user)?.limits, { 'max-connections': 4 });
  });
});
