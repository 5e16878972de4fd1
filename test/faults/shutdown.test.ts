/**
 * Graceful shutdown under load: SIGTERM while publishers wait for confirms, consumers ack and a client
 * declares and deletes durable entities. Every client is told connection.close 320 (CONNECTION_FORCED),
 * the broker exits 0 within its grace period, and after a restart every confirmed message is there
 * unless it was acked, every durable entity answered with declare-ok exists, and nothing came twice.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import amqp from 'amqplib';
import { prng } from '../helpers/prng.js';
import { waitFor } from '../helpers/wait.js';
import { spawnBroker } from '../reliability/broker-process.js';
import { Ledger } from './ledger.js';
import { MARKERS, MixedLoad, WORK_QUEUES } from './mixed-load.js';

test('SIGTERM under load: 320 to every client, exit 0, no confirmed message lost', async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'rel-shutdown-'));
  const spec = { options: { dataDir, heartbeat: 0 } };
  try {
    let broker = await spawnBroker(spec);
    const setup = await amqp.connect(broker.url);
    const ch = await setup.createChannel();
    for (const q of WORK_QUEUES) await ch.assertQueue(q, { durable: true });
    await ch.assertQueue(MARKERS, { durable: true, arguments: { 'x-max-length': 10 } });
    await setup.close();

    const ledger = new Ledger();
    let id = 0;
    const load = new MixedLoad(broker.url, ledger, prng(7), () => id++, { next: 0 });
    await load.start();
    await new Promise((r) => setTimeout(r, 1000));
    const t0 = Date.now();
    const code = await broker.terminate();
    const tookMs = Date.now() - t0;
    await waitFor(
      () => load.closeCodes.length === load.connectionCount,
      5000,
      'every client to hear of the shutdown',
    ).catch((e: unknown) => {
      throw new Error(
        `${String(e)}: close codes ${JSON.stringify(load.closeCodes)} of ${load.connectionCount}, exit ${code}, ${broker.output()}`,
      );
    });
    await load.stop();
    t.diagnostic(
      `shutdown took ${tookMs} ms; ${load.counts.confirmed} confirmed, ${load.counts.acked} acked`,
    );
    assert.equal(code, 0);
    assert.ok(tookMs < 5000, `shutdown took ${tookMs} ms`);
    assert.deepEqual(load.closeCodes, Array(load.connectionCount).fill(320));
    assert.ok(load.counts.confirmed > 0);

    broker = await spawnBroker(spec);
    const check = await amqp.connect(broker.url);
    const cch = await check.createChannel();
    for (const [name, kind] of ledger.entities) {
      if (ledger.uncertain.has(name)) continue;
      if (kind === 'queue') await cch.checkQueue(name);
      else await cch.checkExchange(name);
    }
    const seen: number[] = [];
    for (const q of WORK_QUEUES) {
      for (;;) {
        const m = await cch.get(q, { noAck: true });
        if (m === false) break;
        seen.push(Number(m.content.toString()));
      }
    }
    await check.close();
    assert.deepEqual(ledger.checkDrained(seen), []);
    await broker.terminate();
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
});
