/**
 * What the fuzzer runs inputs through. Each target takes bytes and either returns (the input was
 * handled: accepted, or refused with an AmqpError, which is how the broker refuses bad input) or throws
 * a Crash. The oracles:
 *
 * - frames: the frame parser fed the input in two pieces, every method decoded, every content header
 *   and its properties decoded; anything thrown that is not an AmqpError is a crash, and so is a
 *   decoded method or property set that cannot be encoded again, or decoded again after that (the
 *   broker re-encodes decoded arguments and properties: definitions, dead-lettering, the HTTP API).
 * - in-place: the frame parser driven as the socket reader drives it (socket-reader.ts), reads of random
 *   sizes going straight into body frames where it offers that, must hand out exactly the frames, and
 *   the same refusal, as the input pushed whole (a differential oracle).
 * - table: a field table decoded, re-encoded and decoded again, likewise.
 * - properties: basic properties decoded, re-encoded and decoded again, likewise.
 * - dispatch: a whole Connection of a memory-only broker, on an in-memory socket, fed the protocol
 *   header and the input (a client's byte stream after its header). A crash is a 541 INTERNAL_ERROR
 *   (what the connection answers when handling a frame threw something that is not an AmqpError), an
 *   exception escaping into the event loop, or a connection that takes more than 2 s.
 */
import type { Socket } from 'node:net';
import { pino } from 'pino';
import { Connection, type ConnectionLimits } from '../../src/amqp/connection.js';
import { DEFAULT_MECHANISMS } from '../../src/amqp/sasl.js';
import { Warren } from '../../src/index.js';
import { decodeProperties, parseContentHeader } from '../../src/protocol/content-header.js';
import { AmqpError } from '../../src/protocol/errors.js';
import { FrameParser, type FrameSink } from '../../src/protocol/frame-parser.js';
import * as M from '../../src/protocol/generated/methods.js';
import { Reader } from '../../src/protocol/reader.js';
import { Writer } from '../../src/protocol/writer.js';
import { FakeSocket } from './fake-socket.js';
import { prng } from '../helpers/prng.js';

/** A bug found by a target: `signature` groups inputs that hit the same one. */
export class Crash extends Error {
  readonly signature: string;
  constructor(signature: string, detail: string) {
    super(`${signature}: ${detail}`);
    this.signature = signature;
  }
}

export interface Target {
  readonly name: string;
  /** inputs to start from, derived from the recorded client sessions (each a stream after the header) */
  seeds(sessions: readonly Buffer[]): Buffer[];
  run(input: Buffer): Promise<void>;
  /** releases what the target holds (the dispatch target's broker) */
  close(): Promise<void>;
}

/** The first line of a stack below the message: where it was thrown. */
function where(e: unknown): string {
  const stack = e instanceof Error ? (e.stack ?? '') : '';
  const at = stack.split('\n').find((l) => l.trim().startsWith('at '));
  return at?.trim().replace(/\(.*\/(dist\/[^)]*)\)/, '($1)') ?? 'unknown';
}

/** Runs `fn`; an AmqpError is the expected refusal, anything else a crash. */
function refusalsOnly(step: string, fn: () => void): void {
  try {
    fn();
  } catch (e) {
    if (e instanceof AmqpError) return;
    throw new Crash(`${step}: ${(e as Error).name ?? 'throw'} ${where(e)}`, String(e));
  }
}

/** Encoding what was decoded must work, and decoding that again too. */
function roundTrip<T>(
  step: string,
  value: T,
  encode: (w: Writer, v: T) => void,
  decode: (r: Reader) => unknown,
): void {
  const w = new Writer(256);
  try {
    encode(w, value);
    decode(new Reader(Buffer.from(w.buf.subarray(0, w.pos))));
  } catch (e) {
    throw new Crash(`${step} round trip: ${(e as Error).name ?? 'throw'} ${where(e)}`, String(e));
  }
}

function decodeFrame(type: number, payload: Buffer): void {
  if (type === M.FRAME_METHOD) {
    let m: M.Method | undefined;
    refusalsOnly('decodeMethod', () => (m = M.decodeMethod(new Reader(payload))));
    if (m) roundTrip('method', m, M.encodeMethod, M.decodeMethod);
  } else if (type === M.FRAME_HEADER) {
    let props: M.BasicProperties | undefined;
    refusalsOnly('content header', () => (props = decodeProperties(parseContentHeader(payload).properties)));
    if (props) roundTrip('properties', props, M.encodeBasicProperties, (r) => decodePropertiesFrom(r));
  }
}

