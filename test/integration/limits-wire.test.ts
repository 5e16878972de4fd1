/**
 * Connection limits on the wire, with the reply codes, texts and method ids RabbitMQ 3.13 uses
 * (checked against the reference broker with the same raw frames):
 *
 * - tune-ok asking for more than the server allows (or less than the protocol minimum, or 0 = "no
 *   limit" where the server has one) is refused with validate_negotiated_integer_value's text.
 *   RabbitMQ logs it and closes the socket silently after 3 s; Warren sends it in a 530 first.
 * - channel_max limits how many channels are open, not their numbers: 530 naming no method.
 * - frame_max: a payload of up to frame_max bytes is accepted (RabbitMQ's 8-byte fudge); one more
 *   is a 501 with RabbitMQ's frame_too_large text.
 * - max_message_size: 406 naming basic.publish; "configured max size" unless the 512 MiB hard cap
 *   is in force. Warren refuses from the content header, RabbitMQ once the body has arrived.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Warren } from '../../src/index.js';
import {
  bodyFrame,
  frame,
  headerFrame,
  methodFrame,
  PROTOCOL_HEADER,
  publishMethod,
  RawClient,
} from '../helpers/raw-client.js';

async function tuneWith(port: number, frameMax: number | undefined, channelMax: number | undefined) {
  const c = await RawClient.connect(port);
  c.write(PROTOCOL_HEADER);
  await c.expectMethod('connection.start', 0);
  c.sendMethod(0, {
    kind: 'connection.start-ok',
    clientProperties: {},
    mechanism: 'PLAIN',
    response: Buffer.from('\0guest\0guest'),
    locale: 'en_US',
  });
  const tune = await c.expectMethod('connection.tune', 0);
  c.sendMethod(0, {
    kind: 'connection.tune-ok',
    frameMax: frameMax ?? tune.frameMax,
    channelMax: channelMax ?? tune.channelMax,
    heartbeat: 0,
  });
  c.sendMethod(0, { kind: 'connection.open', virtualHost: '/' });
  return c;
}

async function startWith(options: { maxMessageSize?: number } = {}): Promise<Warren> {
  return Warren.start({ host: '127.0.0.1', port: 0, logLevel: 'silent', ...options });
}

describe('limits on the wire (default broker)', () => {
  let w: Warren;
  before(async () => {
    w = await startWith();
  });
  after(() => w.close());

  test('tune-ok outside the limits: 530 with validate_negotiated_integer_value text', async () => {
    const cases: Array<[number | undefined, number | undefined, string]> = [
      [1000, undefined, 'negotiated frame_max = 1000 is lower than the minimum allowed value (4096)'],
      [200000, undefined, 'negotiated frame_max = 200000 is higher than the maximum allowed value (131072)'],
      [0, undefined, 'negotiated frame_max = 0 is higher than the maximum allowed value (131072)'],
      [undefined, 5000, 'negotiated channel_max = 5000 is higher than the maximum allowed value (2047)'],
      [undefined, 0, 'negotiated channel_max = 0 (no limit) is higher than the maximum allowed value (2047)'],
    ];
    for (const [frameMax, channelMax, text] of cases) {
      const c = await tuneWith(w.port, frameMax, channelMax);
      try {
        const close = await c.expectConnectionClose(530);
        assert.equal(close.replyText, `NOT_ALLOWED - ${text}`);
        assert.deepEqual([close.classId, close.methodId], [10, 30], 'connection.tune');
      } finally {
        c.destroy();
      }
    }
  });

  test('the smallest limits the protocol allows are accepted', async () => {
    const c = await tuneWith(w.port, 4096, 1);
    try {
      await c.expectMethod('connection.open-ok', 0);
      await c.openChannel(1);
    } finally {
      c.destroy();
    }
  });

  test('channel_max counts open channels, not channel numbers', async () => {
    const c = await tuneWith(w.port, undefined, 2);
    try {
      await c.expectMethod('connection.open-ok', 0);
      await c.openChannel(7);
      await c.openChannel(1);
      c.sendMethod(3, { kind: 'channel.open' });
      const close = await c.expectConnectionClose(530);
      assert.equal(
        close.replyText,
        'NOT_ALLOWED - number of channels opened (2) has reached the negotiated channel_max (2)',
      );
      assert.deepEqual([close.classId, close.methodId], [0, 0]);
    } finally {
      c.destroy();
    }
  });

  test('a payload of exactly frame_max bytes is accepted, one more is a 501', async () => {
    const c = await RawClient.open(w.port);
    try {
      const frameMax = c.tune?.frameMax ?? 0;
      assert.equal(frameMax, 131072);
      await c.openChannel(1);
      const body = Buffer.alloc(frameMax, 0x61);
      c.write(Buffer.concat([methodFrame(1, publishMethod('', 'nowhere')), headerFrame(1, body.length)]));
      c.write(bodyFrame(1, body));
      c.sendMethod(1, { kind: 'basic.qos', prefetchSize: 0, prefetchCount: 1, global: false });
      await c.expectMethod('basic.qos-ok', 1);

      c.write(frame(3, 1, Buffer.alloc(frameMax + 1, 0x62)));
      const close = await c.expectConnectionClose(501);
      assert.equal(
        close.replyText,
        'FRAME_ERROR - type 3, all octets = <<>>: {frame_too_large,131073,131064}',
      );
    } finally {
      c.destroy();
    }
  });

  test('max_message_size 128 MiB by default: 406 naming basic.publish', async () => {
    const c = await RawClient.open(w.port);
    try {
      await c.openChannel(1);
      const size = 128 * 1024 * 1024 + 1;
      c.write(Buffer.concat([methodFrame(1, publishMethod('', 'nowhere')), headerFrame(1, size)]));
      const close = await c.expectChannelClose(1, 406);
      assert.equal(
        close.replyText,
        `PRECONDITION_FAILED - message size ${size} is larger than configured max size ${size - 1}`,
      );
      assert.deepEqual([close.classId, close.methodId], [60, 40]);
    } finally {
      c.destroy();
    }
  });
});

describe('max_message_size configured', () => {
  test('a small limit applies; the body frames that follow the refused header are dropped', async () => {
    const w = await startWith({ maxMessageSize: 1024 });
    const c = await RawClient.open(w.port);
    try {
      await c.openChannel(1);
      c.write(
        Buffer.concat([
          methodFrame(1, publishMethod('', 'nowhere')),
          headerFrame(1, 1025),
          bodyFrame(1, Buffer.alloc(1025)),
        ]),
      );
      const close = await c.expectChannelClose(1, 406);
      assert.equal(
        close.replyText,
        'PRECONDITION_FAILED - message size 1025 is larger than configured max size 1024',
      );
      await c.openChannel(2);
    } finally {
      c.destroy();
      await w.close();
    }
  });

  test('above 512 MiB it is capped there, and the text says "max size"', async () => {
    const w = await startWith({ maxMessageSize: 2 ** 40 });
    const c = await RawClient.open(w.port);
    try {
      await c.openChannel(1);
      const cap = 536870912;
      c.write(Buffer.concat([methodFrame(1, publishMethod('', 'nowhere')), headerFrame(1, cap + 1)]));
      const close = await c.expectChannelClose(1, 406);
      assert.equal(
        close.replyText,
        `PRECONDITION_FAILED - message size ${cap + 1} is larger than max size ${cap}`,
      );
    } finally {
      c.destroy();
      await w.close();
    }
  });
});
