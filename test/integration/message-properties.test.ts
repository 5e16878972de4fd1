/**
 * Message content: all fourteen basic properties (header tables with every field type) survive the broker
 * unchanged, absent properties stay absent, bodies of any size up to the 128 MiB limit arrive intact
 * across frame boundaries, a larger one is refused, and user_id must be the authenticated user.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, test } from 'node:test';
import type { ConfirmChannel, Message } from 'amqplib';
import {
  Inbox,
  REPLY,
  assertReply,
  closedWithError,
  publishConfirmed,
  rawPublish,
  readyCount,
  tuning,
  useBroker,
  type RawProperties,
} from '../helpers/amqp.js';
import { withTimeout } from '../helpers/wait.js';

const MAX_MESSAGE_SIZE = 128 * 1024 * 1024;

/** Every basic property set, the headers table using every field type amqplib can encode. */
const ALL_PROPERTIES: RawProperties = {
  contentType: 'application/json',
  contentEncoding: 'gzip',
  headers: {
    string: 'str',
    unicode: 'ünïcødé ✓',
    emptyString: '',
    byte: 42,
    short: -1000,
    int: -100000,
    long: 2 ** 40,
    negativeLong: -(2 ** 40),
    double: 1.5,
    true: true,
    false: false,
    void: null,
    bytes: Buffer.from([0, 1, 2, 255]),
    array: [1, 'two', [3], { four: 4 }, true, null],
    emptyArray: [],
    table: { nested: { deep: 'yes' }, list: [true, 2.25] },
    emptyTable: {},
    timestamp: { '!': 'timestamp', value: 1700000000 },
    decimal: { '!': 'decimal', value: { places: 2, digits: 12345 } },
    float: { '!': 'float', value: 0.5 },
    unsignedByte: { '!': 'unsignedbyte', value: 200 },
    unsignedShort: { '!': 'unsignedshort', value: 60000 },
    unsignedInt: { '!': 'unsignedint', value: 4000000000 },
    explicitShort: { '!': 'short', value: -2 },
  },
  deliveryMode: 2,
  priority: 7,
  correlationId: 'correlation-id',
  replyTo: 'reply-queue',
  expiration: '60000',
  messageId: 'message-id',
  timestamp: 1700000001,
  type: 'kind',
  userId: 'guest',
  appId: 'app-id',
  clusterId: 'cluster-id',
};

/** What amqplib decodes ALL_PROPERTIES back into. */
const ALL_PROPERTIES_DECODED = {
  ...ALL_PROPERTIES,
  headers: {
    ...ALL_PROPERTIES.headers,
    // Explicitly typed numbers come back as plain numbers; timestamps and decimals keep their tag.
    float: 0.5,
    unsignedByte: 200,
    unsignedShort: 60000,
    unsignedInt: 4000000000,
    explicitShort: -2,
  },
};

