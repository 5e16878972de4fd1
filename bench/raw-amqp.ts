/**
 * A deliberately tiny AMQP 0-9-1 client for the benchmark: it does the connection handshake
 * (PLAIN auth, heartbeats off), opens channel 1 and then leaves the socket to the caller, which writes
 * pre-encoded frames itself. It exists so that the benchmark's publisher costs almost no CPU
 * (see bench/raw-publisher.ts); it is not a general client.
 *
 * Framing (spec section 4.2.3): frame = type(1) channel(2) size(4) payload(size) 0xCE.
 * Frame types: 1 method, 2 content header, 3 content body, 8 heartbeat.
 * Method payload: class-id(2) method-id(2) arguments. Short strings: length(1) bytes; long strings and
 * tables: length(4) bytes.
 */
import { connect, type Socket } from 'node:net';

export const FRAME_METHOD = 1;
export const FRAME_HEADER = 2;
export const FRAME_BODY = 3;
export const FRAME_HEARTBEAT = 8;
export const FRAME_END = 0xce;

export interface Frame {
  type: number;
  channel: number;
  payload: Buffer;
}

/** A method frame's class and method ids, e.g. 10,10 = connection.start. */
export function methodId(frame: Frame): string {
  return `${frame.payload.readUInt16BE(0)},${frame.payload.readUInt16BE(2)}`;
}

export function shortstr(s: string): Buffer {
  const bytes = Buffer.from(s, 'utf8');
  if (bytes.length > 255) throw new Error(`short string too long: ${s}`);
  return Buffer.concat([Buffer.from([bytes.length]), bytes]);
}

export function longstr(b: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(b.length);
  return Buffer.concat([len, b]);
}

/** A field table holding only long-string values. */
function stringTable(entries: Record<string, string>): Buffer {
  const parts = Object.entries(entries).map(([k, v]) =>
    Buffer.concat([shortstr(k), Buffer.from('S'), longstr(Buffer.from(v, 'utf8'))]),
  );
  return longstr(Buffer.concat(parts));
}

export function encodeFrame(type: number, channel: number, payload: Buffer): Buffer {
  const frame = Buffer.alloc(7 + payload.length + 1);
  frame.writeUInt8(type, 0);
  frame.writeUInt16BE(channel, 1);
  frame.writeUInt32BE(payload.length, 3);
  payload.copy(frame, 7);
  frame.writeUInt8(FRAME_END, 7 + payload.length);
  return frame;
}

export function encodeMethod(channel: number, classId: number, methodIdNum: number, args: Buffer[]): Buffer {
  const head = Buffer.alloc(4);
  head.writeUInt16BE(classId, 0);
  head.writeUInt16BE(methodIdNum, 2);
  return encodeFrame(FRAME_METHOD, channel, Buffer.concat([head, ...args]));
}

function u16(n: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(n);
  return b;
}

function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
}

/** Splits a byte stream into frames; call push() with each chunk read from the socket. */
export class FrameReader {
  private buf: Buffer = Buffer.alloc(0);

  push(chunk: Buffer): Frame[] {
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
    const frames: Frame[] = [];
    while (this.buf.length >= 8) {
      const size = this.buf.readUInt32BE(3);
      if (this.buf.length < size + 8) break;
      if (this.buf[7 + size] !== FRAME_END) throw new Error('bad frame end');
      frames.push({
        type: this.buf.readUInt8(0),
        channel: this.buf.readUInt16BE(1),
        payload: this.buf.subarray(7, 7 + size),
      });
      this.buf = this.buf.subarray(size + 8);
    }
    return frames;
  }
}

/** Explains a connection.close or channel.close frame: "reply-code reply-text". */
function closeReason(frame: Frame): string {
  const code = frame.payload.readUInt16BE(4);
  const textLen = frame.payload.readUInt8(6);
  return `${code} ${frame.payload.subarray(7, 7 + textLen).toString('utf8')}`;
}

export interface RawConnection {
  socket: Socket;
  frameMax: number;
  /** called for every frame that arrives after the handshake */
  onFrame: (frame: Frame) => void;
}

/**
 * Connects, authenticates and opens channel 1. After that, frames the server sends go to
 * `onFrame` (by default: a connection.close or channel.close is answered and raised as an error
 * on the socket).
 */
