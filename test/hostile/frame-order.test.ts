/**
 * Frames in the wrong place: content for channels never opened or already closed, content frames out
 * of order, methods on closed channels, and channel numbers far above channel_max. Reply codes and
 * texts are RabbitMQ 3.10's, checked by hand against it; the legal case of content interleaved across
 * two channels must keep working.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  bodyFrame,
  headerFrame,
  methodFrame,
  publishMethod,
  queueDeclareMethod,
} from '../helpers/raw-client.js';
import { SKIP, useHostileBroker } from './harness.js';

const EXPECTED_METHOD = 'UNEXPECTED_FRAME - expected method frame, got non method frame instead';

describe('hostile clients: frames out of order', { skip: SKIP }, () => {
  const h = useHostileBroker();

  for (const [label, bytes] of [
    ['a content header', headerFrame(7, 1)],
    ['a content body', bodyFrame(7, Buffer.from('x'))],
  ] as const) {
    test(`${label} on a channel never opened: 505`, async () => {
      const c = await h.open();
      c.write(bytes);
      const close = await c.expectConnectionClose(505);
      assert.equal(close.replyText, EXPECTED_METHOD);
      await h.serves();
    });
  }

  test('a body where the content header belongs: 505', async () => {
    const c = await h.open();
    await c.openChannel(1);
    c.write(Buffer.concat([methodFrame(1, publishMethod('', 'nowhere')), bodyFrame(1, Buffer.from('x'))]));
    const close = await c.expectConnectionClose(505);
    assert.equal(
      close.replyText,
      'UNEXPECTED_FRAME - expected content header for class 60, got non content header frame instead',
    );
    await h.serves();
  });

  test('a second content header where the body belongs: 505', async () => {
    const c = await h.open();
    await c.openChannel(1);
    c.write(
      Buffer.concat([methodFrame(1, publishMethod('', 'nowhere')), headerFrame(1, 1), headerFrame(1, 1)]),
    );
    const close = await c.expectConnectionClose(505);
    assert.equal(
      close.replyText,
      'UNEXPECTED_FRAME - expected content body, got non content body frame instead',
    );
    await h.serves();
  });

  test('content on a channel the client closed: 505', async () => {
    const c = await h.open();
    await c.openChannel(1);
    c.sendMethod(1, { kind: 'channel.close', replyCode: 200, replyText: '', classId: 0, methodId: 0 });
    await c.expectMethod('channel.close-ok', 1);
    c.write(Buffer.concat([headerFrame(1, 1), bodyFrame(1, Buffer.from('x'))]));
    const close = await c.expectConnectionClose(505);
    assert.equal(close.replyText, EXPECTED_METHOD);
    await h.serves();
  });

  test('a method on a channel the client closed: 504', async () => {
    const c = await h.open();
    await c.openChannel(1);
    c.sendMethod(1, { kind: 'channel.close', replyCode: 200, replyText: '', classId: 0, methodId: 0 });
    await c.expectMethod('channel.close-ok', 1);
    c.sendMethod(1, { kind: 'basic.qos', prefetchSize: 0, prefetchCount: 1, global: false });
    const close = await c.expectConnectionClose(504);
    assert.match(close.replyText, /^CHANNEL_ERROR - expected 'channel.open'/);
    await h.serves();
  });

  test('a whole publish after the broker closed the channel is ignored until close-ok', async () => {
    const c = await h.open();
    await c.openChannel(1);
    c.sendMethod(1, queueDeclareMethod('no-such-queue-here', { passive: true }));
    c.write(
      Buffer.concat([
        methodFrame(1, publishMethod('', 'x')),
        headerFrame(1, 1),
        bodyFrame(1, Buffer.from('x')),
      ]),
    );
    await c.expectChannelClose(1, 404);
    // The connection is fine: the channel number can be opened again.
    await c.openChannel(1);
    c.sendMethod(1, queueDeclareMethod('', { exclusive: true }));
    await c.expectMethod('queue.declare-ok', 1);
    await c.close();
  });

  test('content interleaved across two channels is legal and both messages arrive whole', async () => {
    const c = await h.open();
    await c.openChannel(1);
    await c.openChannel(2);
    c.sendMethod(1, queueDeclareMethod('', { exclusive: true }));
    const { queue } = await c.expectMethod('queue.declare-ok', 1);
    c.write(
      Buffer.concat([
        methodFrame(1, publishMethod('', queue)),
        methodFrame(2, publishMethod('', queue)),
        headerFrame(2, 2),
        headerFrame(1, 2),
        bodyFrame(1, Buffer.from('a')),
        bodyFrame(2, Buffer.from('b')),
        bodyFrame(2, Buffer.from('B')),
        bodyFrame(1, Buffer.from('A')),
      ]),
    );
    const bodies: string[] = [];
    for (let i = 0; i < 2; i++) {
      c.sendMethod(1, { kind: 'basic.get', queue, noAck: true });
      await c.expectMethod('basic.get-ok', 1);
      await c.nextFrame(); // content header
      bodies.push((await c.nextFrame()).payload.toString());
    }
    assert.deepEqual(bodies.sort(), ['aA', 'bB']);
    await c.close();
  });

  test('channel numbers above channel_max open as on RabbitMQ (the limit counts channels)', async () => {
    const c = await h.open();
    assert.ok((c.tune?.channelMax ?? 0) < 65535);
    await c.openChannel(65535);
    c.sendMethod(65535, queueDeclareMethod('', { exclusive: true }));
    await c.expectMethod('queue.declare-ok', 65535);
    await c.close();
  });
});
