/**
 * FrameParser fed bytes directly: the same stream of real frames pushed whole, one byte at a time and
 * cut at random points must give the same (type, channel, payload) sequence; a frame too large for
 * frame_max is refused from its 7-byte header alone; a bad frame-end octet is refused; random garbage
 * only ever produces AmqpError.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { AmqpError } from '../../src/protocol/errors.js';
import { FrameParser } from '../../src/protocol/frame-parser.js';
import * as M from '../../src/protocol/generated/methods.js';
import {
  bodyFrame,
  frame,
  headerFrame,
  heartbeatFrame,
  methodFrame,
  publishMethod,
  queueDeclareMethod,
} from '../helpers/raw-client.js';
import { prng } from '../helpers/prng.js';

interface Seen {
  type: number;
  channel: number;
  payload: Buffer;
}

/** A sink that copies what it is given (payloads are only valid until onFrame returns). */
function collector(): {
  frames: Seen[];
  sink: { onFrame(type: number, channel: number, payload: Buffer): void };
} {
  const frames: Seen[] = [];
  return {
    frames,
    sink: {
      onFrame: (type, channel, payload) => frames.push({ type, channel, payload: Buffer.from(payload) }),
    },
  };
}

const int = (rand: () => number, n: number): number => Math.floor(rand() * n);

/** Cuts `buf` at `cuts` distinct random points. */
function randomPieces(buf: Buffer, rand: () => number, cuts: number): Buffer[] {
  const points = new Set<number>();
  for (let i = 0; i < cuts; i++) points.add(1 + int(rand, Math.max(1, buf.length - 1)));
  const sorted = [...points].filter((p) => p > 0 && p < buf.length).sort((x, y) => x - y);
  const pieces: Buffer[] = [];
  let prev = 0;
  for (const p of sorted) {
    pieces.push(buf.subarray(prev, p));
    prev = p;
  }
  pieces.push(buf.subarray(prev));
  return pieces;
}

// A realistic stream: handshake methods, a publish split into header and two bodies whose payload holds
// 0xCE and bytes that look like frame headers, heartbeats, an empty body frame, the top channel number,
// and one body large enough that random cuts land inside it.
const bigBody = Buffer.alloc(10_000);
for (let i = 0; i < bigBody.length; i++) bigBody[i] = (i * 31 + 7) & 0xff;
const trickyBody = Buffer.from([0xce, 0x01, 0x00, 0x01, 0x00, 0x00, 0x00, 0x05, 0xce, 0xce, 0x08]);

const STREAM_FRAMES: Buffer[] = [
  methodFrame(0, {
    kind: 'connection.start-ok',
    clientProperties: { product: 'frame-parser-test', capabilities: { publisher_confirms: true } },
    mechanism: 'PLAIN',
    response: Buffer.from('\0guest\0guest'),
    locale: 'en_US',
  }),
  methodFrame(0, { kind: 'connection.tune-ok', channelMax: 2047, frameMax: 131072, heartbeat: 60 }),
  methodFrame(0, { kind: 'connection.open', virtualHost: '/' }),
  methodFrame(1, { kind: 'channel.open' }),
  heartbeatFrame(0),
  methodFrame(1, queueDeclareMethod('q-frames', { durable: true, arguments: { 'x-max-length': 10 } })),
  methodFrame(1, publishMethod('', 'q-frames')),
  headerFrame(1, trickyBody.length + 3, { contentType: 'application/octet-stream', deliveryMode: 2 }),
  bodyFrame(1, trickyBody),
  bodyFrame(1, Buffer.from([0xce, 0xce, 0xce])),
  bodyFrame(1, Buffer.alloc(0)),
  methodFrame(65535, { kind: 'channel.open' }),
  methodFrame(1, publishMethod('amq.direct', 'big')),
  headerFrame(1, bigBody.length, {}),
  bodyFrame(1, bigBody),
  heartbeatFrame(0),
  methodFrame(1, { kind: 'basic.ack', deliveryTag: 2 ** 40, multiple: true }),
  methodFrame(0, { kind: 'connection.close', replyCode: 200, replyText: 'bye', classId: 0, methodId: 0 }),
];
const STREAM = Buffer.concat(STREAM_FRAMES);

