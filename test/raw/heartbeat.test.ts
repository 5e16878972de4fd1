/**
 * Heartbeats are sent and checked: with a 1 s interval the broker sends heartbeat frames while it has
 * nothing else to say, and drops a client that stays silent for two intervals.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { FRAME_HEARTBEAT } from '../../src/protocol/generated/methods.js';
import { startBroker, type TestBroker } from '../helpers/broker.js';
import { RawClient, heartbeatFrame } from '../helpers/raw-client.js';

describe('heartbeats', () => {
  let broker: TestBroker;
  before(async () => {
    broker = await startBroker();
  });
  after(() => broker.close());

  test('the broker sends heartbeats on an idle connection', async () => {
    const c = await RawClient.open(broker.port, broker.host, { heartbeat: 1 });
    try {
      // Keep our side alive while we wait for the broker's beats.
      const beat = setInterval(() => c.write(heartbeatFrame()), 400);
      try {
        const f = await c.nextFrame(3000);
        assert.equal(f.type, FRAME_HEARTBEAT);
        assert.equal(f.channel, 0);
      } finally {
        clearInterval(beat);
      }
    } finally {
      c.destroy();
    }
  });

  test('a client silent for two intervals is disconnected', async () => {
    const c = await RawClient.open(broker.port, broker.host, { heartbeat: 1 });
    const started = Date.now();
    await c.waitClosed(6000);
    const waited = Date.now() - started;
    assert.ok(c.closed, 'the broker closed the socket');
    assert.ok(waited >= 1500, `not before two intervals had passed (closed after ${waited} ms)`);
  });

  test('a client that sends heartbeats stays connected past two intervals', async () => {
    const c = await RawClient.open(broker.port, broker.host, { heartbeat: 1 });
    const beat = setInterval(() => c.write(heartbeatFrame()), 400);
    try {
      await new Promise((r) => setTimeout(r, 2600));
      assert.equal(c.closed, false);
    } finally {
      clearInterval(beat);
      c.destroy();
    }
  });
});
