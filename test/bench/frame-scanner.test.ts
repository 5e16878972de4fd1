/**
 * The perf consumer's frame scanner fed a stream of method, header, heartbeat and body frames (small
 * and large) cut at random places: it must report exactly the frames a whole-frame parser sees, with
 * each body frame's size and first bytes, and refuse a broken end octet.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FrameScanner } from '../../src/perf/scanner.js';
import { prng } from '../helpers/prng.js';

function frame(type: number, channel: number, payload: Buffer): Buffer {
  const head = Buffer.alloc(7);
  head[0] = type;
  head.writeUInt16BE(channel, 1);
  head.writeUInt32BE(payload.length, 3);
  return Buffer.concat([head, payload, Buffer.from([0xce])]);
}

function filled(n: number, seed: number): Buffer {
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = (i * 31 + seed) & 0xff;
  return b;
}

const PEEK = 8;
const frames: [number, number, Buffer][] = [
  [1, 1, filled(40, 1)],
  [2, 1, filled(14, 2)],
  [3, 1, filled(16, 3)],
  [8, 0, Buffer.alloc(0)],
  [3, 2, filled(5, 4)],
  [1, 2, filled(300, 5)],
  [3, 1, filled(131_064, 6)],
  [3, 1, filled(0, 7)],
  [2, 1, filled(14, 8)],
];
const stream = Buffer.concat(frames.map(([t, c, p]) => frame(t, c, p)));

function expected(): string[] {
  return frames.map(([t, c, p]) =>
    t === 3
      ? `body ${c} ${p.length} ${p.subarray(0, PEEK).toString('hex')}`
      : `frame ${t} ${c} ${p.toString('hex')}`,
  );
}

function scan(cuts: number[]): string[] {
  const seen: string[] = [];
  const s = new FrameScanner(PEEK);
  const sink = {
    frame: (t: number, c: number, p: Buffer) => seen.push(`frame ${t} ${c} ${p.toString('hex')}`),
    body: (c: number, size: number, head: Buffer) => seen.push(`body ${c} ${size} ${head.toString('hex')}`),
  };
  let at = 0;
  for (const cut of [...cuts, stream.length]) {
    s.push(stream.subarray(at, cut), sink);
    at = cut;
  }
  return seen;
}

test('whole stream, byte by byte, and random cuts give the same frames', () => {
  assert.deepEqual(scan([]), expected());
  assert.deepEqual(scan(Array.from({ length: stream.length - 1 }, (_, i) => i + 1)), expected());
  const rand = prng(7);
  for (let round = 0; round < 200; round++) {
    const cuts = Array.from({ length: 1 + Math.floor(rand() * 20) }, () =>
      Math.floor(rand() * stream.length),
    ).sort((a, b) => a - b);
    assert.deepEqual(scan(cuts), expected(), `cuts ${cuts.join(',')}`);
  }
});

test('a frame without its end octet is an error', () => {
  const bad = Buffer.from(frame(3, 1, filled(20, 9)));
  bad[bad.length - 1] = 0;
  const s = new FrameScanner(PEEK);
  assert.throws(() => s.push(bad, { frame: () => {}, body: () => {} }), /end octet/);
});