/** What the stream must parse to: each frame's own header fields and payload. */
const EXPECTED: Seen[] = STREAM_FRAMES.map((f) => ({
  type: f[0] as number,
  channel: f.readUInt16BE(1),
  payload: f.subarray(7, f.length - 1),
}));

const FRAME_MAX = 131072;

function parseAll(pieces: Buffer[], frameMax = FRAME_MAX): Seen[] {
  const parser = new FrameParser(frameMax);
  const { frames, sink } = collector();
  for (const p of pieces) parser.push(p, sink);
  assert.equal(parser.buffered, 0, 'bytes left over after the last complete frame');
  return frames;
}

/** Runs `fn`, which must throw an AmqpError with `code`; returns it. */
function expectAmqpError(fn: () => void, code: number): AmqpError {
  let thrown: unknown;
  try {
    fn();
  } catch (e) {
    thrown = e;
  }
  assert.ok(thrown !== undefined, `expected AmqpError ${code}, nothing was thrown`);
  assert.ok(thrown instanceof AmqpError, `expected AmqpError ${code}, got ${String(thrown)}`);
  assert.equal(thrown.code, code, thrown.message);
  return thrown;
}

describe('FrameParser: a stream of real frames', () => {
  test('pushed whole gives every frame in order, as slices of the read buffer', () => {
    const parser = new FrameParser(FRAME_MAX);
    const frames: Seen[] = [];
    let sliced = 0;
    parser.push(STREAM, {
      onFrame(type, channel, payload) {
        if (payload.length > 0 && payload.buffer === STREAM.buffer) sliced++;
        frames.push({ type, channel, payload: Buffer.from(payload) });
      },
    });
    assert.deepEqual(frames, EXPECTED);
    assert.equal(parser.buffered, 0);
    assert.equal(sliced, EXPECTED.filter((f) => f.payload.length > 0).length, 'a whole frame was copied');
  });

  test('pushed one byte at a time gives the same frames', () => {
    const pieces: Buffer[] = [];
    for (let i = 0; i < STREAM.length; i++) pieces.push(STREAM.subarray(i, i + 1));
    assert.deepEqual(parseAll(pieces), EXPECTED);
  });

  test('pushed frame by frame, and with every frame split after each of its first 8 bytes', () => {
    assert.deepEqual(parseAll(STREAM_FRAMES), EXPECTED);
    for (let cut = 1; cut <= 8; cut++) {
      const pieces = STREAM_FRAMES.flatMap((f) => [f.subarray(0, cut), f.subarray(cut)]);
      assert.deepEqual(parseAll(pieces), EXPECTED, `split at offset ${cut} of every frame`);
    }
  });

  test('cut at random points (seeded, 1000 runs) gives the same frames', () => {
    for (let seed = 1; seed <= 1000; seed++) {
      const rand = prng(seed);
      const pieces = randomPieces(STREAM, rand, 1 + int(rand, 40));
      assert.equal(Buffer.concat(pieces).length, STREAM.length);
      assert.deepEqual(parseAll(pieces), EXPECTED, `seed ${seed}`);
    }
  });

  test('an empty push changes nothing', () => {
    const parser = new FrameParser(FRAME_MAX);
    const { frames, sink } = collector();
    parser.push(Buffer.alloc(0), sink);
    parser.push(STREAM.subarray(0, 5), sink);
    parser.push(Buffer.alloc(0), sink);
    parser.push(STREAM.subarray(5), sink);
    assert.deepEqual(frames, EXPECTED);
  });

  test('a payload of up to frame_max bytes is accepted (RabbitMQ allows 8 over), one byte more is not', () => {
    const max = 4096;
    const exact = frame(M.FRAME_BODY, 1, Buffer.alloc(max - 8, 0x61));
    assert.equal(exact.length, max);
    assert.equal(parseAll([exact], max).length, 1);
    const fudged = frame(M.FRAME_BODY, 1, Buffer.alloc(max, 0x61));
    assert.equal(parseAll([fudged], max).length, 1);
    const over = frame(M.FRAME_BODY, 1, Buffer.alloc(max + 1, 0x61));
    const parser = new FrameParser(max);
    const err = expectAmqpError(() => parser.push(over, collector().sink), 501);
    assert.equal(err.message, 'FRAME_ERROR - type 3, all octets = <<>>: {frame_too_large,4097,4088}');
  });

  test('a frame_max raised between pushes applies to the next frame', () => {
    const parser = new FrameParser(4096);
    const { frames, sink } = collector();
    const big = frame(M.FRAME_BODY, 1, Buffer.alloc(8000));
    parser.frameMax = 131072;
    parser.push(big, sink);
    assert.equal(frames.length, 1);
  });
});

