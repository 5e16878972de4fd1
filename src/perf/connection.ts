/**
 * One AMQP connection of the perf tool, with channel 1 open. It does the handshake and the few
 * request/reply methods a run needs (declares, qos, consume, confirm.select) with the broker's own
 * codec, then hands the socket's frames to a hot-path sink (a producer or consumer) that reads them
 * by offset. Frames a sink does not handle itself go back through `control()`.
 *
 * Every failure after the handshake (the broker closing the channel or connection, a reset) is fatal
 * for a benchmark: it is reported once through `onError` and the socket is destroyed.
 */
import { connect, type Socket } from 'node:net';
import { FrameParser, type FrameSink } from '../protocol/frame-parser.js';
import type { FieldTable } from '../protocol/field-types.js';
import { Reader } from '../protocol/reader.js';
import { decodeMethod, FRAME_HEARTBEAT, FRAME_METHOD, type Method } from '../protocol/generated/methods.js';
import { methodFrame } from './wire.js';

/** A frame sink that also hears where one socket read starts and ends (to batch per read). */
export interface ChunkSink extends FrameSink {
  beginChunk?(): void;
  endChunk?(): void;
  /** if present, takes the bytes of each read itself instead of parsed frames (see scanner.ts) */
  raw?(chunk: Buffer): void;
}

interface Waiter {
  expect: Method['kind'];
  resolve: (m: Method) => void;
  reject: (e: Error) => void;
}

export interface OpenOptions {
  /** heartbeat seconds asked for in tune-ok (0 = off) */
  heartbeat: number;
  /** shown by the broker as the connection's name */
  name: string;
  /** give up on the handshake after this long */
  timeoutMs?: number;
}

/** The parts of an amqp:// URL the handshake needs. */
export function parseAmqpUrl(url: string): {
  host: string;
  port: number;
  user: string;
  pass: string;
  vhost: string;
} {
  const u = new URL(url);
  if (u.protocol !== 'amqp:') throw new Error(`not an amqp:// URL: ${url}`);
  return {
    host: u.hostname.replace(/^\[|\]$/g, '') || '127.0.0.1',
    port: Number(u.port || 5672),
    user: decodeURIComponent(u.username || 'guest'),
    pass: decodeURIComponent(u.password || 'guest'),
    vhost: u.pathname.length > 1 ? decodeURIComponent(u.pathname.slice(1)) : '/',
  };
}

export class PerfConnection implements ChunkSink {
  readonly socket: Socket;
  frameMax = 131072;
  /** what the broker said about itself in connection.start (product, version, ...) */
  serverProperties: FieldTable = {};
  /** true while the broker has sent connection.blocked (resource alarm) */
  blocked = false;
  /** called once when the connection fails after the handshake (not for close()) */
  onError: (err: Error) => void = () => {};
  private readonly parser = new FrameParser(1 << 30);
  private sink: ChunkSink = this;
  private readonly waiters = new Map<number, Waiter[]>();
  private failure: Error | undefined;
  private closing = false;