export async function openRaw(url: string): Promise<RawConnection> {
  const u = new URL(url);
  const user = decodeURIComponent(u.username || 'guest');
  const pass = decodeURIComponent(u.password || 'guest');
  const vhost = u.pathname.length > 1 ? decodeURIComponent(u.pathname.slice(1)) : '/';
  const socket = connect({ host: u.hostname, port: Number(u.port || 5672) });
  socket.setNoDelay(true);

  const reader = new FrameReader();
  const pending: Frame[] = [];
  let waiter: ((f: Frame) => void) | undefined;
  let failure: Error | undefined;
  const conn: RawConnection = {
    socket,
    frameMax: 131072,
    onFrame: (frame) => {
      if (frame.type !== FRAME_METHOD) return;
      const id = methodId(frame);
      if (id === '10,50') {
        socket.write(encodeMethod(0, 10, 51, [])); // connection.close-ok
        socket.destroy(new Error(`connection closed by server: ${closeReason(frame)}`));
      } else if (id === '20,40') {
        socket.write(encodeMethod(frame.channel, 20, 41, [])); // channel.close-ok
        socket.destroy(new Error(`channel closed by server: ${closeReason(frame)}`));
      }
    },
  };
  let handshaking = true;
  socket.on('data', (chunk: Buffer) => {
    for (const frame of reader.push(chunk)) {
      if (!handshaking) conn.onFrame(frame);
      else if (waiter) {
        const w = waiter;
        waiter = undefined;
        w(frame);
      } else pending.push(frame);
    }
  });

  const closed = new Promise<never>((_, reject) => {
    socket.once('error', (err) => {
      failure = err;
      reject(err);
    });
    socket.once('close', () => reject(failure ?? new Error('connection closed during handshake')));
  });
  closed.catch(() => {});

  const next = (): Promise<Frame> => {
    const f = pending.shift();
    if (f) return Promise.resolve(f);
    return Promise.race([new Promise<Frame>((resolve) => (waiter = resolve)), closed]);
  };
  const expect = async (id: string, what: string): Promise<Frame> => {
    for (;;) {
      const f = await next();
      if (f.type !== FRAME_METHOD) continue; // heartbeats
      const got = methodId(f);
      if (got === id) return f;
      if (got === '10,50' || got === '20,40') throw new Error(`${what} refused: ${closeReason(f)}`);
      throw new Error(`expected ${what} (${id}), got method ${got}`);
    }
  };

  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    closed.catch(reject);
  });
  socket.write(Buffer.from('AMQP\x00\x00\x09\x01', 'latin1'));
  await expect('10,10', 'connection.start');
  socket.write(
    encodeMethod(0, 10, 11, [
      stringTable({ product: 'warren-bench raw publisher' }),
      shortstr('PLAIN'),
      longstr(Buffer.from(`\0${user}\0${pass}`, 'utf8')),
      shortstr('en_US'),
    ]),
  );
  const tune = await expect('10,30', 'connection.tune');
  const channelMax = tune.payload.readUInt16BE(4);
  const serverFrameMax = tune.payload.readUInt32BE(6);
  conn.frameMax = serverFrameMax === 0 ? 131072 : serverFrameMax;
  // tune-ok: channel-max, frame-max, heartbeat 0 (off: this client never reads its clock).
  socket.write(encodeMethod(0, 10, 31, [u16(channelMax), u32(conn.frameMax), u16(0)]));
  socket.write(encodeMethod(0, 10, 40, [shortstr(vhost), shortstr(''), Buffer.from([0])]));
  await expect('10,41', 'connection.open-ok');
  socket.write(encodeMethod(1, 20, 10, [shortstr('')]));
  await expect('20,11', 'channel.open-ok');
  handshaking = false;
  for (const f of pending.splice(0)) conn.onFrame(f);
  return conn;
}

/** Sends connection.close and waits (briefly) for close-ok or the socket to end. */
export async function closeRaw(conn: RawConnection, timeoutMs = 2000): Promise<void> {
  const { socket } = conn;
  if (socket.destroyed) return;
  await new Promise<void>((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve();
    };
    const timer = setTimeout(done, timeoutMs);
    conn.onFrame = (frame) => {
      if (frame.type === FRAME_METHOD && methodId(frame) === '10,51') done();
    };
    socket.once('close', done);
    socket.write(encodeMethod(0, 10, 50, [u16(200), shortstr('bye'), u16(0), u16(0)]));
  });
}