describe('FrameParser: oversize frames', () => {
  /** A 7-byte frame header announcing `size` payload bytes. */
  const announce = (size: number, type = M.FRAME_BODY, channel = 1): Buffer => {
    const h = Buffer.alloc(7);
    h[0] = type;
    h.writeUInt16BE(channel, 1);
    h.writeUInt32BE(size, 3);
    return h;
  };

  test('a 4 GiB frame is refused with 501 from its header alone, before any body byte', () => {
    const parser = new FrameParser(FRAME_MAX);
    const { frames, sink } = collector();
    const err = expectAmqpError(() => parser.push(announce(0xffffffff), sink), 501);
    assert.match(err.message, /^FRAME_ERROR - /);
    assert.equal(frames.length, 0);
    assert.ok(parser.failed, 'the parser must stop: the stream is out of step');
    assert.ok(parser.buffered <= 7, `the parser holds ${parser.buffered} bytes for a refused frame`);
  });

  test('refused just as well when the header arrives in pieces', () => {
    const parser = new FrameParser(FRAME_MAX);
    const { sink } = collector();
    const h = announce(FRAME_MAX + 1);
    parser.push(h.subarray(0, 3), sink);
    parser.push(h.subarray(3, 6), sink);
    expectAmqpError(() => parser.push(h.subarray(6), sink), 501);
    assert.ok(parser.failed);
    assert.ok(parser.buffered <= 7);
  });

  test('frames before the oversize one are delivered; nothing after it is', () => {
    const parser = new FrameParser(FRAME_MAX);
    const { frames, sink } = collector();
    const chunk = Buffer.concat([
      STREAM_FRAMES[0] as Buffer,
      heartbeatFrame(),
      announce(0x7fffffff),
      Buffer.alloc(100),
    ]);
    expectAmqpError(() => parser.push(chunk, sink), 501);
    assert.equal(frames.length, 2);
    // Once framing is lost the parser ignores everything, even valid frames.
    parser.push(STREAM, sink);
    assert.equal(frames.length, 2);
    assert.ok(parser.failed);
  });

  test('an oversize header in the tail of a read is refused at once, not when its body completes', () => {
    const parser = new FrameParser(FRAME_MAX);
    const { frames, sink } = collector();
    const chunk = Buffer.concat([heartbeatFrame(), announce(0xfffffff0)]);
    expectAmqpError(() => parser.push(chunk, sink), 501);
    assert.equal(frames.length, 1);
  });
});