  private constructor(socket: Socket) {
    this.socket = socket;
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => {
      const sink = this.sink;
      sink.beginChunk?.();
      try {
        if (sink.raw) sink.raw(chunk);
        else this.parser.push(chunk, sink);
      } catch (e) {
        this.fail(e instanceof Error ? e : new Error(String(e)));
      }
      sink.endChunk?.();
    });
    socket.on('error', (err) => this.fail(err));
    socket.on('close', () => this.fail(new Error('connection closed by the broker')));
  }

  static async open(url: string, options: OpenOptions): Promise<PerfConnection> {
    const { host, port, user, pass, vhost } = parseAmqpUrl(url);
    const conn = new PerfConnection(connect({ host, port }));
    const timer = setTimeout(
      () =>
        conn.fail(
          new Error(`no AMQP handshake with ${host}:${port} within ${options.timeoutMs ?? 30000} ms`),
        ),
      options.timeoutMs ?? 30000,
    );
    try {
      const start = conn.expect(0, 'connection.start');
      await new Promise<void>((resolve, reject) => {
        conn.socket.once('connect', resolve);
        conn.socket.once('error', reject);
      });
      conn.socket.write(Buffer.from('AMQP\x00\x00\x09\x01', 'latin1'));
      const started = await start;
      if (started.kind === 'connection.start') conn.serverProperties = started.serverProperties;
      const tune = conn.expect(0, 'connection.tune');
      conn.send(0, {
        kind: 'connection.start-ok',
        clientProperties: {
          product: 'warren perf',
          connection_name: options.name,
          capabilities: {
            publisher_confirms: true,
            consumer_cancel_notify: true,
            'connection.blocked': true,
            'basic.nack': true,
          },
        },
        mechanism: 'PLAIN',
        response: Buffer.from(`\0${user}\0${pass}`, 'utf8'),
        locale: 'en_US',
      });
      const t = (await tune) as Extract<Method, { kind: 'connection.tune' }>;
      conn.frameMax = t.frameMax === 0 ? 131072 : t.frameMax;
      conn.send(0, {
        kind: 'connection.tune-ok',
        channelMax: t.channelMax === 0 ? 2047 : t.channelMax,
        frameMax: conn.frameMax,
        heartbeat: options.heartbeat,
      });
      await conn.call(0, { kind: 'connection.open', virtualHost: vhost }, 'connection.open-ok');
      await conn.call(1, { kind: 'channel.open' }, 'channel.open-ok');
      return conn;
    } catch (e) {
      conn.socket.destroy();
      throw e;
    } finally {
      clearTimeout(timer);
    }
  }

  /** Routes this connection's frames to `sink` from the next frame on. */
  setSink(sink: ChunkSink): void {
    // A sink reading raw bytes starts at a frame boundary: nothing may be left half-parsed.
    if (sink.raw && this.parser.buffered > 0) throw new Error('switching to raw reading mid-frame');
    this.sink = sink;
  }

  send(channel: number, m: Method): void {
    if (!this.socket.destroyed) this.socket.write(methodFrame(channel, m));
  }

  /** Sends `m` and waits for the reply `expect` on the same channel; replies come in order. */
  call(channel: number, m: Method, expect: Method['kind']): Promise<Method> {
    const reply = this.expect(channel, expect);
    this.send(channel, m);
    return reply;
  }

  private expect(channel: number, expect: Method['kind']): Promise<Method> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      let list = this.waiters.get(channel);
      if (!list) this.waiters.set(channel, (list = []));
      list.push({ expect, resolve, reject });
    });
  }

  onFrame(type: number, channel: number, payload: Buffer): void {
    this.control(type, channel, payload);
  }

  /** Handles a frame outside the hot path: replies, closes, blocked/unblocked; heartbeats are ignored. */
  control(type: number, channel: number, payload: Buffer): void {
    if (type === FRAME_HEARTBEAT) return;
    if (type !== FRAME_METHOD) {
      this.fail(new Error(`unexpected content frame (type ${type}) on channel ${channel}`));
      return;
    }
    const m = decodeMethod(new Reader(payload));
    switch (m.kind) {
      case 'connection.close':
        this.send(0, { kind: 'connection.close-ok' });
        this.fail(new Error(`connection closed by the broker: ${m.replyCode} ${m.replyText}`));
        return;
      case 'channel.close':
        this.send(channel, { kind: 'channel.close-ok' });
        this.fail(new Error(`channel closed by the broker: ${m.replyCode} ${m.replyText}`));
        return;
      case 'connection.blocked':
        this.blocked = true;
        return;
      case 'connection.unblocked':
        this.blocked = false;
        return;
      case 'basic.cancel':
        this.fail(new Error('consumer cancelled by the broker (queue deleted?)'));
        return;
      default:
        break;
    }
    const w = this.waiters.get(channel)?.shift();
    if (w?.expect === m.kind) w.resolve(m);
    else
      this.fail(new Error(`unexpected ${m.kind} on channel ${channel}${w ? ` (expected ${w.expect})` : ''}`));
  }

  private fail(err: Error): void {
    if (this.failure) return;
    this.failure = err;
    for (const list of this.waiters.values()) for (const w of list.splice(0)) w.reject(err);
    this.socket.destroy();
    if (!this.closing) this.onError(err);
  }

  /** connection.close, then wait (briefly) for close-ok; the socket is destroyed either way. */
  async close(timeoutMs = 2000): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    if (this.failure || this.socket.destroyed) return;
    const ok = this.call(
      0,
      { kind: 'connection.close', replyCode: 200, replyText: 'bye', classId: 0, methodId: 0 },
      'connection.close-ok',
    ).catch(() => undefined);
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([ok, new Promise((r) => (timer = setTimeout(r, timeoutMs)))]);
    clearTimeout(timer);
    this.socket.destroy();
  }
}
