/**
 * Sizes a client announces but never sends: a frame of 4 GiB, a long string, table or array longer
 * than its frame, a message body of the maximum size that never arrives. The broker must answer from
 * the announcement alone (501 FRAME_ERROR, or simply wait for bytes that do not come) without ever
 * allocating for what was announced, and keep serving everyone else.
 *
 * RabbitMQ 3.10, for comparison: frame sizes over frame_max get 501 as here; a long string running
 * past its frame makes it drop the socket without a connection.close.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { uniqueName } from '../helpers/broker.js';
import { watch } from '../helpers/amqp.js';
import {
  PROTOCOL_HEADER,
  bodyFrame,
  frame,
  headerFrame,
  methodFrame,
  methodPayload,
  publishMethod,
  queueDeclareMethod,
} from '../helpers/raw-client.js';
import { waitFor } from '../helpers/wait.js';
import { peakGrowth, SKIP, useHostileBroker } from './harness.js';

const FRAME_METHOD = 1;
const MiB = 1024 * 1024;
/** far below anything proportional to the sizes announced here (4 GiB, 128 MiB) */
const GROWTH_LIMIT = 24 * MiB;

/** queue.declare whose arguments table is replaced by `table` (length prefix included) */
function declareWithArguments(table: Buffer): Buffer {
  const p = methodPayload(queueDeclareMethod('', { exclusive: true }));
  return frame(FRAME_METHOD, 1, Buffer.concat([p.subarray(0, p.length - 4), table]));
}

function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
}

describe('hostile clients: announced sizes are never allocated', { skip: SKIP }, () => {
  const h = useHostileBroker({ maxMessageSize: 128 * MiB });

  test('a 4 GiB frame right after the protocol header, before any handshake: 501', async () => {
    const c = await h.connect();
    const grown = await peakGrowth(async () => {
      c.write(Buffer.concat([PROTOCOL_HEADER, Buffer.from([FRAME_METHOD, 0, 0, 0xff, 0xff, 0xff, 0xff])]));
      for (let i = 0; i < 16; i++) c.write(Buffer.alloc(64 * 1024, 0x41));
      await c.expectMethod('connection.start', 0);
      await c.expectConnectionClose(501);
    });
    assert.ok(grown < GROWTH_LIMIT, `memory grew by ${grown} bytes`);
    await h.serves();
  });

  for (const [label, table] of [
    [
      'a long string announcing 4 GiB - 16',
      Buffer.concat([u32(7), Buffer.from([1, 0x61, 0x53]), u32(0xfffffff0)]),
    ],
    ['a field table announcing 4 GiB - 1', u32(0xffffffff)],
    [
      'a nested table announcing 2 GiB',
      Buffer.concat([u32(7), Buffer.from([1, 0x61, 0x46]), u32(0x80000000)]),
    ],
    ['an array announcing 1 GiB', Buffer.concat([u32(7), Buffer.from([1, 0x61, 0x41]), u32(0x40000000)])],
    ['a byte array announcing 3 GiB', Buffer.concat([u32(7), Buffer.from([1, 0x61, 0x78]), u32(0xc0000000)])],
  ] as const) {
    test(`${label} inside queue.declare arguments: 501, nothing allocated`, async () => {
      const c = await h.open();
      await c.openChannel(1);
      const grown = await peakGrowth(async () => {
        c.write(declareWithArguments(table));
        const close = await c.expectConnectionClose(501);
        assert.match(close.replyText, /^FRAME_ERROR - /);
      });
      assert.ok(grown < GROWTH_LIMIT, `memory grew by ${grown} bytes`);
      await h.serves();
    });
  }

  test('a short string announcing 255 bytes in a frame that has 3 left: 501', async () => {
    const c = await h.open();
    await c.openChannel(1);
    // queue.declare: class, method, reserved short, then the queue name's length octet and 3 bytes.
    const p = Buffer.from([0, 50, 0, 10, 0, 0, 255, 0x61, 0x62, 0x63]);
    c.write(frame(FRAME_METHOD, 1, p));
    await c.expectConnectionClose(501);
    await h.serves();
  });

  test('on 100 channels a body of the maximum size announced, 10 bytes sent: nothing allocated for it', async () => {
    const conn = await h.amqplib();
    const ch = watch(await conn.createChannel());
    const queue = uniqueName('announced-body');
    await ch.assertQueue(queue, { durable: false });
    try {
      const c = await h.open();
      for (let ch = 1; ch <= 101; ch++) await c.openChannel(ch);
      const grown = await peakGrowth(async () => {
        for (let ch = 1; ch <= 100; ch++) {
          c.write(
            Buffer.concat([
              methodFrame(ch, publishMethod('', queue)),
              headerFrame(ch, 128 * MiB),
              bodyFrame(ch, Buffer.alloc(10, 0x62)),
            ]),
          );
        }
        // The connection still answers on another channel while the others wait for their bodies.
        c.sendMethod(101, queueDeclareMethod(queue, { passive: true }));
        const ok = await c.expectMethod('queue.declare-ok', 101);
        assert.equal(ok.messageCount, 0);
        await h.serves();
      });
      assert.ok(grown < GROWTH_LIMIT, `memory grew by ${grown} bytes`);
      c.destroy();
      await c.waitClosed();
      await waitFor(() => h.broker.warren?.broker.connections.size === 1, 5000, 'the raw client to go');
      assert.equal((await ch.checkQueue(queue)).messageCount, 0, 'the unfinished publish was not enqueued');
    } finally {
      await ch.deleteQueue(queue);
    }
  });

  test('a 3 MiB body in frames of 100,000 bytes arrives byte for byte', async () => {
    // The body buffer grows with what arrives (channel.ts, BODY_AHEAD): 800,000 bytes, then the rest.
    const c = await h.open({ frameMax: 100_008 });
    await c.openChannel(1);
    c.sendMethod(1, queueDeclareMethod('', { exclusive: true }));
    const { queue } = await c.expectMethod('queue.declare-ok', 1);
    const body = Buffer.alloc(3 * MiB);
    for (let i = 0; i < body.length; i += 4) body.writeUInt32BE(i, i);
    const frames = [methodFrame(1, publishMethod('', queue)), headerFrame(1, body.length)];
    for (let at = 0; at < body.length; at += 100_000)
      frames.push(bodyFrame(1, body.subarray(at, at + 100_000)));
    c.write(Buffer.concat(frames));
    c.sendMethod(1, { kind: 'basic.get', queue, noAck: true });
    await c.expectMethod('basic.get-ok', 1);
    await c.nextFrame(); // content header
    const parts: Buffer[] = [];
    let got = 0;
    while (got < body.length) {
      const f = await c.nextFrame();
      parts.push(f.payload);
      got += f.payload.length;
    }
    assert.ok(Buffer.concat(parts).equals(body), 'the body came back different');
    await c.close();
  });

  test('a body size beyond 2^53 bytes: 501 from the content header alone', async () => {
    const c = await h.open();
    await c.openChannel(1);
    const header = headerFrame(1, 5);
    header.writeUInt32BE(0x7fffffff, 7 + 4); // the high half of the 64-bit body size
    c.write(Buffer.concat([methodFrame(1, publishMethod('', 'nowhere')), header]));
    await c.expectConnectionClose(501);
    await h.serves();
  });
});
