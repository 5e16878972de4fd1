/**
 * Clients that ask for output and never read it: pipelined basic.get, publishes on a confirm channel
 * whose acks are never read, a direct reply-to requester whose replies pile up, and consumers with
 * unlimited prefetch on a socket nobody reads. For each, the bytes waiting for that socket stay
 * bounded (src/amqp/input-hold.ts): the broker stops reading the client, stops delivering to it, or
 * drops the replies; what was not sent stays in its queue, and once the client reads again everything
 * it asked for arrives.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Connection } from '../../src/amqp/connection.js';
import { OUTPUT_HOLD_BYTES, REPLY_DROP_BYTES } from '../../src/amqp/input-hold.js';
import { watch } from '../helpers/amqp.js';
import { uniqueName } from '../helpers/broker.js';
import { methodFrame, type RawClient } from '../helpers/raw-client.js';
import { waitFor } from '../helpers/wait.js';
import { SKIP, useHostileBroker, withBystander, type HostileHarness } from './harness.js';

const MiB = 1024 * 1024;
const BODY = Buffer.alloc(8 * 1024, 0x6d);

/** Largest unsent output of any connection, sampled every 2 ms while `fn` runs. */
async function peakPending(h: HostileHarness, fn: () => Promise<void>): Promise<number> {
  let peak = 0;
  const sample = (): void => {
    for (const c of h.broker.warren?.broker.connections.values() ?? []) {
      if (c instanceof Connection) peak = Math.max(peak, c.out.pending);
    }
  };
  const timer = setInterval(sample, 2);
  try {
    await fn();
  } finally {
    clearInterval(timer);
  }
  sample();
  return peak;
}

/** Fills `queue` with `n` messages of BODY through amqplib. */
async function fill(h: HostileHarness, queue: string, n: number): Promise<void> {
  const conn = await h.amqplib();
  const ch = watch(await conn.createConfirmChannel());
  for (let i = 0; i < n; i++) ch.sendToQueue(queue, BODY);
  await ch.waitForConfirms();
}

/**
 * Waits until the broker has stopped taking in bytes from the raw clients (read everything, or
 * stopped reading) and stopped sending to them, for 300 ms in a row.
 */
async function settle(h: HostileHarness): Promise<void> {
  const traffic = (): number => {
    let n = 0;
    for (const c of h.broker.warren?.broker.connections.values() ?? []) {
      if (c instanceof Connection && c.clientProperties['product'] === 'warren-raw-tests')
        n += c.bytesIn + c.out.bytesOut;
    }
    return n;
  };
  let last = -1;
  let since = Date.now();
  await waitFor(
    () => {
      const now = traffic();
      if (now !== last) {
        last = now;
        since = Date.now();
      }
      return Date.now() - since >= 300;
    },
    20_000,
    'the broker to go quiet',
  );
}