describe('FrameParser: frame-end octet', () => {
  const good = heartbeatFrame();
  const bad = frame(M.FRAME_METHOD, 1, Buffer.from([0, 20, 0, 10, 0, 0, 0, 0]), 0x00);

  test('a frame not ending in 0xCE is refused with 501 and stops the parser', () => {
    const parser = new FrameParser(FRAME_MAX);
    const { frames, sink } = collector();
    const err = expectAmqpError(() => parser.push(Buffer.concat([good, bad, good]), sink), 501);
    assert.match(err.message, /frame end/);
    assert.equal(frames.length, 1, 'only the frame before the bad one');
    assert.ok(parser.failed);
    parser.push(good, sink);
    assert.equal(frames.length, 1);
  });

  test('refused when the bad octet arrives alone in a later read', () => {
    const parser = new FrameParser(FRAME_MAX);
    const { frames, sink } = collector();
    parser.push(bad.subarray(0, bad.length - 1), sink);
    assert.equal(frames.length, 0);
    expectAmqpError(() => parser.push(bad.subarray(bad.length - 1), sink), 501);
    assert.ok(parser.failed);
  });

  test('every wrong end octet is refused', () => {
    for (let end = 0; end < 256; end++) {
      if (end === M.FRAME_END) continue;
      const parser = new FrameParser(FRAME_MAX);
      expectAmqpError(
        () => parser.push(frame(M.FRAME_HEARTBEAT, 0, Buffer.alloc(0), end), collector().sink),
        501,
      );
    }
  });
});

describe('FrameParser: errors from the sink', () => {
  test('propagate unchanged and do not mark the framing as broken', () => {
    const parser = new FrameParser(FRAME_MAX);
    const boom = new AmqpError(505, 'sink refused the frame');
    let calls = 0;
    assert.throws(
      () =>
        parser.push(STREAM, {
          onFrame() {
            calls++;
            if (calls === 3) throw boom;
          },
        }),
      (e) => e === boom,
    );
    assert.equal(calls, 3, 'no frame after the failing one is delivered from that read');
    assert.equal(parser.failed, false);
  });
});

describe('FrameParser: stopping and resuming (read fairness)', () => {
  test('stopped after any frame, the rest is held and resume() delivers it', () => {
    for (let k = 0; k < EXPECTED.length; k++) {
      const parser = new FrameParser(FRAME_MAX);
      const frames: Seen[] = [];
      const sink = {
        onFrame(type: number, channel: number, payload: Buffer) {
          frames.push({ type, channel, payload: Buffer.from(payload) });
          if (frames.length === k + 1) parser.stopped = true;
        },
      };
      parser.push(STREAM, sink);
      assert.equal(frames.length, k + 1, `stop after frame ${k}`);
      const held = STREAM.length - STREAM_FRAMES.slice(0, k + 1).reduce((n, f) => n + f.length, 0);
      assert.equal(parser.buffered, held, `bytes held after stopping at frame ${k}`);
      parser.stopped = false;
      parser.resume(sink);
      assert.deepEqual(frames, EXPECTED, `stop after frame ${k}`);
      assert.equal(parser.buffered, 0);
    }
  });

  test('resume() with nothing held, or while still stopped, delivers nothing twice', () => {
    const parser = new FrameParser(FRAME_MAX);
    const { frames, sink } = collector();
    parser.resume(sink);
    parser.push(STREAM, sink);
    parser.resume(sink);
    assert.deepEqual(frames, EXPECTED);
  });

  test('random cuts with random stops, resumed now or after more reads, deliver every frame once in order (seeded)', () => {
    for (let seed = 1; seed <= 1000; seed++) {
      const rand = prng(seed * 31);
      const parser = new FrameParser(FRAME_MAX);
      const frames: Seen[] = [];
      const sink = {
        onFrame(type: number, channel: number, payload: Buffer) {
          frames.push({ type, channel, payload: Buffer.from(payload) });
          if (rand() < 0.3) parser.stopped = true;
        },
      };
      const resumeAll = (): void => {
        while (parser.stopped) {
          parser.stopped = false;
          parser.resume(sink);
        }
      };
      for (const piece of randomPieces(STREAM, rand, int(rand, 30))) {
        parser.push(piece, sink);
        // Sometimes the socket delivers more before the end of the turn resumes the parser.
        if (rand() < 0.5) resumeAll();
      }
      resumeAll();
      assert.deepEqual(frames, EXPECTED, `seed ${seed}`);
      assert.equal(parser.buffered, 0, `seed ${seed}`);
    }
  });

  test('a bad frame among the held bytes is still refused when parsing resumes', () => {
    const parser = new FrameParser(FRAME_MAX);
    const bad = frame(M.FRAME_HEARTBEAT, 0, Buffer.alloc(0), 0x00);
    let calls = 0;
    const sink = {
      onFrame() {
        calls++;
        parser.stopped = true;
      },
    };
    parser.push(Buffer.concat([heartbeatFrame(), heartbeatFrame(), bad]), sink);
    assert.equal(calls, 1);
    parser.stopped = false;
    expectAmqpError(() => {
      parser.resume(sink);
      parser.stopped = false;
      parser.resume(sink);
    }, 501);
    assert.equal(calls, 2);
    assert.ok(parser.failed);
  });
});

