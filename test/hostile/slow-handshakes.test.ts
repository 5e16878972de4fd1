/**
 * Clients that dawdle through the opening handshake, hundreds at once: silent sockets, a protocol
 * header trickled a byte at a time, and clients that stop after the header, after start-ok, or after
 * tune-ok. Every one of them is cut at the handshake timeout, none of them holds a file descriptor
 * afterwards, and while they hang around a real client connects and round-trips messages without
 * noticeable delay.
 */
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { describe, test } from 'node:test';
import amqp from 'amqplib';
import { SOCKET_OPTIONS, watch } from '../helpers/amqp.js';
import { PROTOCOL_HEADER, type RawClient } from '../helpers/raw-client.js';
import { SKIP, useHostileBroker, withBystander } from './harness.js';

const TIMEOUT_MS = 1000;
const DAWDLERS = 300;

type Stall = 'silent' | 'trickle' | 'after-header' | 'after-start-ok' | 'after-tune-ok';
const STALLS: readonly Stall[] = ['silent', 'trickle', 'after-header', 'after-start-ok', 'after-tune-ok'];

const openFds = (): number => readdirSync('/proc/self/fd').length;

/** Drives `c` through the handshake up to `stall`, then leaves it hanging. */
async function dawdle(c: RawClient, stall: Stall): Promise<void> {
  if (stall === 'silent') return;
  if (stall === 'trickle') {
    // One byte every 200 ms: the header would be complete after 1.6 s, past the timeout.
    for (const b of PROTOCOL_HEADER) {
      if (c.closed) return;
      c.write(Buffer.from([b]));
      await new Promise((r) => setTimeout(r, 200));
    }
    return;
  }
  c.write(PROTOCOL_HEADER);
  await c.expectMethod('connection.start', 0);
  if (stall === 'after-header') return;
  c.sendMethod(0, {
    kind: 'connection.start-ok',
    clientProperties: {},
    mechanism: 'PLAIN',
    response: Buffer.from('\0guest\0guest'),
    locale: 'en_US',
  });
  const tune = await c.expectMethod('connection.tune', 0);
  if (stall === 'after-start-ok') return;
  c.sendMethod(0, {
    kind: 'connection.tune-ok',
    channelMax: tune.channelMax,
    frameMax: tune.frameMax,
    heartbeat: 0,
  });
}

describe('hostile clients: slow handshakes', { skip: SKIP }, () => {
  const h = useHostileBroker({ handshakeTimeoutMs: TIMEOUT_MS });

  test(`${DAWDLERS} dawdling handshakes are all cut at the timeout; a real client is served meanwhile`, async () => {
    const fdsBefore = openFds();
    const dawdlers: RawClient[] = [];
    let connectMs = 0;
    const report = await withBystander(h.broker.url, async () => {
      const t0 = Date.now();
      for (let i = 0; i < DAWDLERS; i += 50) {
        dawdlers.push(...(await Promise.all(Array.from({ length: 50 }, () => h.connect()))));
      }
      const stalls = dawdlers.map((c, i) => dawdle(c, STALLS[i % STALLS.length] as Stall).catch(() => {}));
      // A real client arriving in the middle of the crowd completes its handshake promptly.
      const c0 = Date.now();
      const conn = watch(await amqp.connect(h.broker.url, SOCKET_OPTIONS));
      connectMs = Date.now() - c0;
      await conn.close();
      await Promise.all(stalls);
      await Promise.all(dawdlers.map((c) => c.waitClosed(TIMEOUT_MS + 3000)));
      const elapsed = Date.now() - t0;
      assert.ok(elapsed < TIMEOUT_MS + 4000, `the last dawdler went after ${elapsed} ms`);
    });
    assert.ok(connectMs < 1000, `a real client took ${connectMs} ms to connect among the dawdlers`);
    assert.ok(report.roundTrips >= 10, `the bystander managed only ${report.roundTrips} round trips`);
    assert.ok(
      report.worstMs < 1000,
      `the bystander's slowest round trip took ${report.worstMs.toFixed(0)} ms`,
    );
    // Nothing a dawdler ever sent got further than the handshake.
    for (const c of dawdlers) assert.ok(c.closed);
    // Each dawdler held a socket on both ends of this process; all of them are gone.
    const leaked = openFds() - fdsBefore;
    assert.ok(leaked < 10, `${leaked} file descriptors more than before`);
    await h.serves();
  });
});
