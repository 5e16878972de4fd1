/**
 * The body pool and the hold counting on Message that decides when a large body's memory may be
 * reused: only once every queue entry and socket write holding it is done, never after anything read
 * the body, and never after a failed write. What is given back is detached, so a view kept by mistake
 * reads as empty instead of as the next message.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { POOLED_BODY_MIN, freeBodyBytes, giveBody, takeBody } from '../../src/core/body-pool.js';
import { Message } from '../../src/core/message.js';

const PROPS = Buffer.from([0, 0]);

function pooledMessage(size = POOLED_BODY_MIN): { msg: Message; body: Buffer } {
  const body = takeBody(size);
  body.fill(0x5a);
  const msg = new Message('', 'q', PROPS, body);
  msg.fromPool();
  return { msg, body };
}

test('a pooled body goes back once its entry and its write are both done, detached', () => {
  const { msg, body } = pooledMessage();
  const before = freeBodyBytes();
  assert.equal(msg.holdForEntry(), true);
  const lent = msg.lend();
  assert.equal(lent, body);
  msg.entryGone();
  assert.equal(freeBodyBytes(), before, 'still held by the write');
  msg.release(true, true);
  assert.equal(freeBodyBytes(), before + POOLED_BODY_MIN);
  assert.equal(body.length, 0, 'the old view is detached');
  // The next take reuses that memory.
  const again = takeBody(POOLED_BODY_MIN);
  assert.equal(again.length, POOLED_BODY_MIN);
  assert.equal(freeBodyBytes(), before);
});

test('an ack with the write still in flight does not give the body back; the write completing does', () => {
  const { msg, body } = pooledMessage();
  const before = freeBodyBytes();
  msg.holdForEntry();
  msg.lend();
  msg.entryGone();
  msg.release(true, false); // the client acked early
  assert.equal(body.length, POOLED_BODY_MIN);
  assert.equal(freeBodyBytes(), before);
  msg.release(true, true);
  assert.equal(body.length, 0);
  takeBody(POOLED_BODY_MIN);
});

test('reading the body takes it out of the pool for good', () => {
  const { msg, body } = pooledMessage();
  const before = freeBodyBytes();
  msg.holdForEntry();
  msg.lend();
  const kept = msg.body; // e.g. the store, the HTTP API or a dead-lettered copy
  msg.entryGone();
  msg.release(true, true);
  assert.equal(freeBodyBytes(), before);
  assert.equal(kept.length, POOLED_BODY_MIN);
  assert.equal(body[0], 0x5a);
  assert.equal(msg.onLoan, false);
});

test('a failed write means the socket may still use the memory: never reused', () => {
  const { msg, body } = pooledMessage();
  const before = freeBodyBytes();
  msg.holdForEntry();
  msg.lend();
  msg.entryGone();
  msg.release(false, true);
  msg.release(true, false);
  assert.equal(freeBodyBytes(), before);
  assert.equal(body.length, POOLED_BODY_MIN);
});

test('a message in two queues waits for both entries', () => {
  const { msg, body } = pooledMessage();
  msg.holdForEntry();
  msg.holdForEntry();
  msg.lend();
  msg.entryGone();
  msg.release(true, true);
  assert.equal(body.length, POOLED_BODY_MIN, 'the second queue still holds it');
  msg.lend();
  msg.entryGone();
  msg.release(true, true);
  assert.equal(body.length, 0);
  takeBody(POOLED_BODY_MIN);
});

test('memory that is not pool memory is never taken in', () => {
  const before = freeBodyBytes();
  giveBody(Buffer.allocUnsafe(1000));
  giveBody(Buffer.alloc(POOLED_BODY_MIN).subarray(1));
  assert.equal(freeBodyBytes(), before);
});