function decodePropertiesFrom(r: Reader): M.BasicProperties {
  return decodeProperties(r.buf.subarray(r.pos, r.end));
}

/** Each frame of a client stream, as [type, payload], as far as it parses. */
function framesOf(stream: Buffer): [number, Buffer][] {
  const out: [number, Buffer][] = [];
  try {
    new FrameParser(1 << 20).push(stream, {
      onFrame: (type, _ch, payload) => out.push([type, Buffer.from(payload)]),
    });
  } catch {
    // a recorded stream always parses; a truncated one may end in a partial frame
  }
  return out;
}

const frames: Target = {
  name: 'frames',
  seeds: (sessions) => [...sessions],
  async run(input) {
    const parser = new FrameParser(131072);
    const sink = { onFrame: (type: number, _ch: number, payload: Buffer) => decodeFrame(type, payload) };
    const cut = input.length === 0 ? 0 : (input[0] as number) % input.length;
    refusalsOnly('frame parser', () => {
      parser.push(input.subarray(0, cut), sink);
      parser.push(input.subarray(cut), sink);
    });
  },
  close: async () => {},
};

interface ParsedStream {
  frames: [number, number, Buffer][];
  refused: string | undefined;
}

/** The frames `feed` gets out of a parser, with the error that stopped it, if any. */
function parsedBy(feed: (p: FrameParser, sink: FrameSink) => void): ParsedStream {
  const frames: [number, number, Buffer][] = [];
  const sink: FrameSink = {
    onFrame: (type, channel, payload) => frames.push([type, channel, Buffer.from(payload)]),
    bodyTarget: (_channel, size) => Buffer.alloc(size),
  };
  let refused: string | undefined;
  refusalsOnly('frame parser', () => {
    try {
      feed(new FrameParser(131072), sink);
    } catch (e) {
      if (e instanceof AmqpError) refused = e.message;
      throw e;
    }
  });
  return { frames, refused };
}

/** Reads `stream` into the parser the way the socket reader does, read sizes drawn from `rand`. */
function readInPlace(p: FrameParser, sink: FrameSink, stream: Buffer, rand: () => number): void {
  let pos = 0;
  while (pos < stream.length && !p.failed) {
    const want = 1 + Math.floor(rand() * 300);
    // Thresholds of one byte, so that the small frames of the recorded sessions take these paths too.
    const direct = p.directTarget(1);
    if (direct !== undefined) {
      const n = Math.min(direct.length, stream.length - pos, want);
      stream.copy(direct, 0, pos, pos + n);
      p.readDirect(n);
      pos += n;
      continue;
    }
    const limit = p.readLimit(1, 1 + Math.floor(rand() * 64));
    const n = Math.min(stream.length - pos, limit > 0 ? Math.min(limit, want) : want);
    p.push(Buffer.from(stream.subarray(pos, pos + n)), sink);
    pos += n;
  }
}

const inPlace: Target = {
  name: 'in-place',
  seeds: (sessions) => [...sessions],
  async run(input) {
    const whole = parsedBy((p, sink) => p.push(input, sink));
    const rand = prng(input.length * 31 + (input[0] ?? 0));
    const piecewise = parsedBy((p, sink) => readInPlace(p, sink, input, rand));
    const same =
      whole.refused === piecewise.refused &&
      whole.frames.length === piecewise.frames.length &&
      whole.frames.every(([t, c, b], i) => {
        const [t2, c2, b2] = piecewise.frames[i] as [number, number, Buffer];
        return t === t2 && c === c2 && b.equals(b2);
      });
    if (!same) {
      throw new Crash(
        'in-place reading differs from a whole push',
        `${whole.frames.length} frames / ${String(whole.refused)} against ` +
          `${piecewise.frames.length} frames / ${String(piecewise.refused)}`,
      );
    }
  },
  close: async () => {},
};