describe('FrameParser: random garbage', () => {
  /** Pushes `pieces` into a fresh parser; anything thrown must be an AmqpError with a 5xx code. */
  function feed(pieces: Buffer[], frameMax: number, label: string): number {
    const parser = new FrameParser(frameMax);
    let delivered = 0;
    for (const p of pieces) {
      try {
        parser.push(p, {
          onFrame(_type, _channel, payload) {
            assert.ok(payload.length <= frameMax, `${label}: payload larger than frame_max`);
            delivered++;
          },
        });
      } catch (e) {
        assert.ok(e instanceof AmqpError, `${label}: threw ${String(e)}`);
        assert.equal(e.code, 501, `${label}: ${e.message}`);
        assert.ok(parser.failed, `${label}: a framing error must stop the parser`);
      }
    }
    return delivered;
  }

  test('random bytes in random pieces only ever throw AmqpError 501 (seeded, 3000 runs)', () => {
    for (let seed = 1; seed <= 3000; seed++) {
      const rand = prng(seed * 7919);
      const garbage = Buffer.alloc(int(rand, 400));
      for (let i = 0; i < garbage.length; i++) garbage[i] = int(rand, 256);
      // Small sizes in the header now and then, so some garbage actually parses as frames.
      if (garbage.length > 7 && rand() < 0.5) garbage.writeUInt32BE(int(rand, 64), 3);
      feed(randomPieces(garbage, rand, int(rand, 10)), 4096, `seed ${seed}`);
    }
  });

  test('valid frames with random bytes flipped only ever throw AmqpError 501 (seeded, 2000 runs)', () => {
    let deliveredSomething = 0;
    for (let seed = 1; seed <= 2000; seed++) {
      const rand = prng(seed * 104729);
      const bytes = Buffer.from(STREAM.subarray(0, 2000));
      const flips = 1 + int(rand, 4);
      for (let i = 0; i < flips; i++) bytes[int(rand, bytes.length)] = int(rand, 256);
      if (feed(randomPieces(bytes, rand, int(rand, 20)), FRAME_MAX, `seed ${seed}`) > 0) deliveredSomething++;
    }
    assert.ok(deliveredSomething > 0, 'the mutations never left a frame intact: the test exercises nothing');
  });
});

