/**
 * A client that ignores connection.blocked and keeps writing publishes, 1 MiB messages, trying to push
 * 200 MB. The broker stops reading its socket at the first content frame after the alarm, so the bytes
 * pile up in the kernel's socket buffers (then in the client's own), never in the broker: the broker
 * reads a few KB, its RSS stays flat, and no message reaches the queue. Lifting the alarm lets the
 * stream through again.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Warren } from '../../src/index.js';
import { uniqueName } from '../helpers/broker.js';
import {
  bodyFrame,
  headerFrame,
  methodFrame,
  publishMethod,
  queueDeclareMethod,
} from '../helpers/raw-client.js';
import { openRaw, serverConnection } from '../helpers/raw-blocked.js';
import { waitFor } from '../helpers/wait.js';

const MiB = 1024 * 1024;
const TARGET = 200 * MiB;

/** One publish of a 1 MiB body, framed for frame_max: method, header, then full body frames. */
function publishChunk(frameMax: number, queue: string): Buffer {
  const body = Buffer.alloc(MiB, 0x61);
  const parts = [methodFrame(1, publishMethod('', queue)), headerFrame(1, body.length)];
  const step = frameMax - 8;
  for (let at = 0; at < body.length; at += step) parts.push(bodyFrame(1, body.subarray(at, at + step)));
  return Buffer.concat(parts);
}

describe('a publisher that ignores connection.blocked', () => {
  let w: Warren;
  before(async () => {
    w = await Warren.start({
      host: '127.0.0.1',
      port: 0,
      logLevel: 'silent',
      memoryHighWatermark: { absolute: 1 },
    });
  });
  after(() => w.close());

  test('cannot grow broker memory: its bytes stay in TCP buffers', async () => {
    assert.deepEqual(w.broker.alarms.list(), ['memory']);
    const q = uniqueName('ignorer');
    const c = await openRaw(w.port, { name: 'ignorer' });
    try {
      await c.openChannel(1);
      c.sendMethod(1, queueDeclareMethod(q));
      await c.expectMethod('queue.declare-ok', 1);
      const chunk = publishChunk(c.tune?.frameMax ?? 131072, q);
      const rssBefore = process.memoryUsage.rss();
      let rssPeak = rssBefore;
      const sampler = setInterval(() => (rssPeak = Math.max(rssPeak, process.memoryUsage.rss())), 20);

      // Write as fast as the socket takes it; stop once it has taken nothing for a second.
      let offered = 0;
      const socket = c.socket;
      try {
        while (offered < TARGET) {
          offered += chunk.length;
          if (socket.write(chunk)) continue;
          const drained = await new Promise<boolean>((resolve) => {
            const t = setTimeout(() => resolve(false), 1000);
            socket.once('drain', () => {
              clearTimeout(t);
              resolve(true);
            });
          });
          if (!drained) break;
        }
      } finally {
        clearInterval(sampler);
      }
      const accepted = socket.bytesWritten - socket.writableLength;
      const server = serverConnection(w, 'ignorer');

      assert.ok(offered < TARGET, `the client stalled (offered ${offered} bytes)`);
      assert.ok(accepted < 32 * MiB, `the kernel took ${accepted} bytes`);
      assert.ok(server.bytesIn < 4 * MiB, `the broker read ${server.bytesIn} bytes`);
      const grown = rssPeak - rssBefore;
      assert.ok(grown < 64 * MiB, `RSS grew by ${Math.round(grown / MiB)} MiB`);
      assert.equal(server.blockState, 'blocked');
      const blocked = await c.expectMethod('connection.blocked', 0);
      assert.equal(blocked.reason, 'low on memory');
      const queue = w.broker.vhosts.get('/')?.queues.get(q);
      assert.equal(queue?.messageCount, 0, 'nothing reached the queue');

      // Lifted: the stream flows again.
      w.broker.setMemoryHighWatermark(0.4);
      await c.expectMethod('connection.unblocked', 0);
      await waitFor(() => (queue?.messageCount ?? 0) >= 1, 5000, 'messages after the alarm cleared');
    } finally {
      w.broker.setMemoryHighWatermark(0.4);
      c.destroy();
    }
    // And the broker still serves others.
    const other = await openRaw(w.port, { name: 'other' });
    try {
      await other.openChannel(1);
      other.sendMethod(1, { kind: 'basic.qos', prefetchSize: 0, prefetchCount: 1, global: false });
      await other.expectMethod('basic.qos-ok', 1);
    } finally {
      other.destroy();
    }
  });
});
