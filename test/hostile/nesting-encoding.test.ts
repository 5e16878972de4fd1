/**
 * Field tables nested thousands deep and short strings that are not UTF-8.
 *
 * Nesting: the decoder recurses once per level, so a deep enough table would overflow the stack (a
 * RangeError, i.e. a 541 and a confused connection) if nothing stopped it. Warren refuses nesting past
 * 100 levels with 501; RabbitMQ 3.10 accepts even 3,000 levels (Erlang recursion is cheap), so legit
 * clients are unaffected as long as they stay far below 100, which this file also checks.
 *
 * UTF-8: compared by hand with RabbitMQ 3.10. Queue and exchange names and consumer tags that are not
 * UTF-8 get 501 "Malformed UTF-8 in shortstr" on both. RabbitMQ also accepts any bytes in a routing
 * key and in content properties (content-type, header keys); Warren refuses them with 501 too. It
 * keeps these as strings and re-encodes properties (x-delivery-count on redelivery, dead-lettering,
 * direct reply-to): a string that is not UTF-8 would come out different, or, decoded lossily, too
 * long to encode at all (the fuzzer found that: test/fuzz/regressions/properties-369cf8ad12569fe8).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { watch } from '../helpers/amqp.js';
import { uniqueName } from '../helpers/broker.js';
import {
  bodyFrame,
  frame,
  headerPayload,
  methodFrame,
  methodPayload,
  publishMethod,
  queueDeclareMethod,
} from '../helpers/raw-client.js';
import type * as M from '../../src/protocol/generated/methods.js';
import { nestedTable, SKIP, useHostileBroker } from './harness.js';

const FRAME_METHOD = 1;
const FRAME_HEADER = 2;

/** queue.declare (exclusive, server-named) with `table` as its arguments */
function declareWithArguments(table: Buffer): Buffer {
  const p = methodPayload(queueDeclareMethod('', { exclusive: true }));
  return frame(FRAME_METHOD, 1, Buffer.concat([p.subarray(0, p.length - 4), table]));
}

/** The encoded method with the bytes of the marker "XXXX" replaced by 0xFF (never valid UTF-8). */
function withInvalidUtf8(bytes: Buffer): Buffer {
  const b = Buffer.from(bytes);
  const i = b.indexOf('XXXX');
  assert.ok(i >= 0, 'marker not found');
  b.fill(0xff, i, i + 4);
  return b;
}

describe('hostile clients: deep nesting', { skip: SKIP }, () => {
  const h = useHostileBroker();

  for (const type of ['F', 'A'] as const) {
    const what = type === 'F' ? 'tables' : 'arrays';
    test(`${what} nested 5,000 deep in method arguments: 501, no stack overflow`, async () => {
      const c = await h.open();
      await c.openChannel(1);
      c.write(declareWithArguments(nestedTable(5000, type)));
      const close = await c.expectConnectionClose(501);
      assert.match(close.replyText, /nested too deeply/);
      await h.serves();
    });

    test(`${what} nested 50 deep are accepted`, async () => {
      const c = await h.open();
      await c.openChannel(1);
      c.write(declareWithArguments(nestedTable(50, type)));
      await c.expectMethod('queue.declare-ok', 1);
      await c.close();
    });
  }

  test('a headers property nested 5,000 deep: 501, and nothing is enqueued', async () => {
    const conn = await h.amqplib();
    const ch = watch(await conn.createChannel());
    const queue = uniqueName('nested-headers');
    await ch.assertQueue(queue, { durable: false });
    try {
      const c = await h.open();
      await c.openChannel(1);
      // Property flags 0x2000: headers only, followed by the table.
      const props = Buffer.concat([
        headerPayload(1).subarray(0, 12),
        Buffer.from([0x20, 0x00]),
        nestedTable(5000),
      ]);
      c.write(
        Buffer.concat([
          methodFrame(1, publishMethod('', queue)),
          frame(FRAME_HEADER, 1, props),
          bodyFrame(1, Buffer.from('x')),
        ]),
      );
      await c.expectConnectionClose(501);
      assert.equal((await ch.checkQueue(queue)).messageCount, 0);
    } finally {
      await ch.deleteQueue(queue);
    }
    await h.serves();
  });
});

describe('hostile clients: short strings that are not UTF-8', { skip: SKIP }, () => {
  const h = useHostileBroker();

  const refused: [string, M.Method][] = [
    [
      'an exchange name',
      {
        kind: 'exchange.declare',
        exchange: 'XXXX',
        type: 'direct',
        passive: false,
        durable: false,
        autoDelete: true,
        internal: false,
        noWait: false,
        arguments: {},
      },
    ],
    ['a routing key', publishMethod('', 'XXXX')],
    [
      'a consumer tag',
      {
        kind: 'basic.consume',
        queue: '',
        consumerTag: 'XXXX',
        noLocal: false,
        noAck: true,
        exclusive: false,
        noWait: false,
        arguments: {},
      },
    ],
    ['a key of the arguments table', queueDeclareMethod('', { exclusive: true, arguments: { XXXX: 1 } })],
  ];
  for (const [label, method] of refused) {
    test(`${label}: 501 "Malformed UTF-8 in shortstr"`, async () => {
      const c = await h.open();
      await c.openChannel(1);
      c.write(withInvalidUtf8(methodFrame(1, method)));
      const close = await c.expectConnectionClose(501);
      assert.equal(close.replyText, 'FRAME_ERROR - Malformed UTF-8 in shortstr');
      await h.serves();
    });
  }

  for (const [label, props] of [
    ['a content-type', { contentType: 'XXXX' }],
    ['a header key', { headers: { XXXX: 1 } }],
  ] as const) {
    test(`${label} that is not UTF-8: 501, and nothing is enqueued`, async () => {
      const conn = await h.amqplib();
      const ch = watch(await conn.createChannel());
      const queue = uniqueName('latin1-props');
      await ch.assertQueue(queue, { durable: false });
      try {
        const c = await h.open();
        await c.openChannel(1);
        c.write(
          Buffer.concat([
            methodFrame(1, publishMethod('', queue)),
            frame(FRAME_HEADER, 1, withInvalidUtf8(headerPayload(4, props))),
            bodyFrame(1, Buffer.from('body')),
          ]),
        );
        const close = await c.expectConnectionClose(501);
        assert.equal(close.replyText, 'FRAME_ERROR - Malformed UTF-8 in shortstr');
        assert.equal((await ch.checkQueue(queue)).messageCount, 0);
      } finally {
        await ch.deleteQueue(queue);
      }
    });
  }
});
