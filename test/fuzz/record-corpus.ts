/**
 * Records the fuzz seed corpus: real client sessions (amqplib here, pika through pika_session.py)
 * against an in-process Warren, through a TCP proxy that keeps every byte each client sent after its
 * protocol header. Each connection becomes one file in test/fuzz/corpus/. Run once, and again when
 * the protocol surface grows: `node dist/test/fuzz/record-corpus.js` (needs /usr/bin/python3 with
 * python3-pika).
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, connect, type Server } from 'node:net';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import amqp from 'amqplib';
import { Warren } from '../../src/index.js';
import { runMain } from '../reliability/main-guard.js';

const HERE = fileURLToPath(new URL('.', import.meta.url));
/** dist/test/fuzz -> test/fuzz: the corpus is source, not build output */
const CORPUS = join(HERE, '..', '..', '..', 'test', 'fuzz', 'corpus');
const PIKA = join(HERE, '..', '..', '..', 'test', 'fuzz', 'pika_session.py');

/** A proxy to `port` that hands each client stream (minus its 8-byte header) to `save` on close. */
function recordingProxy(port: number, save: (stream: Buffer) => void): Promise<Server> {
  const server = createServer((client) => {
    const chunks: Buffer[] = [];
    const upstream = connect({ port, host: '127.0.0.1' });
    client.on('data', (d: Buffer) => {
      chunks.push(d);
      upstream.write(d);
    });
    upstream.on('data', (d: Buffer) => client.write(d));
    const done = (): void => {
      client.destroy();
      upstream.destroy();
    };
    client.on('close', () => {
      done();
      const all = Buffer.concat(chunks);
      if (all.length > 8) save(all.subarray(8));
    });
    upstream.on('close', done);
    client.on('error', done);
    upstream.on('error', done);
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

async function amqplibSessions(url: string): Promise<void> {
  const headers = { int: 1, neg: -5, str: 'x', bool: true, list: [1, 'a', null], nested: { d: 1.5 } };
  // Consume with acks, nack, reject, recover, get, purge, delete.
  {
    const c = await amqp.connect(url);
    const ch = await c.createChannel();
    const { queue } = await ch.assertQueue('', { exclusive: true, arguments: { 'x-max-length': 100 } });
    await ch.prefetch(5);
    await ch.prefetch(50, true);
    for (let i = 0; i < 4; i++) {
      ch.sendToQueue(queue, Buffer.from(`m${i}`), {
        persistent: true,
        headers,
        priority: 1,
        contentType: 'application/json',
        contentEncoding: 'gzip',
        correlationId: 'c',
        replyTo: 'r',
        expiration: '10000',
        messageId: 'id',
        timestamp: 1700000000,
        type: 't',
        appId: 'a',
        userId: 'guest',
      });
    }
    let n = 0;
    const { consumerTag } = await ch.consume(queue, (m) => {
      if (!m) return;
      if (n === 0) ch.nack(m, false, true);
      else if (n === 1) ch.reject(m, true);
      else ch.ack(m);
      n++;
    });
    await new Promise((r) => setTimeout(r, 200));
    await ch.recover();
    await ch.cancel(consumerTag);
    const m = await ch.get(queue);
    if (m) ch.ack(m, true);
    await ch.purgeQueue(queue);
    await ch.deleteQueue(queue);
    await c.close();
  }
  // Confirms, every exchange type, bindings with arguments, mandatory returns.
  {
    const c = await amqp.connect(url);
    const ch = await c.createConfirmChannel();
    await ch.assertExchange('seed.fanout', 'fanout', { autoDelete: true });
    await ch.assertExchange('seed.headers', 'headers', {
      autoDelete: true,
      alternateExchange: 'seed.fanout',
    });
    await ch.assertExchange('seed.topic', 'topic', { autoDelete: true, arguments: { 'x-extra': 1 } });
    await ch.bindExchange('seed.topic', 'seed.headers', '', { 'x-match': 'all', a: 1 });
    const { queue } = await ch.assertQueue('', { exclusive: true, deadLetterExchange: 'seed.fanout' });
    await ch.bindQueue(queue, 'seed.topic', '#.x.*');
    ch.publish('seed.headers', 'k', Buffer.from('h'), { headers: { a: 1 } });
    ch.publish('seed.topic', 'nowhere', Buffer.alloc(3000, 0x61), { mandatory: true });
    await ch.waitForConfirms();
    await ch.unbindQueue(queue, 'seed.topic', '#.x.*');
    await ch.unbindExchange('seed.topic', 'seed.headers', '', { 'x-match': 'all', a: 1 });
    await ch.deleteExchange('seed.topic');
    await ch.checkExchange('seed.fanout');
    await c.close();
  }
}

runMain(async () => {
  const warren = await Warren.start({
    host: '127.0.0.1',
    port: 0,
    logLevel: 'warn',
    heartbeat: 0,
    managementPort: false,
    prometheusPort: false,
  });
  mkdirSync(CORPUS, { recursive: true });
  for (const f of readdirSync(CORPUS)) if (f.endsWith('.bin')) rmSync(join(CORPUS, f));
  let client = 'amqplib';
  let n = 0;
  const proxy = await recordingProxy(warren.port, (stream) => {
    const name = `${client}-${String(++n).padStart(2, '0')}.bin`;
    writeFileSync(join(CORPUS, name), stream);
    console.log(`${name}: ${stream.length} bytes`);
  });
  const port = (proxy.address() as { port: number }).port;
  await amqplibSessions(`amqp://guest:guest@127.0.0.1:${port}`);
  await new Promise((r) => setTimeout(r, 200));
  client = 'pika';
  n = 0;
  // Asynchronously: the proxy and the broker live in this process's event loop.
  await promisify(execFile)('/usr/bin/python3', [PIKA, String(port)]);
  await new Promise((r) => setTimeout(r, 200));
  proxy.close();
  await warren.close();
});