const table: Target = {
  name: 'table',
  // Every argument table and client-properties table of the recorded methods, re-encoded.
  seeds(sessions) {
    const out: Buffer[] = [];
    for (const s of sessions) {
      for (const [type, payload] of framesOf(s)) {
        if (type !== M.FRAME_METHOD) continue;
        try {
          const m = M.decodeMethod(new Reader(payload)) as unknown as Record<string, unknown>;
          const t = m['arguments'] ?? m['clientProperties'];
          if (t && typeof t === 'object') {
            const w = new Writer(256);
            w.table(t as Parameters<Writer['table']>[0]);
            out.push(Buffer.from(w.buf.subarray(0, w.pos)));
          }
        } catch {
          // not a method with a table
        }
      }
    }
    return out;
  },
  async run(input) {
    let t: ReturnType<Reader['table']> | undefined;
    refusalsOnly('table', () => (t = new Reader(input).table()));
    if (t)
      roundTrip(
        'table',
        t,
        (w, v) => w.table(v),
        (r) => r.table(),
      );
  },
  close: async () => {},
};

const properties: Target = {
  name: 'properties',
  seeds(sessions) {
    const out: Buffer[] = [];
    for (const s of sessions) {
      for (const [type, payload] of framesOf(s)) if (type === M.FRAME_HEADER) out.push(payload.subarray(12));
    }
    return out;
  },
  async run(input) {
    let props: M.BasicProperties | undefined;
    refusalsOnly('properties', () => (props = decodeProperties(input)));
    if (props) roundTrip('properties', props, M.encodeBasicProperties, (r) => decodePropertiesFrom(r));
  },
  close: async () => {},
};

const PROTOCOL_HEADER = Buffer.from([0x41, 0x4d, 0x51, 0x50, 0, 0, 9, 1]);
/** a fresh broker every so many inputs, so what inputs declared does not pile up */
const BROKER_LIFETIME = 500;

function dispatchTarget(): Target {
  let warren: Warren | undefined;
  let uses = 0;
  const errors: string[] = [];
  // Error-level log lines are kept: the connection logs every internal error it turns into a 541.
  const log = pino({ level: 'error' }, { write: (line: string) => void errors.push(line) });
  const limits: ConnectionLimits = {
    frameMax: 131072,
    channelMax: 2047,
    heartbeat: 0,
    handshakeTimeoutMs: 10_000,
    maxMessageSize: 128 * 1024 * 1024,
    consumerTimeoutMs: undefined,
    sasl: { mechanisms: DEFAULT_MECHANISMS, certLoginFrom: 'distinguished_name', verifyPeer: false },
  };
  const broker = async (): Promise<Warren> => {
    if (warren && uses++ < BROKER_LIFETIME) return warren;
    await warren?.close();
    uses = 0;
    warren = await Warren.start({
      tcp: false,
      logLevel: 'silent',
      managementPort: false,
      prometheusPort: false,
    });
    return warren;
  };
  return {
    name: 'dispatch',
    seeds: (sessions) => [...sessions],
    async run(input) {
      const w = await broker();
      const socket = new FakeSocket();
      errors.length = 0;
      const conn = new Connection(socket as unknown as Socket, w.broker, limits, log);
      socket.feed(PROTOCOL_HEADER);
      // In two reads, cut where the input's first byte says, as a real socket might split it.
      const cut = input.length === 0 ? 0 : (input[0] as number) % input.length;
      socket.feed(input.subarray(0, cut));
      socket.feed(input.subarray(cut));
      const deadline = Date.now() + 2000;
      let quiet = 0;
      while (quiet < 3) {
        await new Promise((r) => setImmediate(r));
        quiet = socket.heldBytes === 0 || socket.destroyed ? quiet + 1 : 0;
        if (Date.now() > deadline) throw new Crash('dispatch: hang', `${socket.heldBytes} bytes never read`);
      }
      socket.destroy();
      await new Promise((r) => setImmediate(r));
      await new Promise((r) => setImmediate(r));
      const internal = errors.find((l) => l.includes('internal error'));
      if (internal !== undefined) {
        const err = (JSON.parse(internal) as { err?: { stack?: string; message?: string } }).err;
        const at = err?.stack?.split('\n').find((l) => l.trim().startsWith('at ')) ?? '';
        throw new Crash(
          `dispatch: 541 ${at.trim().replace(/\(.*\/(dist\/[^)]*)\)/, '($1)')}`,
          err?.message ?? internal,
        );
      }
      if (w.broker.connections.has(conn.id))
        throw new Crash('dispatch: leak', 'connection still registered after close');
    },
    async close() {
      await warren?.close();
      warren = undefined;
    },
  };
}

/** Every target, by name. The dispatch target holds a broker: close it when done. */
export function createTargets(): Target[] {
  return [frames, inPlace, table, properties, dispatchTarget()];
}
