/**
 * The connection: tuning, capabilities, authentication and vhost failures, channel_max, and what happens
 * to a connection's messages, queues and consumers when it closes.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import amqp from 'amqplib';
import type { ChannelModel } from 'amqplib';
import { uniqueName } from '../helpers/broker.js';
import {
  Inbox,
  REPLY,
  SOCKET_OPTIONS,
  channelNumber,
  closedWithError,
  fill,
  handshake,
  overrideClientChannelMax,
  range,
  tuning,
  useBroker,
} from '../helpers/amqp.js';
import { waitFor } from '../helpers/wait.js';

const LOGIN_REFUSED =
  'ACCESS_REFUSED - Login was refused using authentication mechanism PLAIN. For details see the broker logfile.';

describe('connections', () => {
  const h = useBroker();

  test('tuning defaults: frame_max 131072, channel_max 2047, heartbeat 60', async () => {
    const t = tuning(await h.connect());
    assert.deepEqual([t.frameMax, t.channelMax, t.heartbeat], [131072, 2047, 60]);
  });

  test('the client may lower frame_max, channel_max and heartbeat', async () => {
    const t = tuning(await h.connect({ query: { frameMax: 8192, channelMax: 10, heartbeat: 5 } }));
    assert.deepEqual([t.frameMax, t.channelMax, t.heartbeat], [8192, 10, 5]);
  });

  test('connection.start advertises the capabilities RabbitMQ clients look for', async () => {
    const props = tuning(await h.connect()).serverProperties;
    const capabilities = props['capabilities'] as Record<string, unknown>;
    for (const c of [
      'publisher_confirms',
      'exchange_exchange_bindings',
      'basic.nack',
      'consumer_cancel_notify',
      'connection.blocked',
      'consumer_priorities',
      'authentication_failure_close',
      'per_consumer_qos',
      'direct_reply_to',
    ]) {
      assert.equal(capabilities[c], true, `capability ${c}`);
    }
    for (const key of ['product', 'version', 'platform']) assert.equal(typeof props[key], 'string', key);
  });

  test('a wrong password is refused with 403 ACCESS_REFUSED', async () => {
    await assert.rejects(amqp.connect(h.url({ password: 'wrong' }), SOCKET_OPTIONS), (err: Error) => {
      assert.match(err.message, /403 \(ACCESS-REFUSED\)/);
      assert.ok(err.message.includes(LOGIN_REFUSED), err.message);
      return true;
    });
    const r = await handshake(h.broker, { user: 'guest', password: 'wrong', vhost: '/' });
    assert.equal(r.opened, false);
    assert.deepEqual(r.close && [r.close.replyCode, r.close.replyText], [
      REPLY.ACCESS_REFUSED,
      LOGIN_REFUSED,
    ]);
  });

  test('an unknown user is refused the same way, without telling which part was wrong', async () => {
    const r = await handshake(h.broker, { user: uniqueName('nobody'), password: 'x', vhost: '/' });
    assert.equal(r.opened, false);
    assert.deepEqual(r.close && [r.close.replyCode, r.close.replyText], [
      REPLY.ACCESS_REFUSED,
      LOGIN_REFUSED,
    ]);
  });

  test('opening a vhost that does not exist is closed with 530 NOT_ALLOWED', async () => {
    const vhost = uniqueName('no-such-vhost');
    await assert.rejects(amqp.connect(h.url({ vhost }), SOCKET_OPTIONS));
    const r = await handshake(h.broker, { user: 'guest', password: 'guest', vhost });
    assert.equal(r.opened, false);
    assert.deepEqual(r.close && [r.close.replyCode, r.close.replyText], [
      REPLY.NOT_ALLOWED,
      `NOT_ALLOWED - vhost ${vhost} not found`,
    ]);
    // And the default vhost opens through the same path.
    assert.equal((await handshake(h.broker, { user: 'guest', password: 'guest', vhost: '/' })).opened, true);
  });

  test('channels can be numbered up to the negotiated channel_max, no further (530)', async () => {
    const conn = await h.connect({ query: { channelMax: 16 } });
    const channels = await Promise.all(Array.from({ length: 16 }, () => h.channel(conn)));
    assert.deepEqual(
      channels.map(channelNumber).sort((a, b) => a - b),
      range(16).map((_, i) => i + 1),
    );
    await Promise.all(channels.map((ch) => ch.checkExchange('amq.direct')));
    // amqplib refuses a 17th itself; lift its limit to see the server's answer.
    overrideClientChannelMax(conn, 17);
    await assert.rejects(h.channel(conn));
    const err = await closedWithError(conn);
    assert.equal(err.code, REPLY.NOT_ALLOWED);
    assert.match(
      err.message,
      /NOT_ALLOWED - number of channels opened \(16\) has reached the negotiated channel_max \(16\)/,
    );
  });

  test('all 2047 channels of the default channel_max can be open at once', async () => {
    const conn = await h.connect();
    const channels = await Promise.all(Array.from({ length: 2047 }, () => h.channel(conn)));
    const numbers = channels.map(channelNumber);
    assert.equal(Math.max(...numbers), 2047);
    const last = channels[numbers.indexOf(2047)];
    assert.ok(last);
    await last.checkExchange('amq.direct');
    await channels[0]?.checkExchange('amq.direct');
  });

  test('closing a connection requeues its unacked messages, redelivered=true, to another connection', async () => {
    const q = await h.queue();
    await fill(await h.confirmChannel(), q, range(5));
    const doomed = await h.connect();
    const first = await Inbox.consume(await h.channel(doomed), q);
    await first.atLeast(5);
    first.channel.ack(first.messages[1] as NonNullable<(typeof first.messages)[number]>);
    const second = await Inbox.consume(await h.channel(await h.connect()), q);
    await doomed.close();
    await second.atLeast(4);
    assert.deepEqual(
      second.messages.map((m) => [m.content.toString(), m.fields.redelivered]),
      [
        ['m0', true],
        ['m2', true],
        ['m3', true],
        ['m4', true],
      ],
    );
  });

  test('closing a connection removes its consumers and its exclusive queues', async () => {
    const q = await h.queue();
    const doomed = await h.connect();
    const ch = await h.channel(doomed);
    await Inbox.consume(ch, q);
    const exclusive = (await ch.assertQueue('', { exclusive: true })).queue;
    const observer = await h.connect();
    assert.equal((await (await h.channel(observer)).checkQueue(q)).consumerCount, 1);
    await doomed.close();
    await waitFor(async () => (await (await h.channel(observer)).checkQueue(q)).consumerCount === 0);
    await waitFor(async () => {
      const probe = await h.channel(observer);
      try {
        await probe.checkQueue(exclusive);
        return false;
      } catch (err) {
        return (err as { code?: number }).code === REPLY.NOT_FOUND;
      }
    });
  });

  test('a clean client close emits close without an error', async () => {
    const conn: ChannelModel = await h.connect();
    let error: unknown;
    conn.on('error', (err: unknown) => (error = err));
    const closed = new Promise<unknown>((resolve) => conn.once('close', resolve));
    await conn.close();
    assert.equal(await closed, undefined);
    assert.equal(error, undefined);
  });

  test('a small negotiated frame_max still carries large messages both ways', async () => {
    const conn = await h.connect({ query: { frameMax: 4096 } });
    assert.equal(tuning(conn).frameMax, 4096);
    const ch = await h.confirmChannel(conn);
    const q = (await ch.assertQueue('', { exclusive: true })).queue;
    const body = Buffer.alloc(100_000, 'abcdefghij');
    await fill(ch, q, [body.toString()]);
    const m = await ch.get(q, { noAck: true });
    assert.ok(m);
    assert.ok(m.content.equals(body));
  });
});
