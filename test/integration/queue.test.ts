/**
 * queue.declare / queue.purge / queue.delete through amqplib: server-named queues, passive declares,
 * equivalence checks, exclusivity, auto-delete, and the counts in declare-ok, purge-ok and delete-ok.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { ChannelModel } from 'amqplib';
import { uniqueName } from '../helpers/broker.js';
import {
  Inbox,
  REPLY,
  expectReply,
  fill,
  publishConfirmed,
  range,
  readyCount,
  useBroker,
} from '../helpers/amqp.js';
import { waitFor } from '../helpers/wait.js';

const LOCKED = (q: string) =>
  `RESOURCE_LOCKED - cannot obtain exclusive access to locked queue '${q}' in vhost '/'. It could be originally declared on another connection or the exclusive property value does not match that of the original declaration.`;

describe('queues', () => {
  const h = useBroker();

  /**
   * Whether a queue exists, seen from `conn` (a passive declare on a throwaway channel). Another
   * connection's exclusive queue answers 405, which also means it exists.
   */
  async function exists(conn: ChannelModel, queue: string): Promise<boolean> {
    const ch = await h.channel(conn);
    try {
      await ch.checkQueue(queue);
      await ch.close();
      return true;
    } catch (err) {
      const code = (err as { code?: number }).code;
      if (code === REPLY.NOT_FOUND) return false;
      if (code === REPLY.RESOURCE_LOCKED) return true;
      throw err;
    }
  }

  test('an empty name gets a server-generated amq.gen- name of 22 url-safe base64 characters', async () => {
    const ch = await h.channel();
    const names = new Set<string>();
    for (let i = 0; i < 20; i++) {
      const ok = await ch.assertQueue('', { exclusive: true });
      assert.match(ok.queue, /^amq\.gen-[A-Za-z0-9_-]{22}$/);
      assert.equal(ok.messageCount, 0);
      assert.equal(ok.consumerCount, 0);
      names.add(ok.queue);
    }
    assert.equal(names.size, 20);
  });

  test('declare-ok echoes the name; redeclaring is idempotent and reports the counts', async () => {
    const ch = await h.confirmChannel();
    const name = uniqueName('q-idem');
    h.deleteAfter('queue', name);
    const first = await ch.assertQueue(name, { durable: false });
    assert.deepEqual(first, { queue: name, messageCount: 0, consumerCount: 0 });
    await fill(ch, name, range(3));
    const consumerCh = await h.channel();
    await consumerCh.prefetch(1);
    const inbox = await Inbox.consume(consumerCh, name);
    await inbox.atLeast(1);
    // Ready messages only: the one delivered (unacked) message is not counted.
    const again = await ch.assertQueue(name, { durable: false });
    assert.deepEqual(again, { queue: name, messageCount: 2, consumerCount: 1 });
    const passive = await ch.checkQueue(name);
    assert.deepEqual(passive, { queue: name, messageCount: 2, consumerCount: 1 });
  });

  test('passive declare of a missing queue closes the channel with 404', async () => {
    const name = uniqueName('missing');
    await expectReply(
      (await h.channel()).checkQueue(name),
      REPLY.NOT_FOUND,
      `NOT_FOUND - no queue '${name}' in vhost '/'`,
    );
  });

  test('queue names starting amq. are reserved (403)', async () => {
    const name = `amq.${uniqueName('q')}`;
    await expectReply(
      (await h.channel()).assertQueue(name, { durable: false }),
      REPLY.ACCESS_REFUSED,
      `ACCESS_REFUSED - queue name '${name}' contains reserved prefix 'amq.*'`,
    );
  });

  test('a durable queue can be declared and is found again; redeclaring it non-durable is 406', async () => {
    const ch = await h.channel();
    const name = uniqueName('q-durable');
    h.deleteAfter('queue', name);
    assert.equal((await ch.assertQueue(name, { durable: true })).queue, name);
    assert.equal((await ch.assertQueue(name, { durable: true })).queue, name);
    await expectReply(
      ch.assertQueue(name, { durable: false }),
      REPLY.PRECONDITION_FAILED,
      `PRECONDITION_FAILED - inequivalent arg 'durable' for queue '${name}' in vhost '/': received 'false' but current is 'true'`,
    );
  });

  test('redeclaring with a different durable flag is 406', async () => {
    const name = await h.queue();
    await expectReply(
      (await h.channel()).assertQueue(name, { durable: true }),
      REPLY.PRECONDITION_FAILED,
      `PRECONDITION_FAILED - inequivalent arg 'durable' for queue '${name}' in vhost '/': received 'true' but current is 'false'`,
    );
  });

  test('redeclaring with a different auto-delete flag is 406', async () => {
    const name = await h.queue();
    await expectReply(
      (await h.channel()).assertQueue(name, { durable: false, autoDelete: true }),
      REPLY.PRECONDITION_FAILED,
      `PRECONDITION_FAILED - inequivalent arg 'auto_delete' for queue '${name}' in vhost '/': received 'true' but current is 'false'`,
    );
  });

  test('redeclaring a shared queue as exclusive is 405 RESOURCE_LOCKED (not 406)', async () => {
    const name = await h.queue();
    await expectReply(
      (await h.channel()).assertQueue(name, { durable: false, exclusive: true }),
      REPLY.RESOURCE_LOCKED,
      LOCKED(name),
    );
  });

  test('x- arguments must be equivalent on redeclare (406); other arguments are not compared', async () => {
    const name = await h.queue({ arguments: { 'x-max-length': 10, custom: 'a' } });
    await expectReply(
      (await h.channel()).assertQueue(name, {
        durable: false,
        arguments: { 'x-max-length': 11, custom: 'a' },
      }),
      REPLY.PRECONDITION_FAILED,
      `PRECONDITION_FAILED - inequivalent arg 'x-max-length' for queue '${name}' in vhost '/': received '11' but current is '10'`,
    );
    await expectReply(
      (await h.channel()).assertQueue(name, { durable: false }),
      REPLY.PRECONDITION_FAILED,
      `PRECONDITION_FAILED - inequivalent arg 'x-max-length' for queue '${name}' in vhost '/': received none but current is the value '10' of type 'byte'`,
    );
    await expectReply(
      (await h.channel()).assertQueue(name, {
        durable: false,
        arguments: { 'x-max-length': 10, 'x-message-ttl': 1000 },
      }),
      REPLY.PRECONDITION_FAILED,
      `PRECONDITION_FAILED - inequivalent arg 'x-message-ttl' for queue '${name}' in vhost '/': received the value '1000' of type 'short' but current is none`,
    );
    // The same x- arguments with a different non-x argument are fine.
    const ok = await (
      await h.channel()
    ).assertQueue(name, { durable: false, arguments: { 'x-max-length': 10, custom: 'b' } });
    assert.equal(ok.queue, name);
  });

  test("another connection's exclusive queue is locked (405) for every operation", async () => {
    const owner = await h.connect();
    const ownerCh = await h.channel(owner);
    const name = uniqueName('q-excl');
    await ownerCh.assertQueue(name, { exclusive: true });
    const other = await h.connect();
    const attempts: Array<[string, (ch: Awaited<ReturnType<typeof h.channel>>) => Promise<unknown>]> = [
      ['declare exclusive', (ch) => ch.assertQueue(name, { exclusive: true })],
      ['declare shared', (ch) => ch.assertQueue(name, { durable: false })],
      ['passive declare', (ch) => ch.checkQueue(name)],
      ['bind', (ch) => ch.bindQueue(name, 'amq.direct', 'k')],
      ['consume', (ch) => ch.consume(name, () => {})],
      ['get', (ch) => ch.get(name)],
      ['purge', (ch) => ch.purgeQueue(name)],
      ['delete', (ch) => ch.deleteQueue(name)],
    ];
    for (const [what, attempt] of attempts) {
      const ch = await h.channel(other);
      await expectReply(attempt(ch), REPLY.RESOURCE_LOCKED, LOCKED(name)).catch((err: Error) => {
        throw new Error(`${what}: ${err.message}`);
      });
    }
    // The owner still has it.
    assert.equal((await ownerCh.checkQueue(name)).queue, name);
  });

  test('an exclusive queue is deleted when its connection closes', async () => {
    const owner = await h.connect();
    const name = uniqueName('q-excl');
    await (await h.channel(owner)).assertQueue(name, { exclusive: true });
    const observer = await h.connect();
    assert.equal(await exists(observer, name), true);
    await owner.close();
    await waitFor(async () => !(await exists(observer, name)), undefined, 'the exclusive queue to go');
  });

  test('an auto-delete queue goes when its last consumer cancels, not before', async () => {
    const ch = await h.channel();
    const name = uniqueName('q-autodel');
    h.deleteAfter('queue', name);
    await ch.assertQueue(name, { durable: false, autoDelete: true });
    const a = await Inbox.consume(ch, name);
    const b = await Inbox.consume(ch, name);
    await ch.cancel(a.consumerTag);
    assert.equal((await ch.checkQueue(name)).consumerCount, 1);
    await ch.cancel(b.consumerTag);
    const observer = await h.connect();
    await waitFor(async () => !(await exists(observer, name)), undefined, 'the auto-delete queue to go');
  });

  test('an auto-delete queue that never had a consumer stays', async () => {
    const ch = await h.channel();
    const name = uniqueName('q-autodel');
    h.deleteAfter('queue', name);
    await ch.assertQueue(name, { durable: false, autoDelete: true });
    await ch.bindQueue(name, 'amq.fanout', '');
    await ch.unbindQueue(name, 'amq.fanout', '');
    assert.equal((await ch.checkQueue(name)).queue, name);
  });

  test('an auto-delete queue goes when the channel of its last consumer closes', async () => {
    const name = uniqueName('q-autodel');
    h.deleteAfter('queue', name);
    const ch = await h.channel();
    await ch.assertQueue(name, { durable: false, autoDelete: true });
    await Inbox.consume(ch, name);
    await ch.close();
    const observer = await h.connect();
    await waitFor(async () => !(await exists(observer, name)), undefined, 'the auto-delete queue to go');
  });

  test('queue names may use any UTF-8 up to 255 bytes', async () => {
    const ch = await h.confirmChannel();
    const name = `${uniqueName('q')}-ünïcødé-队列-${'x'.repeat(100)}`;
    h.deleteAfter('queue', name);
    assert.equal((await ch.assertQueue(name, { durable: false })).queue, name);
    await fill(ch, name, ['hi']);
    const m = await ch.get(name, { noAck: true });
    assert.ok(m);
    assert.equal(m.fields.routingKey, name);
  });

  describe('queue.purge', () => {
    test('returns the number of ready messages purged and leaves unacked ones alone', async () => {
      const q = await h.queue();
      const ch = await h.confirmChannel();
      await fill(ch, q, range(5));
      const held = await ch.get(q);
      assert.ok(held);
      assert.deepEqual(await ch.purgeQueue(q), { messageCount: 4 });
      assert.equal(await readyCount(ch, q), 0);
      assert.deepEqual(await ch.purgeQueue(q), { messageCount: 0 });
      // The unacked message was not purged: rejecting it with requeue brings it back.
      ch.reject(held, true);
      await waitFor(async () => (await readyCount(ch, q)) === 1);
    });

    test('purge of a missing queue is 404', async () => {
      const name = uniqueName('missing');
      await expectReply(
        (await h.channel()).purgeQueue(name),
        REPLY.NOT_FOUND,
        `NOT_FOUND - no queue '${name}' in vhost '/'`,
      );
    });
  });

  describe('queue.delete', () => {
    test('returns the number of ready messages deleted and removes the queue', async () => {
      const q = await h.queue();
      const ch = await h.confirmChannel();
      await fill(ch, q, range(4));
      assert.ok(await ch.get(q)); // one unacked: not counted
      assert.deepEqual(await ch.deleteQueue(q), { messageCount: 3 });
      await expectReply((await h.channel()).checkQueue(q), REPLY.NOT_FOUND);
    });

    test('if-empty refuses a queue with messages (406) and keeps it', async () => {
      const q = await h.queue();
      const ch = await h.confirmChannel();
      await fill(ch, q, ['m']);
      await expectReply(
        ch.deleteQueue(q, { ifEmpty: true }),
        REPLY.PRECONDITION_FAILED,
        `PRECONDITION_FAILED - queue '${q}' in vhost '/' not empty`,
      );
      const ch2 = await h.channel();
      assert.equal(await readyCount(ch2, q), 1);
      await ch2.purgeQueue(q);
      assert.deepEqual(await ch2.deleteQueue(q, { ifEmpty: true }), { messageCount: 0 });
    });

    test('if-unused refuses a queue with consumers (406) and keeps it', async () => {
      const q = await h.queue();
      const consumerCh = await h.channel();
      const inbox = await Inbox.consume(consumerCh, q);
      await expectReply(
        (await h.channel()).deleteQueue(q, { ifUnused: true }),
        REPLY.PRECONDITION_FAILED,
        `PRECONDITION_FAILED - queue '${q}' in vhost '/' in use`,
      );
      const ch = await h.channel();
      assert.equal((await ch.checkQueue(q)).consumerCount, 1);
      await consumerCh.cancel(inbox.consumerTag);
      assert.deepEqual(await ch.deleteQueue(q, { ifUnused: true }), { messageCount: 0 });
    });

    test('deleting a missing queue succeeds with message count 0 (RabbitMQ 3.10)', async () => {
      const ch = await h.channel();
      assert.deepEqual(await ch.deleteQueue(uniqueName('missing')), { messageCount: 0 });
      assert.deepEqual(await ch.deleteQueue(uniqueName('missing'), { ifEmpty: true, ifUnused: true }), {
        messageCount: 0,
      });
    });

    test('deleting a queue removes its bindings', async () => {
      const ch = await h.confirmChannel();
      const x = await h.exchange('direct');
      const q = await h.queue();
      await ch.bindQueue(q, x, 'k');
      await ch.deleteQueue(q);
      await ch.assertQueue(q, { durable: false });
      await publishConfirmed(ch, x, 'k', 'x');
      assert.equal(await readyCount(ch, q), 0);
    });
  });
});