describe('hostile clients: output nobody reads stays bounded', { skip: SKIP }, () => {
  const h = useHostileBroker();

  test('5,000 pipelined basic.get from a client that does not read', async () => {
    const N = 5000; // 40 MiB of messages
    const queue = uniqueName('get-flood');
    const admin = watch(await (await h.amqplib()).createChannel());
    await admin.assertQueue(queue, { durable: false });
    try {
      await fill(h, queue, N);
      const c = await h.open();
      await c.openChannel(1);
      c.socket.pause();
      const get = methodFrame(1, { kind: 'basic.get', queue, noAck: true });
      let stillQueued = 0;
      const report = await withBystander(h.broker.url, async () => {
        const peak = await peakPending(h, async () => {
          c.write(Buffer.concat(Array.from({ length: N }, () => get)));
          await settle(h);
        });
        assert.ok(
          peak < OUTPUT_HOLD_BYTES + 2 * BODY.length + 64 * 1024,
          `${peak} bytes waited for the socket`,
        );
        stillQueued = (await admin.checkQueue(queue)).messageCount;
      });
      assert.ok(stillQueued > N / 2, `only ${stillQueued} of ${N} messages were left in the queue`);
      assert.ok(report.worstMs < 1000, `bystander round trip took ${report.worstMs.toFixed(0)} ms`);
      c.socket.resume();
      await expectGets(c, N);
      assert.equal((await admin.checkQueue(queue)).messageCount, 0);
    } finally {
      await admin.deleteQueue(queue);
    }
  });

  test('50,000 confirmed publishes whose confirms are never read', async () => {
    const N = 50_000;
    const c = await h.open();
    await c.openChannel(1);
    c.sendMethod(1, { kind: 'confirm.select', nowait: false });
    await c.expectMethod('confirm.select-ok', 1);
    c.socket.pause();
    // Unroutable and mandatory: every publish earns a basic.return with its body, then an ack.
    const one = Buffer.concat([
      methodFrame(1, {
        kind: 'basic.publish',
        exchange: '',
        routingKey: 'nowhere',
        mandatory: true,
        immediate: false,
      }),
      Buffer.from([2, 0, 1, 0, 0, 0, 14, 0, 60, 0, 0, 0, 0, 0, 0, 0, 0, 0, 64, 0, 0, 0xce]),
      Buffer.concat([Buffer.from([3, 0, 1, 0, 0, 0, 64]), Buffer.alloc(64, 0x72), Buffer.from([0xce])]),
    ]);
    const peak = await peakPending(h, async () => {
      for (let i = 0; i < N; i += 10_000) c.write(Buffer.concat(Array.from({ length: 10_000 }, () => one)));
      await settle(h);
    });
    assert.ok(peak < OUTPUT_HOLD_BYTES + 256 * 1024, `${peak} bytes waited for the socket`);
    c.socket.resume();
    let acked = 0;
    while (acked < N) {
      const f = await c.nextFrame();
      if (f.method?.kind === 'basic.ack') acked = f.method.multiple ? f.method.deliveryTag : acked + 1;
    }
    assert.equal(acked, N);
    await c.close();
  });

  test('a direct reply-to requester that stops reading: replies past the limit are dropped', async () => {
    const c = await h.open();
    await c.openChannel(1);
    c.sendMethod(1, {
      kind: 'basic.consume',
      queue: 'amq.rabbitmq.reply-to',
      consumerTag: 'replies',
      noLocal: false,
      noAck: true,
      exclusive: false,
      noWait: false,
      arguments: {},
    });
    await c.expectMethod('basic.consume-ok', 1);
    // The request tells the replier the address, as an RPC client's would.
    const server = watch(await (await h.amqplib()).createChannel());
    const rpc = (await server.assertQueue('', { exclusive: true })).queue;
    c.publish(1, '', rpc, Buffer.from('request'), { replyTo: 'amq.rabbitmq.reply-to' });
    let address = '';
    await waitFor(async () => {
      const m = await server.get(rpc, { noAck: true });
      if (m !== false) address = String(m.properties.replyTo);
      return m !== false;
    });
    assert.match(address, /^amq\.rabbitmq\.reply-to\./);
    c.socket.pause();
    const N = 3000; // 24 MiB of replies, half again the drop limit
    const peak = await peakPending(h, async () => {
      for (let i = 0; i < N; i++) {
        if (!server.sendToQueue(address, BODY)) await new Promise((r) => server.once('drain', r));
      }
      await settle(h);
    });
    assert.ok(peak < REPLY_DROP_BYTES + 2 * BODY.length + 64 * 1024, `${peak} bytes waited for the socket`);
    c.socket.resume();
    let replies = 0;
    for (;;) {
      let f;
      try {
        f = await c.nextFrame(1000);
      } catch {
        break;
      }
      if (f.method?.kind === 'basic.deliver') replies++;
    }
    assert.ok(replies > 0 && replies < N, `${replies} of ${N} replies arrived`);
    await c.close();
  });

  test('50 consumers with unlimited prefetch on one socket nobody reads', async () => {
    const N = 8000; // 64 MiB
    const queue = uniqueName('stuck-consumers');
    const admin = watch(await (await h.amqplib()).createChannel());
    await admin.assertQueue(queue, { durable: false });
    try {
      const c = await h.open();
      for (let ch = 1; ch <= 50; ch++) {
        await c.openChannel(ch);
        c.sendMethod(ch, {
          kind: 'basic.consume',
          queue,
          consumerTag: `c${ch}`,
          noLocal: false,
          noAck: ch % 2 === 0,
          exclusive: false,
          noWait: false,
          arguments: {},
        });
        await c.expectMethod('basic.consume-ok', ch);
      }
      c.socket.pause();
      const peak = await peakPending(h, async () => {
        await fill(h, queue, N);
        await settle(h);
      });
      // Deliveries stop at 1 MiB unsent (WRITE_HIGH_WATER), one message over at most.
      assert.ok(peak < MiB + 2 * BODY.length + 64 * 1024, `${peak} bytes waited for the socket`);
      const q = await admin.checkQueue(queue);
      assert.ok(q.messageCount > N - 1000, `only ${q.messageCount} of ${N} stayed in the queue`);
      c.socket.resume();
      let delivered = 0;
      while (delivered < N) {
        const f = await c.nextFrame();
        if (f.method?.kind === 'basic.deliver') {
          delivered++;
          if (f.channel % 2 === 1)
            c.sendMethod(f.channel, {
              kind: 'basic.ack',
              deliveryTag: f.method.deliveryTag,
              multiple: false,
            });
        }
      }
      assert.equal(delivered, N);
      await c.close();
    } finally {
      await admin.deleteQueue(queue);
    }
  });
});

describe('consumers whose socket was full', { skip: SKIP }, () => {
  const h = useHostileBroker();

  test('a no-ack consumer gets every message once it reads again, with no ack to wake the queue', async () => {
    // Deliveries stop while 1 MiB waits unsent. When the kernel takes a whole flush at once, Node emits
    // no 'drain'; the outbox must say there is room anyway, or delivery stalls for good (it did).
    const N = 4000; // 32 MiB
    const queue = uniqueName('no-ack-resume');
    const admin = watch(await (await h.amqplib()).createChannel());
    await admin.assertQueue(queue, { durable: false });
    try {
      const c = await h.open();
      await c.openChannel(1);
      c.sendMethod(1, {
        kind: 'basic.consume',
        queue,
        consumerTag: 'c',
        noLocal: false,
        noAck: true,
        exclusive: false,
        noWait: false,
        arguments: {},
      });
      await c.expectMethod('basic.consume-ok', 1);
      c.socket.pause();
      await fill(h, queue, N);
      await settle(h);
      c.socket.resume();
      let delivered = 0;
      while (delivered < N) {
        const f = await c.nextFrame().catch((e: unknown) => {
          throw new Error(`delivery stalled after ${delivered} of ${N}: ${String(e)}`);
        });
        if (f.method?.kind === 'basic.deliver') delivered++;
      }
      await c.close();
    } finally {
      await admin.deleteQueue(queue);
    }
  });
});

/** Reads basic.get-ok (and its content) until `n` gets were answered, none of them empty. */
async function expectGets(c: RawClient, n: number): Promise<void> {
  let answered = 0;
  while (answered < n) {
    const f = await c.nextFrame();
    if (f.method?.kind === 'basic.get-empty') assert.fail(`get ${answered + 1} found the queue empty`);
    if (f.method?.kind === 'basic.get-ok') answered++;
  }
}
