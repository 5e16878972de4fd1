/**
 * exchange.declare / exchange.delete / exchange.bind / exchange.unbind through amqplib, with the reply
 * codes and texts RabbitMQ 3.10 sends.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { uniqueName } from '../helpers/broker.js';
import { REPLY, closedWithError, drain, expectReply, publishConfirmed, useBroker } from '../helpers/amqp.js';
import { nextEvent } from '../helpers/wait.js';

describe('exchanges', () => {
  const h = useBroker();

  for (const type of ['direct', 'fanout', 'topic', 'headers']) {
    test(`declares a ${type} exchange; a passive declare then finds it`, async () => {
      const ch = await h.channel();
      const name = uniqueName(`x-${type}`);
      h.deleteAfter('exchange', name);
      const ok = await ch.assertExchange(name, type, { durable: false });
      assert.equal(ok.exchange, name);
      await ch.checkExchange(name);
      // Redeclaring with identical properties is a no-op.
      await ch.assertExchange(name, type, { durable: false });
    });
  }

  test('passive declare of a missing exchange closes the channel with 404', async () => {
    const ch = await h.channel();
    const name = uniqueName('missing');
    await expectReply(
      ch.checkExchange(name),
      REPLY.NOT_FOUND,
      `NOT_FOUND - no exchange '${name}' in vhost '/'`,
    );
    assert.equal((await closedWithError(ch)).code, REPLY.NOT_FOUND);
  });

  test('the predeclared amq.* exchanges exist with their standard types', async () => {
    const ch = await h.channel();
    for (const [name, type] of [
      ['amq.direct', 'direct'],
      ['amq.fanout', 'fanout'],
      ['amq.topic', 'topic'],
      ['amq.headers', 'headers'],
      ['amq.match', 'headers'],
    ] as const) {
      await ch.checkExchange(name);
      // An equivalent redeclare of a predeclared exchange is allowed (they are durable).
      await ch.assertExchange(name, type, { durable: true });
    }
  });

  test('redeclaring amq.direct with another type is 406, not 403', async () => {
    const ch = await h.channel();
    await expectReply(
      ch.assertExchange('amq.direct', 'fanout'),
      REPLY.PRECONDITION_FAILED,
      "PRECONDITION_FAILED - inequivalent arg 'type' for exchange 'amq.direct' in vhost '/': received 'fanout' but current is 'direct'",
    );
  });

  test('declaring a new exchange named amq.* is refused with 403', async () => {
    const ch = await h.channel();
    const name = `amq.${uniqueName('foo')}`;
    await expectReply(
      ch.assertExchange(name, 'direct', { durable: false }),
      REPLY.ACCESS_REFUSED,
      `ACCESS_REFUSED - exchange name '${name}' contains reserved prefix 'amq.*'`,
    );
  });

  test('the default exchange cannot be declared, even passively', async () => {
    await expectReply(
      (await h.channel()).assertExchange('', 'direct'),
      REPLY.ACCESS_REFUSED,
      'ACCESS_REFUSED - operation not permitted on the default exchange',
    );
    await expectReply(
      (await h.channel()).checkExchange(''),
      REPLY.ACCESS_REFUSED,
      'ACCESS_REFUSED - operation not permitted on the default exchange',
    );
  });

  interface Declared {
    type: string;
    durable?: boolean;
    autoDelete?: boolean;
    internal?: boolean;
    alternateExchange?: string;
  }
  const inequivalent: Array<{
    what: string;
    first: Declared;
    second: Declared;
    text: (name: string) => string;
  }> = [
    {
      what: 'type',
      first: { type: 'direct' },
      second: { type: 'fanout' },
      text: (n) =>
        `PRECONDITION_FAILED - inequivalent arg 'type' for exchange '${n}' in vhost '/': received 'fanout' but current is 'direct'`,
    },
    {
      what: 'durable',
      first: { type: 'direct' },
      second: { type: 'direct', durable: true },
      text: (n) =>
        `PRECONDITION_FAILED - inequivalent arg 'durable' for exchange '${n}' in vhost '/': received 'true' but current is 'false'`,
    },
    {
      what: 'auto-delete',
      first: { type: 'direct' },
      second: { type: 'direct', autoDelete: true },
      text: (n) =>
        `PRECONDITION_FAILED - inequivalent arg 'auto_delete' for exchange '${n}' in vhost '/': received 'true' but current is 'false'`,
    },
    {
      what: 'internal',
      first: { type: 'direct' },
      second: { type: 'direct', internal: true },
      text: (n) =>
        `PRECONDITION_FAILED - inequivalent arg 'internal' for exchange '${n}' in vhost '/': received 'true' but current is 'false'`,
    },
    {
      what: 'alternate-exchange argument',
      first: { type: 'direct' },
      second: { type: 'direct', alternateExchange: 'ae' },
      text: (n) =>
        `PRECONDITION_FAILED - inequivalent arg 'alternate-exchange' for exchange '${n}' in vhost '/': received the value 'ae' of type 'longstr' but current is none`,
    },
  ];
  for (const c of inequivalent) {
    test(`redeclaring with a different ${c.what} closes the channel with 406`, async () => {
      const ch = await h.channel();
      const name = uniqueName('x-redeclare');
      h.deleteAfter('exchange', name);
      const { type: t1, ...o1 } = c.first;
      await ch.assertExchange(name, t1, { durable: false, ...o1 });
      const { type: t2, ...o2 } = c.second;
      await expectReply(
        ch.assertExchange(name, t2, { durable: false, ...o2 }),
        REPLY.PRECONDITION_FAILED,
        c.text(name),
      );
      // The original exchange is unchanged.
      await (await h.channel()).assertExchange(name, t1, { durable: false, ...o1 });
    });
  }

  test('arguments other than alternate-exchange are not compared on redeclare (RabbitMQ 3.10)', async () => {
    const ch = await h.channel();
    const name = await h.exchange('direct', { arguments: { foo: 1 } });
    await ch.assertExchange(name, 'direct', { durable: false, arguments: { foo: 2, bar: 'x' } });
    await ch.assertExchange(name, 'direct', { durable: false });
  });

  test('exchange.delete removes the exchange and its bindings', async () => {
    const ch = await h.confirmChannel();
    const x = await h.exchange('direct');
    const q = await h.queue();
    await ch.bindQueue(q, x, 'k');
    await ch.deleteExchange(x);
    const ch2 = await h.channel();
    await expectReply(ch2.checkExchange(x), REPLY.NOT_FOUND);
    // A new exchange of the same name starts without the old binding.
    await ch.assertExchange(x, 'direct', { durable: false });
    await publishConfirmed(ch, x, 'k', 'after-recreate');
    assert.deepEqual(await drain(ch, q), []);
  });

  test('exchange.delete if-unused refuses a bound exchange with 406 and keeps it', async () => {
    const ch = await h.channel();
    const x = await h.exchange('fanout');
    const q = await h.queue();
    await ch.bindQueue(q, x, '');
    await expectReply(
      ch.deleteExchange(x, { ifUnused: true }),
      REPLY.PRECONDITION_FAILED,
      `PRECONDITION_FAILED - exchange '${x}' in vhost '/' in use`,
    );
    const ch2 = await h.channel();
    await ch2.checkExchange(x);
    await ch2.unbindQueue(q, x, '');
    await ch2.deleteExchange(x, { ifUnused: true });
    await expectReply(ch2.checkExchange(x), REPLY.NOT_FOUND);
  });

  test('exchange.delete if-unused also counts exchange-to-exchange bindings where it is the source', async () => {
    const ch = await h.channel();
    const src = await h.exchange('fanout');
    const dst = await h.exchange('fanout');
    await ch.bindExchange(dst, src, '');
    await expectReply(ch.deleteExchange(src, { ifUnused: true }), REPLY.PRECONDITION_FAILED);
  });

  test('deleting a missing exchange succeeds (RabbitMQ 3.10 replies delete-ok)', async () => {
    const ch = await h.channel();
    await ch.deleteExchange(uniqueName('never-declared'));
    await ch.deleteExchange(uniqueName('never-declared'), { ifUnused: true });
    await ch.checkExchange('amq.direct'); // the channel is still open
  });

  test('the predeclared and the default exchange cannot be deleted (403)', async () => {
    await expectReply(
      (await h.channel()).deleteExchange('amq.direct'),
      REPLY.ACCESS_REFUSED,
      "ACCESS_REFUSED - deletion of system exchange 'amq.direct' in vhost '/' not allowed",
    );
    await expectReply(
      (await h.channel()).deleteExchange(''),
      REPLY.ACCESS_REFUSED,
      'ACCESS_REFUSED - operation not permitted on the default exchange',
    );
  });

  test('an auto-delete exchange goes when its last binding goes, not before', async () => {
    const ch = await h.channel();
    const x = await h.exchange('direct', { autoDelete: true });
    const q = await h.queue();
    // Never bound: it stays.
    await ch.checkExchange(x);
    await ch.bindQueue(q, x, 'a');
    await ch.bindQueue(q, x, 'b');
    await ch.unbindQueue(q, x, 'a');
    await ch.checkExchange(x);
    await ch.unbindQueue(q, x, 'b');
    await expectReply(ch.checkExchange(x), REPLY.NOT_FOUND);
  });

  test('an auto-delete exchange goes when its last bound queue is deleted', async () => {
    const ch = await h.channel();
    const x = await h.exchange('fanout', { autoDelete: true });
    const q = await h.queue();
    await ch.bindQueue(q, x, '');
    await ch.deleteQueue(q);
    await expectReply(ch.checkExchange(x), REPLY.NOT_FOUND);
  });

  test('publishing to an internal exchange is refused with 403; it still routes exchange-to-exchange', async () => {
    const ch = await h.confirmChannel();
    const front = await h.exchange('fanout');
    const internal = await h.exchange('fanout', { internal: true });
    const q = await h.queue();
    await ch.bindExchange(internal, front, '');
    await ch.bindQueue(q, internal, '');
    await publishConfirmed(ch, front, '', 'via-front');
    assert.deepEqual(await drain(ch, q), ['via-front']);

    ch.publish(internal, '', Buffer.from('direct'));
    const err = await closedWithError(ch);
    assert.equal(err.code, REPLY.ACCESS_REFUSED);
    assert.match(
      err.message,
      new RegExp(`ACCESS_REFUSED - cannot publish to internal exchange '${internal}' in vhost '/'`),
    );
  });

  test('alternate-exchange receives what the exchange cannot route; mandatory is then satisfied', async () => {
    const ch = await h.confirmChannel();
    const ae = await h.exchange('fanout');
    const x = await h.exchange('direct', { alternateExchange: ae });
    const routed = await h.queue();
    const unrouted = await h.queue();
    await ch.bindQueue(routed, x, 'known');
    await ch.bindQueue(unrouted, ae, '');
    let returned = 0;
    ch.on('return', () => returned++);
    await publishConfirmed(ch, x, 'known', 'k', { mandatory: true });
    await publishConfirmed(ch, x, 'unknown', 'u', { mandatory: true });
    assert.deepEqual(await drain(ch, routed), ['k']);
    assert.deepEqual(await drain(ch, unrouted), ['u']);
    assert.equal(returned, 0);
  });

  describe('exchange-to-exchange bindings', () => {
    test('exchange.bind routes through the destination exchange; exchange.unbind stops it', async () => {
      const ch = await h.confirmChannel();
      const src = await h.exchange('topic');
      const dst = await h.exchange('direct');
      const q = await h.queue();
      await ch.bindQueue(q, dst, 'a.b');
      await ch.bindExchange(dst, src, 'a.*');
      await publishConfirmed(ch, src, 'a.b', 'routed');
      // Matches src's binding but not dst's: dropped at dst.
      await publishConfirmed(ch, src, 'a.c', 'stops-at-dst');
      // Does not match src's binding.
      await publishConfirmed(ch, src, 'b.b', 'stops-at-src');
      assert.deepEqual(await drain(ch, q), ['routed']);

      await ch.unbindExchange(dst, src, 'a.*');
      await publishConfirmed(ch, src, 'a.b', 'after-unbind');
      assert.deepEqual(await drain(ch, q), []);
    });

    test('a message reaching a queue along two paths is delivered once', async () => {
      const ch = await h.confirmChannel();
      const src = await h.exchange('fanout');
      const mid1 = await h.exchange('fanout');
      const mid2 = await h.exchange('fanout');
      const q = await h.queue();
      await ch.bindExchange(mid1, src, '');
      await ch.bindExchange(mid2, src, '');
      await ch.bindQueue(q, mid1, '');
      await ch.bindQueue(q, mid2, '');
      await ch.bindQueue(q, src, '');
      await publishConfirmed(ch, src, '', 'once');
      assert.deepEqual(await drain(ch, q), ['once']);
    });

    test('a cycle of exchange bindings neither loops nor duplicates', async () => {
      const ch = await h.confirmChannel();
      const a = await h.exchange('fanout');
      const b = await h.exchange('fanout');
      const q = await h.queue();
      await ch.bindExchange(b, a, '');
      await ch.bindExchange(a, b, '');
      await ch.bindQueue(q, b, '');
      await publishConfirmed(ch, a, '', 'cycle');
      assert.deepEqual(await drain(ch, q), ['cycle']);
    });

    test('exchange.bind with a missing source or destination is 404', async () => {
      const x = await h.exchange('direct');
      const missing = uniqueName('missing');
      await expectReply(
        (await h.channel()).bindExchange(x, missing, 'k'),
        REPLY.NOT_FOUND,
        `NOT_FOUND - no exchange '${missing}' in vhost '/'`,
      );
      await expectReply(
        (await h.channel()).bindExchange(missing, x, 'k'),
        REPLY.NOT_FOUND,
        `NOT_FOUND - no exchange '${missing}' in vhost '/'`,
      );
    });

    test('exchange.bind to or from the default exchange is 403', async () => {
      const x = await h.exchange('direct');
      await expectReply(
        (await h.channel()).bindExchange(x, '', 'k'),
        REPLY.ACCESS_REFUSED,
        'ACCESS_REFUSED - operation not permitted on the default exchange',
      );
      await expectReply(
        (await h.channel()).bindExchange('', x, 'k'),
        REPLY.ACCESS_REFUSED,
        'ACCESS_REFUSED - operation not permitted on the default exchange',
      );
    });

    test('mandatory publish that dies at the destination exchange is returned', async () => {
      const ch = await h.confirmChannel();
      const src = await h.exchange('fanout');
      const dst = await h.exchange('direct');
      await ch.bindExchange(dst, src, '');
      const returned = nextEvent(ch, 'return');
      await publishConfirmed(ch, src, 'nowhere', 'lost', { mandatory: true });
      const [msg] = (await returned) as [{ fields: { replyCode: number; replyText: string } }];
      assert.equal(msg.fields.replyCode, REPLY.NO_ROUTE);
      assert.equal(msg.fields.replyText, 'NO_ROUTE');
    });
  });
});
