/**
 * Permissions, checked where RabbitMQ checks them: configure on declare/delete, write on the
 * destination and read on the source of a binding, write on publish (the default exchange as
 * `amq.default`), read on consume/get/purge, read and write on the DLX/AE of a new queue or exchange,
 * topic permissions on topic exchanges, vhost access on connection.open. Each allowed and refused,
 * with RabbitMQ's reply texts.
 *
 * The user under test may configure names starting `c-`, write `w-`, read `r-`; `cwr-` names allow
 * all three. Everything lives in a vhost of its own, deleted at the end.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Channel, ChannelModel } from 'amqplib';
import { uniqueName } from '../helpers/broker.js';
import { adminFor, adminUnavailable, refusal, type Admin } from '../helpers/admin.js';
import {
  REPLY,
  closedWithError,
  expectReply,
  handshake,
  publishConfirmed,
  useBroker,
} from '../helpers/amqp.js';

const skip = adminUnavailable({ external: Boolean(process.env['WARREN_TEST_URL']) });

describe('permissions', { skip }, () => {
  const h = useBroker();
  const vhost = uniqueName('perm-v');
  const user = uniqueName('perm-u');
  const password = 'perm-secret';
  let admin: Admin;

  before(async () => {
    admin = adminFor(h.broker);
    await admin.addVhost(vhost);
    await admin.addUser(user, password);
    await admin.setPermissions(user, vhost, '^(c|cwr)-', '^(w|cwr)-', '^(r|cwr)-');
    await admin.setPermissions('guest', vhost, '.*', '.*', '.*');
    const ch = await h.channel(await h.connect({ vhost }));
    for (const q of ['c-q', 'w-q', 'r-q', 'cwr-q', 'x-q']) await ch.assertQueue(q, { durable: false });
    for (const x of ['c-x', 'w-x', 'r-x', 'cwr-x', 'x-x'])
      await ch.assertExchange(x, 'direct', { durable: false });
    await ch.assertExchange('cwr-topic', 'topic', { durable: false });
    await ch.close();
  });
  after(async () => {
    await admin?.cleanup();
  });

  const where = (kind: string, name: string): string =>
    `${kind} '${name}' in vhost '${vhost}' refused for user '${user}'`;

  async function asUser(): Promise<ChannelModel> {
    return h.connect({ user, password, vhost });
  }

  /** Runs `op` on a fresh channel of `conn`, which must close with 403 and the given refusal. */
  async function refused(
    conn: ChannelModel,
    op: (ch: Channel) => Promise<unknown>,
    access: 'configure' | 'write' | 'read',
    rest: string,
  ): Promise<void> {
    const ch = await h.channel(conn);
    await expectReply(op(ch), REPLY.ACCESS_REFUSED, refusal(h.broker, access, rest));
  }

  /** Runs `op` on a fresh channel of `conn`; it must succeed. */
  async function allowed<T>(conn: ChannelModel, op: (ch: Channel) => Promise<T>): Promise<T> {
    const ch = await h.channel(conn);
    const r = await op(ch);
    await ch.close();
    return r;
  }

  test('exchange.declare needs configure; a passive declare needs nothing', async () => {
    const c = await asUser();
    await allowed(c, (ch) => ch.assertExchange('c-new-x', 'fanout', { durable: false }));
    await refused(
      c,
      (ch) => ch.assertExchange('w-new-x', 'fanout'),
      'configure',
      where('exchange', 'w-new-x'),
    );
    // Redeclaring an existing exchange is a declare too.
    await refused(
      c,
      (ch) => ch.assertExchange('r-x', 'direct', { durable: false }),
      'configure',
      where('exchange', 'r-x'),
    );
    await allowed(c, (ch) => ch.checkExchange('x-x'));
    await allowed(c, (ch) => ch.deleteExchange('c-new-x'));
  });

  test('exchange.delete needs configure, even when the exchange does not exist', async () => {
    const c = await asUser();
    await refused(c, (ch) => ch.deleteExchange('w-x'), 'configure', where('exchange', 'w-x'));
    await refused(c, (ch) => ch.deleteExchange('w-missing'), 'configure', where('exchange', 'w-missing'));
    await allowed(c, (ch) => ch.deleteExchange('c-missing'));
  });

  test('queue.declare needs configure, server-named queues included; passive needs nothing', async () => {
    const c = await asUser();
    await allowed(c, async (ch) => {
      await ch.assertQueue('c-new-q', { durable: false });
      await ch.deleteQueue('c-new-q');
    });
    await refused(c, (ch) => ch.assertQueue('w-new-q'), 'configure', where('queue', 'w-new-q'));
    await refused(c, (ch) => ch.assertQueue('r-q', { durable: false }), 'configure', where('queue', 'r-q'));
    const ch = await h.channel(c);
    const err = await expectReply(ch.assertQueue('', { exclusive: true }), REPLY.ACCESS_REFUSED);
    assert.match(
      err.message,
      new RegExp(`ACCESS_REFUSED - (configure )?access to queue 'amq\\.gen-[\\w-]{22}' in vhost '${vhost}'`),
    );
    const ok = await allowed(c, (ch2) => ch2.checkQueue('x-q'));
    assert.equal(ok.queue, 'x-q');
  });

  test('queue.delete needs configure, queue.purge needs read', async () => {
    const c = await asUser();
    await refused(c, (ch) => ch.deleteQueue('r-q'), 'configure', where('queue', 'r-q'));
    await refused(c, (ch) => ch.deleteQueue('w-missing'), 'configure', where('queue', 'w-missing'));
    await refused(c, (ch) => ch.purgeQueue('c-q'), 'read', where('queue', 'c-q'));
    await allowed(c, (ch) => ch.purgeQueue('r-q'));
    await allowed(c, async (ch) => {
      await ch.assertQueue('c-doomed', { durable: false });
      await ch.deleteQueue('c-doomed');
    });
  });

  test('queue.bind and queue.unbind need write on the queue and read on the exchange', async () => {
    const c = await asUser();
    await allowed(c, (ch) => ch.bindQueue('w-q', 'r-x', 'k'));
    await refused(c, (ch) => ch.bindQueue('r-q', 'r-x', 'k'), 'write', where('queue', 'r-q'));
    await refused(c, (ch) => ch.bindQueue('w-q', 'w-x', 'k'), 'read', where('exchange', 'w-x'));
    await refused(c, (ch) => ch.unbindQueue('r-q', 'r-x', 'k'), 'write', where('queue', 'r-q'));
    await refused(c, (ch) => ch.unbindQueue('w-q', 'w-x', 'k'), 'read', where('exchange', 'w-x'));
    await allowed(c, (ch) => ch.unbindQueue('w-q', 'r-x', 'k'));
  });

  test('exchange.bind and exchange.unbind need write on the destination and read on the source', async () => {
    const c = await asUser();
    // amqplib: bindExchange(destination, source, key)
    await allowed(c, (ch) => ch.bindExchange('w-x', 'r-x', 'k'));
    await refused(c, (ch) => ch.bindExchange('r-x', 'r-x', 'k2'), 'write', where('exchange', 'r-x'));
    await refused(c, (ch) => ch.bindExchange('w-x', 'w-x', 'k'), 'read', where('exchange', 'w-x'));
    await refused(
      c,
      (ch) => ch.bindExchange('w-x', 'w-missing', 'k'),
      'read',
      where('exchange', 'w-missing'),
    );
    await refused(c, (ch) => ch.unbindExchange('r-x', 'r-x', 'k'), 'write', where('exchange', 'r-x'));
    await allowed(c, (ch) => ch.unbindExchange('w-x', 'r-x', 'k'));
  });

  test('basic.publish needs write on the exchange, checked before it is looked up', async () => {
    const c = await asUser();
    const ok = await h.confirmChannel(c);
    await publishConfirmed(ok, 'w-x', 'k', Buffer.from('fine'));
    for (const [exchange, checked] of [
      ['r-x', 'r-x'],
      ['r-missing', 'r-missing'],
      ['', 'amq.default'],
    ] as const) {
      const ch = await h.channel(c);
      ch.publish(exchange, 'k', Buffer.from('refused'));
      const err = await closedWithError(ch);
      assert.equal(err.code, REPLY.ACCESS_REFUSED, err.message);
      const expected = refusal(h.broker, 'write', where('exchange', checked));
      if (typeof expected === 'string') assert.ok(err.message.includes(`"${expected}"`), err.message);
      else assert.match(err.message.replace(/^.*with message "(.*)"$/s, '$1'), expected);
    }
  });

  test('basic.consume and basic.get need read on the queue; direct reply-to needs nothing', async () => {
    const c = await asUser();
    await allowed(c, (ch) => ch.consume('r-q', () => {}));
    await allowed(c, (ch) => ch.get('r-q'));
    await refused(c, (ch) => ch.consume('w-q', () => {}), 'read', where('queue', 'w-q'));
    await refused(c, (ch) => ch.get('w-q'), 'read', where('queue', 'w-q'));
    await refused(c, (ch) => ch.consume('w-missing', () => {}), 'read', where('queue', 'w-missing'));
    await allowed(c, (ch) => ch.consume('amq.rabbitmq.reply-to', () => {}, { noAck: true }));
  });

  test('a new queue with a dead-letter exchange needs read on the queue and write on the DLX', async () => {
    const c = await asUser();
    await refused(
      c,
      (ch) => ch.assertQueue('c-dlx', { durable: false, deadLetterExchange: 'w-x' }),
      'read',
      where('queue', 'c-dlx'),
    );
    await refused(
      c,
      (ch) => ch.assertQueue('cwr-dlx', { durable: false, deadLetterExchange: 'r-x' }),
      'write',
      where('exchange', 'r-x'),
    );
    await allowed(c, async (ch) => {
      await ch.assertQueue('cwr-dlx', { durable: false, deadLetterExchange: 'w-x' });
      await ch.deleteQueue('cwr-dlx');
    });
  });

  test('a new exchange with an alternate exchange needs read on it and write on the AE', async () => {
    const c = await asUser();
    await refused(
      c,
      (ch) => ch.assertExchange('c-ae', 'direct', { durable: false, alternateExchange: 'w-x' }),
      'read',
      where('exchange', 'c-ae'),
    );
    await refused(
      c,
      (ch) => ch.assertExchange('cwr-ae', 'direct', { durable: false, alternateExchange: 'r-x' }),
      'write',
      where('exchange', 'r-x'),
    );
    await allowed(c, async (ch) => {
      await ch.assertExchange('cwr-ae', 'direct', { durable: false, alternateExchange: 'w-x' });
      await ch.deleteExchange('cwr-ae');
    });
  });

  test('publishing to the default exchange needs write on amq.default', async () => {
    const other = uniqueName('perm-default');
    await admin.addUser(other, password);
    await admin.setPermissions(other, vhost, '', '^amq\\.default$', '');
    const c = await h.connect({ user: other, password, vhost });
    const ch = await h.confirmChannel(c);
    await publishConfirmed(ch, '', 'x-q', Buffer.from('via the default exchange'));
    const ch2 = await h.channel(c);
    ch2.publish('w-x', 'k', Buffer.from('x'));
    assert.equal((await closedWithError(ch2)).code, REPLY.ACCESS_REFUSED);
    // An empty pattern grants nothing.
    await expectReply((await h.channel(c)).purgeQueue('x-q'), REPLY.ACCESS_REFUSED);
    const drain = await h.channel(await h.connect({ vhost }));
    assert.equal((await drain.purgeQueue('x-q')).messageCount, 1);
  });

  test('topic permissions: write on publish and read on bind, with {username} and {vhost}', async () => {
    await admin.setTopicPermissions(user, vhost, 'cwr-topic', '^{username}\\.', '^{vhost}\\.');
    await admin.setTopicPermissions(user, vhost, 'cwr-x', '^never$', '^never$');
    const c = await asUser();
    const ok = await h.confirmChannel(c);
    await publishConfirmed(ok, 'cwr-topic', `${user}.event`, Buffer.from('mine'));
    // Topic permissions apply to topic exchanges only.
    await publishConfirmed(ok, 'cwr-x', 'anything', Buffer.from('direct'));
    const ch = await h.channel(c);
    ch.publish('cwr-topic', 'other.event', Buffer.from('not mine'));
    const err = await closedWithError(ch);
    assert.equal(err.code, REPLY.ACCESS_REFUSED);
    assert.match(
      err.message,
      new RegExp(
        `ACCESS_REFUSED - (write )?access to topic 'other\\.event' in exchange 'cwr-topic' in vhost '${vhost}' refused for user '${user}'`,
      ),
    );
    await allowed(c, (ch2) => ch2.bindQueue('cwr-q', 'cwr-topic', `${vhost}.#`));
    const bind = await h.channel(c);
    const e2 = await expectReply(bind.bindQueue('cwr-q', 'cwr-topic', 'elsewhere.#'), REPLY.ACCESS_REFUSED);
    assert.match(e2.message, /(read )?access to topic 'elsewhere\.#' in exchange 'cwr-topic'/);
    await allowed(c, (ch2) => ch2.bindQueue('cwr-q', 'cwr-x', 'any-key'));
  });

  test('a user tagged impersonator may publish with another user_id', async () => {
    const imp = uniqueName('perm-imp');
    await admin.addUser(imp, password, ['impersonator']);
    await admin.setPermissions(imp, vhost, '', '^amq\\.default$', '^x-q$');
    const c = await h.connect({ user: imp, password, vhost });
    await publishConfirmed(await h.confirmChannel(c), '', 'x-q', 'on behalf', { userId: 'someone-else' });
    const got = await (await h.channel(c)).get('x-q', { noAck: true });
    assert.ok(got);
    assert.equal(got.properties.userId, 'someone-else');
  });

  test('connection.open to a vhost without permissions is refused with 530', async () => {
    const r = await handshake(h.broker, { user, password, vhost: '/' });
    assert.equal(r.opened, false);
    assert.deepEqual(r.close && [r.close.replyCode, r.close.replyText], [
      REPLY.NOT_ALLOWED,
      `NOT_ALLOWED - access to vhost '/' refused for user '${user}'`,
    ]);
    const missing = uniqueName('perm-missing');
    const r2 = await handshake(h.broker, { user, password, vhost: missing });
    assert.deepEqual(r2.close && [r2.close.replyCode, r2.close.replyText], [
      REPLY.NOT_ALLOWED,
      `NOT_ALLOWED - vhost ${missing} not found`,
    ]);
    assert.equal((await handshake(h.broker, { user, password, vhost })).opened, true);
  });

  test('a user without a password cannot log in with PLAIN', async () => {
    const nopw = uniqueName('perm-nopw');
    await admin.addUser(nopw, undefined);
    await admin.setPermissions(nopw, vhost, '.*', '.*', '.*');
    for (const pw of ['', 'anything']) {
      const r = await handshake(h.broker, { user: nopw, password: pw, vhost });
      assert.equal(r.opened, false);
      assert.equal(r.close?.replyCode, REPLY.ACCESS_REFUSED);
    }
  });

  test('a revoked permission takes effect on the next publish of an open channel (Warren)', async (t) => {
    if (h.broker.external) {
      t.skip('RabbitMQ keeps its per-channel permission cache until the channel closes');
      return;
    }
    const other = uniqueName('perm-revoke');
    await admin.addUser(other, password);
    await admin.setPermissions(other, vhost, '', '^w-', '');
    const ch = await h.confirmChannel(await h.connect({ user: other, password, vhost }));
    await publishConfirmed(ch, 'w-x', 'k', Buffer.from('before'));
    await admin.setPermissions(other, vhost, '', '^nothing$', '');
    ch.publish('w-x', 'k', Buffer.from('after'));
    const err = await closedWithError(ch);
    assert.equal(err.code, REPLY.ACCESS_REFUSED);
  });
});
