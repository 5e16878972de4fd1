/**
 * FrameParser driven the way the socket reader drives it (socket-reader.ts): before every read it asks
 * for a place to read straight into (directTarget) or a limit for an ordinary read (readLimit), and the
 * "kernel" here hands over a random number of bytes up to that. Whatever the cuts, the frames that come
 * out must be exactly the frames that went in, payload bytes included, and large body frames must
 * actually be read in place (else the tests would pass on a reader that never does).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { FrameParser, type FrameSink } from '../../src/protocol/frame-parser.js';
import { FRAME_BODY } from '../../src/protocol/generated/methods.js';
import { bodyFrame, headerFrame, methodFrame, publishMethod } from '../helpers/raw-client.js';
import { prng } from '../helpers/prng.js';

const FRAME_MAX = 131072;
const DIRECT_MIN = 16 * 1024;
const BIG = 64 * 1024;
const HEAD = 4 * 1024;

interface Seen {
  type: number;
  channel: number;
  payload: Buffer;
}

/** Publishes of the given body sizes, split into body frames at frame_max, on channel 1. */
function publishes(sizes: number[], rand: () => number): { stream: Buffer; frames: Seen[] } {
  const parts: Buffer[] = [];
  const frames: Seen[] = [];
  const add = (type: number, f: Buffer): void => {
    parts.push(f);
    frames.push({ type, channel: 1, payload: f.subarray(7, f.length - 1) });
  };
  for (const size of sizes) {
    add(1, methodFrame(1, publishMethod('', 'q')));
    add(2, headerFrame(1, size));
    const body = Buffer.alloc(size);
    for (let i = 0; i < size; i++) body[i] = Math.floor(rand() * 256);
    for (let off = 0; off < size; off += FRAME_MAX - 8) {
      add(FRAME_BODY, bodyFrame(1, body.subarray(off, Math.min(size, off + FRAME_MAX - 8))));
    }
  }
  return { stream: Buffer.concat(parts), frames };
}

/** Runs `stream` through a parser as the socket reader would; returns the frames and the bytes read in place. */
function readLikeTheSocket(
  stream: Buffer,
  rand: () => number,
  maxRead: number,
): { seen: Seen[]; inPlace: number } {
  const seen: Seen[] = [];
  const sink: FrameSink = {
    onFrame: (type, channel, payload) => seen.push({ type, channel, payload: Buffer.from(payload) }),
    // Like the channel: a buffer of its own for every body frame that arrives split.
    bodyTarget: (_channel, size) => (rand() < 0.9 ? Buffer.alloc(size, 0xee) : undefined),
  };
  const parser = new FrameParser(FRAME_MAX);
  let pos = 0;
  let inPlace = 0;
  while (pos < stream.length) {
    const avail = stream.length - pos;
    const direct = parser.directTarget(DIRECT_MIN);
    if (direct !== undefined) {
      const n = Math.min(direct.length, avail, 1 + Math.floor(rand() * maxRead));
      stream.copy(direct, 0, pos, pos + n);
      parser.readDirect(n);
      inPlace += n;
      pos += n;
      continue;
    }
    const limit = parser.readLimit(BIG, HEAD);
    let n = Math.min(avail, 1 + Math.floor(rand() * maxRead));
    if (limit > 0) n = Math.min(n, limit);
    // A fresh copy, as a slab read is: the parser may keep views into it.
    parser.push(Buffer.from(stream.subarray(pos, pos + n)), sink);
    pos += n;
  }
  return { seen, inPlace };
}

describe('frame parser, reading in place', () => {
  const sizes = [0, 1, 5000, BIG - 1, BIG, FRAME_MAX - 8, FRAME_MAX - 7, 1048576, 1048576 + 3, 300_000, 20];

  for (const maxRead of [7, 100, 4096, 65536, 1_200_000]) {
    test(`random reads of up to ${maxRead} bytes (seeded, 20 runs) give the same frames`, () => {
      for (let seed = 1; seed <= 20; seed++) {
        const rand = prng(seed * 1000 + maxRead);
        const { stream, frames } = publishes(sizes, rand);
        const { seen, inPlace } = readLikeTheSocket(stream, rand, maxRead);
        assert.equal(seen.length, frames.length, `seed ${seed}: frame count`);
        for (let i = 0; i < frames.length; i++) {
          const want = frames[i] as Seen;
          const got = seen[i] as Seen;
          assert.equal(got.type, want.type, `seed ${seed}, frame ${i}: type`);
          assert.ok(got.payload.equals(want.payload), `seed ${seed}, frame ${i}: payload`);
        }
        // (Reads larger than a frame may take whole frames at once: nothing left to read in place then.)
        if (maxRead >= DIRECT_MIN && maxRead <= FRAME_MAX)
          assert.ok(inPlace > 1_000_000, `seed ${seed}: only ${inPlace} bytes read in place`);
      }
    });
  }

  test('reads of large frames stop at their boundaries: 8 bytes after a payload, a head before a body', () => {
    const rand = prng(42);
    const { stream } = publishes([1048576, 1048576], rand);
    const parser = new FrameParser(FRAME_MAX);
    const limits: number[] = [];
    const sink: FrameSink = { onFrame: () => {}, bodyTarget: (_c, size) => Buffer.alloc(size) };
    let pos = 0;
    while (pos < stream.length) {
      const direct = parser.directTarget(DIRECT_MIN);
      if (direct !== undefined) {
        const n = Math.min(direct.length, stream.length - pos);
        stream.copy(direct, 0, pos, pos + n);
        parser.readDirect(n);
        pos += n;
        continue;
      }
      const limit = parser.readLimit(BIG, HEAD);
      limits.push(limit);
      const n = Math.min(stream.length - pos, limit > 0 ? limit : 65536);
      parser.push(stream.subarray(pos, pos + n), sink);
      pos += n;
    }
    // The first read is unlimited; then per message: eight 8-byte peeks between 131,064-byte frames,
    // and one read of the 64-byte last frame, its end octet and the next message's head.
    assert.equal(limits[0], 0);
    assert.ok(limits.filter((l) => l === 8).length >= 15, `limits: ${limits.join(' ')}`);
    assert.ok(limits.includes(64 + 1 + HEAD), `limits: ${limits.join(' ')}`);
    assert.ok(limits.length <= 24, `${limits.length} ordinary reads for two 1 MiB messages`);
  });
});