describe('FrameParser: split body frames gathered into a buffer the sink offers (bodyTarget)', () => {
  /**
   * A sink that offers a fresh buffer for every split body frame (or, with `refuse`, sometimes
   * none), counts the frames delivered in the buffer it offered, and may stop the parser.
   */
  function gatheringSink(parser: FrameParser, rand: () => number, refuse = 0, stop = 0) {
    const frames: Seen[] = [];
    const offered = new Set<Buffer>();
    const counts = { offered: 0, gathered: 0 };
    const sink = {
      onFrame(type: number, channel: number, payload: Buffer) {
        if (offered.delete(payload)) counts.gathered++;
        frames.push({ type, channel, payload: Buffer.from(payload) });
        if (rand() < stop) parser.stopped = true;
      },
      bodyTarget(channel: number, size: number): Buffer | undefined {
        assert.ok(size <= FRAME_MAX, `a target of ${size} bytes asked for`);
        if (rand() < refuse) return undefined;
        // Dirty memory, as Buffer.allocUnsafe may give: every byte must be overwritten.
        const b = Buffer.alloc(size, 0xee);
        offered.add(b);
        counts.offered++;
        return b;
      },
    };
    return { frames, counts, offered, sink };
  }

  test('cut at random points (seeded, 1000 runs): the same frames, split bodies in the offered buffer', () => {
    let gathered = 0;
    for (let seed = 1; seed <= 1000; seed++) {
      const rand = prng(seed * 13);
      const parser = new FrameParser(FRAME_MAX);
      const g = gatheringSink(parser, rand, seed % 3 === 0 ? 0.3 : 0);
      for (const p of randomPieces(STREAM, rand, 1 + int(rand, 40))) parser.push(p, g.sink);
      assert.deepEqual(g.frames, EXPECTED, `seed ${seed}`);
      assert.equal(parser.buffered, 0, `seed ${seed}`);
      assert.equal(g.counts.gathered, g.counts.offered, `seed ${seed}: an offered buffer was not used`);
      gathered += g.counts.gathered;
    }
    assert.ok(gathered > 1000, `only ${gathered} frames were gathered: the test exercises little`);
  });

  test('a body frame split after each of its first 9 bytes and before its last 2 is gathered', () => {
    const body = bodyFrame(3, bigBody);
    const cuts = [1, 2, 3, 4, 5, 6, 7, 8, 9, body.length - 2, body.length - 1];
    for (const cut of cuts) {
      const parser = new FrameParser(FRAME_MAX);
      const g = gatheringSink(parser, () => 1);
      parser.push(Buffer.concat([heartbeatFrame(), body.subarray(0, cut)]), g.sink);
      parser.push(Buffer.concat([body.subarray(cut), heartbeatFrame()]), g.sink);
      assert.equal(g.frames.length, 3, `cut at ${cut}`);
      assert.ok((g.frames[1] as Seen).payload.equals(bigBody), `cut at ${cut}`);
      assert.equal(g.counts.gathered, cut < 7 ? 0 : 1, `cut at ${cut}`);
    }
  });

  test('random cuts with random stops (seeded, 1000 runs) deliver every frame once in order', () => {
    for (let seed = 1; seed <= 1000; seed++) {
      const rand = prng(seed * 17);
      const parser = new FrameParser(FRAME_MAX);
      const g = gatheringSink(parser, rand, 0.2, 0.3);
      const resumeAll = (): void => {
        while (parser.stopped) {
          parser.stopped = false;
          parser.resume(g.sink);
        }
      };
      for (const piece of randomPieces(STREAM, rand, int(rand, 30))) {
        parser.push(piece, g.sink);
        if (rand() < 0.5) resumeAll();
      }
      resumeAll();
      assert.deepEqual(g.frames, EXPECTED, `seed ${seed}`);
      assert.equal(parser.buffered, 0, `seed ${seed}`);
    }
  });

  test('bytes held while gathering count as buffered', () => {
    const body = bodyFrame(1, bigBody);
    const parser = new FrameParser(FRAME_MAX);
    const g = gatheringSink(parser, () => 1);
    parser.push(body.subarray(0, 5000), g.sink);
    assert.equal(g.counts.offered, 1);
    assert.equal(parser.buffered, 5000);
    parser.push(body.subarray(5000), g.sink);
    assert.equal(parser.buffered, 0);
    assert.equal(g.counts.gathered, 1);
  });

  test('a gathered frame with a bad end octet is refused with 501 and never delivered', () => {
    const body = bodyFrame(1, bigBody);
    body[body.length - 1] = 0x00;
    for (const cut of [100, body.length - 1]) {
      const parser = new FrameParser(FRAME_MAX);
      const g = gatheringSink(parser, () => 1);
      parser.push(body.subarray(0, cut), g.sink);
      assert.equal(g.counts.offered, 1);
      expectAmqpError(() => parser.push(body.subarray(cut), g.sink), 501);
      assert.equal(g.frames.length, 0);
      assert.ok(parser.failed);
    }
  });
});
