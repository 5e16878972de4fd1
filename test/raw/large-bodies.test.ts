/**
 * Large bodies arrive intact however the publisher's bytes are cut. The broker reads large body
 * frames straight into the message body (socket-reader.ts) and reuses the memory of delivered bodies
 * (body-pool.ts): these tests publish bodies of many sizes, written in random pieces with pauses
 * between them, through fanout to a no-ack and a manual-ack consumer, and check every byte of every
 * delivery in order.
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import amqp from 'amqplib';
import { startBroker, type TestBroker } from '../helpers/broker.js';
import {
  RawClient,
  bodyFrame,
  headerFrame,
  methodFrame,
  publishMethod,
  queueDeclareMethod,
} from '../helpers/raw-client.js';
import { prng } from '../helpers/prng.js';
import { waitFor } from '../helpers/wait.js';

const FRAME_MAX = 131072;
const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

/** The frames of one basic.publish of `body`, split at frame_max. */
function publishFrames(exchange: string, routingKey: string, body: Buffer): Buffer {
  const parts = [methodFrame(1, publishMethod(exchange, routingKey)), headerFrame(1, body.length)];
  for (let off = 0; off < body.length; off += FRAME_MAX - 8) {
    parts.push(bodyFrame(1, body.subarray(off, Math.min(body.length, off + FRAME_MAX - 8))));
  }
  return Buffer.concat(parts);
}

describe('large bodies', () => {
  let broker: TestBroker;
  before(async () => {
    broker = await startBroker();
  });
  after(() => broker.close());

  test('bodies of many sizes, written in random pieces, reach a no-ack and an ack consumer intact', async () => {
    const url = `amqp://guest:guest@${broker.host}:${broker.port}?frameMax=${FRAME_MAX}`;
    const conn = await amqp.connect(url);
    try {
      const ch = await conn.createChannel();
      const x = `large-x-${randomBytes(4).toString('hex')}`;
      await ch.assertExchange(x, 'fanout', { autoDelete: true });
      const q1 = (await ch.assertQueue('', { exclusive: true })).queue;
      const q2 = (await ch.assertQueue('', { exclusive: true })).queue;
      await ch.bindQueue(q1, x, '');
      await ch.bindQueue(q2, x, '');
      const got1: string[] = [];
      const got2: string[] = [];
      await ch.consume(q1, (m) => m && got1.push(sha(m.content)), { noAck: true });
      const ackCh = await conn.createChannel();
      await ackCh.prefetch(3);
      await ackCh.consume(q2, (m) => {
        if (!m) return;
        got2.push(sha(m.content));
        ackCh.ack(m);
      });

      const sizes = [
        0,
        1,
        65535,
        65536,
        65537,
        FRAME_MAX - 8,
        FRAME_MAX - 7,
        3 * (FRAME_MAX - 8) + 5,
        1048576,
        1048576 - 64,
        1048576 + 17,
        3 * 1048576 + 1,
      ];
      // Each size several times: delivered bodies go back to the pool and are reused for later ones.
      const bodies = [...sizes, ...sizes, ...sizes].map((n) => randomBytes(n));
      const c = await RawClient.open(broker.port, broker.host, { frameMax: FRAME_MAX });
      try {
        await c.openChannel(1);
        const frames = Buffer.concat(bodies.map((b) => publishFrames(x, '', b)));
        const rnd = prng(7);
        for (let off = 0; off < frames.length;) {
          // Pieces from 1 byte to 300 KiB, so frame boundaries fall everywhere within reads.
          const n = Math.max(1, Math.floor(rnd() ** 3 * 300 * 1024));
          c.write(frames.subarray(off, off + n));
          off += n;
          if (rnd() < 0.3) await new Promise((r) => setTimeout(r, 1));
        }
        const want = bodies.map(sha);
        await waitFor(
          () => got1.length >= want.length && got2.length >= want.length,
          30_000,
          'every delivery',
        );
        assert.deepEqual(got1, want);
        assert.deepEqual(got2, want);
        assert.equal(c.closed, false);
      } finally {
        c.destroy();
      }
    } finally {
      await conn.close();
    }
  });

  test('a large body published to a queue without consumers and read back later is intact', async () => {
    const c = await RawClient.open(broker.port, broker.host, { frameMax: FRAME_MAX });
    const url = `amqp://guest:guest@${broker.host}:${broker.port}?frameMax=${FRAME_MAX}`;
    const conn = await amqp.connect(url);
    try {
      await c.openChannel(1);
      const q = `large-q-${randomBytes(4).toString('hex')}`;
      c.sendMethod(1, queueDeclareMethod(q, { autoDelete: false, exclusive: false }));
      await c.expectMethod('queue.declare-ok', 1);
      const bodies = [randomBytes(1048576), randomBytes(700_000), randomBytes(1048576)];
      for (const b of bodies) c.write(publishFrames('', q, b));
      const ch = await conn.createChannel();
      await waitFor(async () => (await ch.checkQueue(q)).messageCount === bodies.length, 10_000, 'the queue');
      // basic.get, then a consumer for the rest: both paths out of the queue.
      const first = await ch.get(q, { noAck: true });
      assert.ok(first);
      assert.equal(sha(first.content), sha(bodies[0] as Buffer));
      const rest: string[] = [];
      await ch.consume(q, (m) => m && rest.push(sha(m.content)), { noAck: true });
      await waitFor(() => rest.length === 2, 10_000, 'the consumer');
      assert.deepEqual(rest, bodies.slice(1).map(sha));
      await ch.deleteQueue(q);
    } finally {
      c.destroy();
      await conn.close();
    }
  });
});
