/**
 * Field-table numbers the broker must re-encode: a double holding an integer past 2^63 decodes to a JS
 * number that once re-encoded as a 64-bit long and threw. Found by the fuzzer (test/fuzz/regressions):
 * a message carrying such a header in a delivery-limited queue made every redelivery (which re-encodes
 * the headers to add x-delivery-count) close the consumer's connection with 541, for ever; a durable
 * queue declared with such an argument closed the connection with 541 after the queue had been
 * created in memory but not on disk.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
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
import { SKIP, useHostileBroker } from './harness.js';

const FRAME_METHOD = 1;
const FRAME_HEADER = 2;

/** `bytes` with the first double (type octet 'd', value 1.5) set to 1e300. */
function withHugeDouble(bytes: Buffer): Buffer {
  const b = Buffer.from(bytes);
  const marker = Buffer.alloc(9);
  marker[0] = 0x64;
  marker.writeDoubleBE(1.5, 1);
  const i = b.indexOf(marker);
  assert.ok(i >= 0, 'no double 1.5 to replace');
  b.writeDoubleBE(1e300, i + 1);
  return b;
}

const dir = mkdtempSync(join(tmpdir(), 'rel-numbers-'));
after(() => rmSync(dir, { recursive: true, force: true }));

describe('hostile clients: doubles too large for a long', { skip: SKIP }, () => {
  const h = useHostileBroker({ dataDir: dir });

  test('a header of 1e300 in a delivery-limited queue survives redeliveries', async () => {
    const ch = watch(await (await h.amqplib()).createChannel());
    const queue = uniqueName('huge-double');
    await ch.assertQueue(queue, { durable: false, arguments: { 'x-delivery-limit': 5 } });
    try {
      const c = await h.open();
      await c.openChannel(1);
      c.write(
        Buffer.concat([
          methodFrame(1, publishMethod('', queue)),
          frame(FRAME_HEADER, 1, withHugeDouble(headerPayload(1, { headers: { x: 1.5 } }))),
          bodyFrame(1, Buffer.from('x')),
        ]),
      );
      const counts: unknown[] = [];
      await new Promise<void>((resolve, reject) => {
        ch.on('close', () => reject(new Error('the consumer channel closed')));
        void ch.consume(queue, (m) => {
          if (!m) return;
          assert.equal(m.properties.headers?.['x'], 1e300);
          counts.push(m.properties.headers?.['x-delivery-count']);
          if (counts.length < 3) ch.nack(m, false, true);
          else {
            ch.ack(m);
            resolve();
          }
        });
      });
      assert.deepEqual(counts, [undefined, 1, 2]);
      await c.close();
    } finally {
      await ch.deleteQueue(queue);
    }
  });

  test('a durable queue declared with an argument of 1e300 is declared', async () => {
    const c = await h.open();
    await c.openChannel(1);
    const queue = uniqueName('huge-double-arg');
    const declare = methodPayload(
      queueDeclareMethod(queue, { durable: true, arguments: { 'x-custom': 1.5 } }),
    );
    c.write(frame(FRAME_METHOD, 1, withHugeDouble(declare)));
    await c.expectMethod('queue.declare-ok', 1);
    c.sendMethod(1, { kind: 'queue.delete', queue, ifUnused: false, ifEmpty: false, noWait: false });
    await c.expectMethod('queue.delete-ok', 1);
    await c.close();
  });
});