describe('message properties and bodies', () => {
  const h = useBroker();

  function publishRaw(
    ch: ConfirmChannel,
    queue: string,
    properties: RawProperties,
    body: Buffer,
  ): Promise<void> {
    return withTimeout(
      new Promise<void>((resolve, reject) =>
        rawPublish(ch, { exchange: '', routingKey: queue }, properties, body, (err) =>
          err ? reject(err) : resolve(),
        ),
      ),
    );
  }

  test('all fourteen basic properties arrive unchanged, by consume and by get', async () => {
    const ch = await h.confirmChannel();
    const q = (await ch.assertQueue('', { exclusive: true })).queue;
    await publishRaw(ch, q, ALL_PROPERTIES, Buffer.from('by-get'));
    const got = await ch.get(q, { noAck: true });
    assert.ok(got);
    assert.deepEqual(got.properties, ALL_PROPERTIES_DECODED);

    const inbox = await Inbox.consume(ch, q, { noAck: true });
    await publishRaw(ch, q, ALL_PROPERTIES, Buffer.from('by-consume'));
    const [delivered] = await inbox.atLeast(1);
    assert.deepEqual(delivered?.properties, ALL_PROPERTIES_DECODED);
    assert.equal(delivered?.content.toString(), 'by-consume');
  });

  test('a message without properties arrives without any', async () => {
    const ch = await h.confirmChannel();
    const q = (await ch.assertQueue('', { exclusive: true })).queue;
    await publishRaw(ch, q, {}, Buffer.from('bare'));
    const m = await ch.get(q, { noAck: true });
    assert.ok(m);
    const present = Object.entries(m.properties).filter(([, v]) => v !== undefined);
    assert.deepEqual(present, []);
  });

  test('properties survive a requeue and redelivery', async () => {
    const ch = await h.confirmChannel();
    const q = (await ch.assertQueue('', { exclusive: true })).queue;
    await publishRaw(ch, q, ALL_PROPERTIES, Buffer.from('again'));
    const first = await ch.get(q);
    assert.ok(first);
    ch.nack(first, false, true);
    const inbox = await Inbox.consume(ch, q, { noAck: true });
    const [again] = await inbox.atLeast(1);
    assert.equal(again?.fields.redelivered, true);
    assert.deepEqual(again?.properties, ALL_PROPERTIES_DECODED);
  });

  test('a user_id other than the authenticated user closes the channel with 406', async () => {
    const ch = await h.channel();
    const q = await h.queue();
    ch.sendToQueue(q, Buffer.from('forged'), { userId: 'bob' });
    assertReply(
      await closedWithError(ch),
      REPLY.PRECONDITION_FAILED,
      "PRECONDITION_FAILED - user_id property set to 'bob' but authenticated user was 'guest'",
    );
    assert.equal(await readyCount(await h.channel(), q), 0);
  });

  describe('bodies', () => {
    async function roundTrip(body: Buffer): Promise<{ got: Buffer; delivered: Buffer }> {
      const ch = await h.confirmChannel();
      const q = (await ch.assertQueue('', { exclusive: true })).queue;
      await publishConfirmed(ch, '', q, body);
      const got = await ch.get(q, { noAck: true });
      assert.ok(got);
      const inbox = await Inbox.consume(ch, q, { noAck: true });
      await publishConfirmed(ch, '', q, body);
      const [delivered] = (await inbox.atLeast(1)) as [Message];
      return { got: got.content, delivered: delivered.content };
    }

    const frameMax = 131072;
    const sizes: Array<[string, number]> = [
      ['0 bytes', 0],
      ['1 byte', 1],
      ['exactly one full body frame (frame_max - 8)', frameMax - 8],
      ['one byte more than a body frame holds', frameMax - 7],
      ['several body frames (300 KB)', 300_000],
      ['1 MiB', 1024 * 1024],
    ];
    for (const [label, size] of sizes) {
      test(`a body of ${label} arrives intact`, async () => {
        const body = randomBytes(size);
        const { got, delivered } = await roundTrip(body);
        assert.equal(got.length, size);
        assert.ok(got.equals(body), 'basic.get body differs');
        assert.ok(delivered.equals(body), 'basic.deliver body differs');
      });
    }

    test('the default negotiated frame_max is what the frame-boundary sizes above assume', async () => {
      assert.equal(tuning(await h.connect()).frameMax, frameMax);
    });

    test('a body of exactly 128 MiB is accepted; one byte more closes the channel with 406', async () => {
      const big = Buffer.alloc(MAX_MESSAGE_SIZE + 1, 7);
      const ok = await h.confirmChannel();
      const q = (await ok.assertQueue('', { exclusive: true })).queue;
      await withTimeout(
        new Promise<void>((resolve, reject) =>
          ok.sendToQueue(q, big.subarray(0, MAX_MESSAGE_SIZE), {}, (err: unknown) =>
            err ? reject(err) : resolve(),
          ),
        ),
        30_000,
        'the confirm of a 128 MiB message',
      );
      assert.equal(await readyCount(ok, q), 1);
      await ok.purgeQueue(q);

      const tooBig = await h.confirmChannel();
      tooBig.sendToQueue(q, big, {});
      assertReply(
        await closedWithError(tooBig, 30_000),
        REPLY.PRECONDITION_FAILED,
        `PRECONDITION_FAILED - message size ${MAX_MESSAGE_SIZE + 1} is larger than configured max size ${MAX_MESSAGE_SIZE}`,
      );
      assert.equal(await readyCount(ok, q), 0);
    });
  });
});
