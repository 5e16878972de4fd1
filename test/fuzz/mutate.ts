/**
 * Mutations for AMQP byte streams: the generic ones every coverage-guided fuzzer has (bit flips,
 * interesting bytes and integers, insertions, deletions, duplication, splicing two inputs) plus a few
 * that know AMQP's framing, so mutants get past the frame layer often enough to reach method decoding
 * and the channel: rewrite a frame's size to what its payload really is (or to a lie), swap a method's
 * class and method ids for another real pair, change a field-table value's type octet.
 */
import { METHOD_ID } from '../../src/protocol/generated/methods.js';

export type Rand = () => number;

const INTERESTING_8 = [0, 1, 0x7f, 0x80, 0xce, 0xff];
const INTERESTING_16 = [0, 1, 0x7fff, 0x8000, 0xffff, 0x0fff, 2047, 2048];
const INTERESTING_32 = [0, 1, 0x7fffffff, 0x80000000, 0xffffffff, 4096, 131072, 131073, 0x1fffff];
/** field-table value types, valid and not */
const TYPE_OCTETS = Buffer.from('tbBsuIilfdDSxATFVZ', 'latin1');
const METHOD_IDS = Object.values(METHOD_ID);

const pick = <T>(rand: Rand, xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)] as T;
const int = (rand: Rand, n: number): number => Math.floor(rand() * n);

/** Offsets of the frames in `b` that parse as frames from the start (at most 64 of them). */
function frameOffsets(b: Buffer): number[] {
  const out: number[] = [];
  let pos = 0;
  while (pos + 8 <= b.length && out.length < 64) {
    out.push(pos);
    const size = b.readUInt32BE(pos + 3);
    if (size > b.length) break;
    pos += size + 8;
  }
  return out;
}

type Mutator = (b: Buffer, rand: Rand, other: Buffer) => Buffer;

const MUTATORS: Mutator[] = [
  // flip one bit
  (b, rand) => {
    if (b.length === 0) return b;
    const i = int(rand, b.length);
    b[i] = (b[i] as number) ^ (1 << int(rand, 8));
    return b;
  },
  // set one byte to something random or interesting
  (b, rand) => {
    if (b.length === 0) return b;
    b[int(rand, b.length)] = rand() < 0.5 ? int(rand, 256) : pick(rand, INTERESTING_8);
    return b;
  },
  // an interesting 16- or 32-bit value, big-endian, anywhere
  (b, rand) => {
    if (rand() < 0.5 && b.length >= 2) b.writeUInt16BE(pick(rand, INTERESTING_16), int(rand, b.length - 1));
    else if (b.length >= 4) b.writeUInt32BE(pick(rand, INTERESTING_32), int(rand, b.length - 3));
    return b;
  },
  // insert random bytes
  (b, rand) => {
    const at = int(rand, b.length + 1);
    const ins = Buffer.alloc(1 + int(rand, 16));
    for (let i = 0; i < ins.length; i++) ins[i] = int(rand, 256);
    return Buffer.concat([b.subarray(0, at), ins, b.subarray(at)]);
  },
  // delete a range
  (b, rand) => {
    if (b.length < 2) return b;
    const at = int(rand, b.length);
    const n = 1 + int(rand, Math.min(64, b.length - at));
    return Buffer.concat([b.subarray(0, at), b.subarray(at + n)]);
  },
  // duplicate a range in place
  (b, rand) => {
    if (b.length < 2) return b;
    const at = int(rand, b.length);
    const n = 1 + int(rand, Math.min(256, b.length - at));
    return Buffer.concat([b.subarray(0, at + n), b.subarray(at, at + n), b.subarray(at + n)]);
  },
  // splice: the head of this input, the tail of another
  (b, rand, other) =>
    Buffer.concat([b.subarray(0, int(rand, b.length + 1)), other.subarray(int(rand, other.length + 1))]),
  // truncate
  (b, rand) => b.subarray(0, int(rand, b.length + 1)),
  // a frame whose size field is re-computed after its payload was changed, or is off by a little
  (b, rand) => {
    const offs = frameOffsets(b);
    if (offs.length === 0) return b;
    const at = pick(rand, offs);
    const size = b.readUInt32BE(at + 3);
    const payload = b.subarray(at + 7, Math.min(b.length, at + 7 + size));
    const cut = int(rand, payload.length + 1);
    const grown =
      rand() < 0.5 ? payload.subarray(0, cut) : Buffer.concat([payload, Buffer.alloc(int(rand, 8))]);
    const head = Buffer.from(b.subarray(at, at + 7));
    head.writeUInt32BE(rand() < 0.8 ? grown.length : Math.max(0, grown.length + int(rand, 5) - 2), 3);
    return Buffer.concat([b.subarray(0, at), head, grown, Buffer.from([0xce]), b.subarray(at + 8 + size)]);
  },
  // another real (class, method) pair in a method frame
  (b, rand) => {
    const offs = frameOffsets(b).filter((o) => b[o] === 1 && o + 11 <= b.length);
    if (offs.length === 0) return b;
    b.writeUInt32BE(pick(rand, METHOD_IDS), pick(rand, offs) + 7);
    return b;
  },
  // another frame type or channel
  (b, rand) => {
    const offs = frameOffsets(b);
    if (offs.length === 0) return b;
    const at = pick(rand, offs);
    if (rand() < 0.5) b[at] = pick(rand, [1, 2, 3, 4, 8, 0, 9]);
    else b.writeUInt16BE(pick(rand, [0, 1, 2, 3, 65535]), at + 1);
    return b;
  },
  // a field-table type octet swapped for another
  (b, rand) => {
    for (let tries = 0; tries < 8 && b.length > 0; tries++) {
      const i = int(rand, b.length);
      if (TYPE_OCTETS.includes(b[i] as number)) {
        b[i] = pick(rand, [...TYPE_OCTETS]);
        return b;
      }
    }
    return b;
  },
  // drop or repeat a whole frame
  (b, rand) => {
    const offs = frameOffsets(b);
    if (offs.length === 0) return b;
    const at = pick(rand, offs);
    const end = Math.min(b.length, at + 8 + b.readUInt32BE(at + 3));
    const f = b.subarray(at, end);
    return rand() < 0.5
      ? Buffer.concat([b.subarray(0, at), b.subarray(end)])
      : Buffer.concat([b.subarray(0, end), f, b.subarray(end)]);
  },
];

/** A mutant of `input`: one to four stacked mutations; `other` feeds splicing. Never mutates its inputs. */
export function mutate(input: Buffer, other: Buffer, rand: Rand, maxLen = 64 * 1024): Buffer {
  let b: Buffer = Buffer.from(input);
  const n = 1 + int(rand, 4);
  for (let i = 0; i < n; i++) b = pick(rand, MUTATORS)(b, rand, other);
  return b.length > maxLen ? b.subarray(0, maxLen) : b;
}
