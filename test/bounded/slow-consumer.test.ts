/**
 * A consumer that stops reading its socket must not grow broker memory. RabbitMQ 3.10 grows by about
 * 1 GB per 400 MB offered to such a consumer (its writer process buffers the deliveries); Warren stops
 * delivering once 1 MiB waits unsent for that socket, so the messages stay in the queue, on disk past
 * the paging budget.
 *
 * Measured from outside: the broker runs in its own process, and its resident memory is sampled while
 * 2 x 200 MB of persistent 32 KiB messages are offered. What the second 200 MB add must be small (paged
 * entries cost ~200 bytes each; 6,000 of them are ~1 MB), and the total stays far below what was
 * offered. Then the consumer reads again and gets every message, in order.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import amqp from 'amqplib';
import { RawClient } from '../helpers/raw-client.js';
import { spawnBroker, type BrokerProcess } from '../reliability/broker-process.js';

const MB = 1_000_000;
const BODY_BYTES = 32 * 1024;
const HALF = 200 * MB;

interface Offer {
  /** peak RSS while offering each half, bytes */
  peaks: [number, number];
  messages: number;
}

/** Publishes 2 x HALF bytes of numbered persistent messages to `queue`, sampling the broker's RSS. */
async function offer(broker: BrokerProcess, queue: string): Promise<Offer> {
  const conn = await amqp.connect(broker.url);
  try {
    const ch = await conn.createChannel();
    const perHalf = Math.ceil(HALF / BODY_BYTES);
    const peaks: [number, number] = [0, 0];
    let n = 0;
    for (const half of [0, 1] as const) {
      const timer = setInterval(() => (peaks[half] = Math.max(peaks[half], broker.rss())), 20);
      for (let i = 0; i < perHalf; i++) {
        const body = Buffer.alloc(BODY_BYTES, 0x62);
        body.writeUInt32BE(n++, 0);
        if (!ch.sendToQueue(queue, body, { persistent: true })) await new Promise((r) => ch.once('drain', r));
      }
      await ch.checkQueue(queue); // every publish before it was handled
      clearInterval(timer);
      peaks[half] = Math.max(peaks[half], broker.rss());
    }
    return { peaks, messages: n };
  } finally {
    await conn.close();
  }
}

describe('bounded memory: consumers that stop reading', () => {
  let dir = '';
  let broker: BrokerProcess | undefined;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'rel-slow-consumer-'));
    broker = await spawnBroker({ options: { dataDir: dir, heartbeat: 0 } });
  });
  after(async () => {
    await broker?.kill9();
    rmSync(dir, { recursive: true, force: true });
  });

  for (const consumers of [1, 20]) {
    test(`${consumers} consumer(s) with unlimited prefetch on one unread socket, 400 MB offered`, async (t) => {
      assert.ok(broker);
      const queue = `stuck-${consumers}`;
      const admin = await amqp.connect(broker.url);
      const ch = await admin.createChannel();
      await ch.assertQueue(queue, { durable: true });
      const c = await RawClient.open(broker.port);
      try {
        for (let i = 1; i <= consumers; i++) {
          await c.openChannel(i);
          c.sendMethod(i, {
            kind: 'basic.consume',
            queue,
            consumerTag: `c${i}`,
            noLocal: false,
            noAck: i % 2 === 0,
            exclusive: false,
            noWait: false,
            arguments: {},
          });
          await c.expectMethod('basic.consume-ok', i);
        }
        c.socket.pause();
        const base = broker.rss();
        const { peaks, messages } = await offer(broker, queue);
        const growth = peaks[1] - base;
        const secondHalf = peaks[1] - peaks[0];
        const report = `base ${(base / MB).toFixed(0)} MB, peaks ${(peaks[0] / MB).toFixed(0)} / ${(peaks[1] / MB).toFixed(0)} MB`;
        t.diagnostic(report);
        // The first half grows the working set (paging budget, store buffers, heap slack: 140 MB on
        // an idle machine, 250 MB on a busy one, where GC runs late); the second must add little.
        assert.ok(
          growth < 0.8 * 2 * HALF,
          `grew ${(growth / MB).toFixed(0)} MB for 400 MB offered (${report})`,
        );
        assert.ok(
          secondHalf < 0.3 * HALF,
          `the second 200 MB added ${(secondHalf / MB).toFixed(0)} MB (${report})`,
        );
        // Deliveries stopped at 1 MiB unsent, plus what the kernel's socket buffers on both ends took
        // (up to tcp_wmem + tcp_rmem, ~10 MB on Linux): the rest waits in the queue.
        const ready = (await ch.checkQueue(queue)).messageCount;
        const left = (messages - ready) * BODY_BYTES;
        assert.ok(left < 12 * MB, `${messages - ready} of ${messages} messages left the queue`);
        if (consumers === 1) {
          // Reading again, the consumer gets every message, in publishing order.
          c.socket.resume();
          for (let expected = 0; expected < messages; expected++) {
            const d = await c.nextFrame().catch((e: unknown) => {
              throw new Error(`delivery stalled at message ${expected} of ${messages}: ${String(e)}`);
            });
            if (d.method?.kind !== 'basic.deliver') {
              expected--;
              continue;
            }
            await c.nextFrame(); // content header
            const body = await c.nextFrame();
            assert.equal(body.payload.readUInt32BE(0), expected);
            if (expected % 1000 === 999 || expected === messages - 1)
              c.sendMethod(1, { kind: 'basic.ack', deliveryTag: d.method.deliveryTag, multiple: true });
          }
        }
      } finally {
        c.destroy();
        await ch.deleteQueue(queue).catch(() => {});
        await admin.close();
      }
    });
  }
});
