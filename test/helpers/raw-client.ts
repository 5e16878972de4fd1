/**
 * A hand-driven AMQP 0-9-1 client on a raw TCP socket, for tests that must put exactly the bytes a
 * broken or hostile client would on the wire. Frames are built by hand (type, channel, size, payload,
 * 0xCE) around payloads from the generated encoders; what the broker sends back is parsed with the
 * broker's own FrameParser and decodeMethod, and every byte received is also kept raw (the answer to a
 * bad protocol header is not a frame).
 *
 * Every wait is bounded: a test that expects a reply and gets none fails with what did arrive.
 */
import assert from 'node:assert/strict';
import net from 'node:net';
import { FrameParser } from '../../src/protocol/frame-parser.js';
import * as M from '../../src/protocol/generated/methods.js';
import { Reader } from '../../src/protocol/reader.js';
import { Writer } from '../../src/protocol/writer.js';
import { WAIT_MS, withTimeout } from './wait.js';

export const PROTOCOL_HEADER = Buffer.from([0x41, 0x4d, 0x51, 0x50, 0, 0, 9, 1]);

// ---------------------------------------------------------------------------------------------------
// Frame building

/** type(1) channel(2) size(4) payload 0xCE */
export function frame(type: number, channel: number, payload: Buffer, end = M.FRAME_END): Buffer {
  const b = Buffer.alloc(8 + payload.length);
  b[0] = type;
  b.writeUInt16BE(channel, 1);
  b.writeUInt32BE(payload.length, 3);
  payload.copy(b, 7);
  b[7 + payload.length] = end;
  return b;
}

/** class id, method id and arguments of `m`, as the generated encoder writes them */
export function methodPayload(m: M.Method): Buffer {
  const w = new Writer(256);
  M.encodeMethod(w, m);
  return Buffer.from(w.buf.subarray(0, w.pos));
}

export function methodFrame(channel: number, m: M.Method): Buffer {
  return frame(M.FRAME_METHOD, channel, methodPayload(m));
}

/** class id, weight, body size, then the property flags and properties */
export function headerPayload(bodySize: number, props: M.BasicProperties = {}, classId = 60): Buffer {
  const w = new Writer(256);
  w.u16(classId);
  w.u16(0);
  w.u64(bodySize);
  M.encodeBasicProperties(w, props);
  return Buffer.from(w.buf.subarray(0, w.pos));
}

export function headerFrame(channel: number, bodySize: number, props: M.BasicProperties = {}): Buffer {
  return frame(M.FRAME_HEADER, channel, headerPayload(bodySize, props));
}

export function bodyFrame(channel: number, body: Buffer): Buffer {
  return frame(M.FRAME_BODY, channel, body);
}

export function heartbeatFrame(channel = 0): Buffer {
  return frame(M.FRAME_HEARTBEAT, channel, Buffer.alloc(0));
}

/** basic.publish to `exchange` with `routingKey`, no flags */
export function publishMethod(exchange: string, routingKey: string): M.BasicPublish {
  return { kind: 'basic.publish', exchange, routingKey, mandatory: false, immediate: false };
}

/** A queue.declare with every flag off unless given. */
export function queueDeclareMethod(
  queue: string,
  flags: Partial<Omit<M.QueueDeclare, 'kind' | 'queue'>> = {},
): M.QueueDeclare {
  return {
    kind: 'queue.declare',
    queue,
    passive: false,
    durable: false,
    exclusive: false,
    autoDelete: false,
    noWait: false,
    arguments: {},
    ...flags,
  };
}

// ---------------------------------------------------------------------------------------------------
// The client

export interface Frame {
  type: number;
  channel: number;
  /** a copy, safe to keep */
  payload: Buffer;
  /** the decoded method of a method frame, when it decodes */
  method: M.Method | undefined;
}

type Kind = M.Method['kind'];
type MethodOf<K extends Kind> = Extract<M.Method, { kind: K }>;

export interface HandshakeOptions {
  user?: string;
  password?: string;
  vhost?: string;
  heartbeat?: number;
  /** frame_max sent in tune-ok; default: what the server offered */
  frameMax?: number;
}

export class RawClient {
  readonly socket: net.Socket;
  /** connection.tune as the server sent it, once the handshake got that far */
  tune: M.ConnectionTune | undefined;
  /** set when the server sent bytes that do not parse as frames (e.g. a protocol header) */
  parseError: unknown;
  private readonly inbound: Buffer[] = [];
  private readonly frames: Frame[] = [];
  private readonly parser = new FrameParser(64 * 1024 * 1024);
  private wake: (() => void) | undefined;
  private closedFlag = false;
  private readonly closedPromise: Promise<void>;

  private constructor(socket: net.Socket) {
    this.socket = socket;
    this.closedPromise = new Promise((resolve) => socket.once('close', () => resolve()));
    socket.on('close', () => {
      this.closedFlag = true;
      this.notify();
    });
    // A reset from a broker that cut us off is an expected outcome here, not a test failure.
    socket.on('error', () => {});
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
  }

  /** Opens the TCP connection only; nothing is sent. */
  static async connect(port: number, host = '127.0.0.1'): Promise<RawClient> {
    const socket = net.connect({ port, host, noDelay: true });
    try {
      await withTimeout(
        new Promise<void>((resolve, reject) => {
          socket.once('connect', resolve);
          socket.once('error', reject);
        }),
        WAIT_MS,
        'TCP connect',
      );
    } catch (e) {
      socket.destroy();
      throw e;
    }
    return new RawClient(socket);
  }

  /** Connects and runs the whole opening handshake (PLAIN guest/guest on "/" by default). */
  static async open(port: number, host = '127.0.0.1', options: HandshakeOptions = {}): Promise<RawClient> {
    const c = await RawClient.connect(port, host);
    try {
      await c.handshake(options);
    } catch (e) {
      c.destroy();
      throw e;
    }
    return c;
  }

  get closed(): boolean {
    return this.closedFlag;
  }

  /** Every byte received so far, in order. */
  received(): Buffer {
    return Buffer.concat(this.inbound);
  }

  write(bytes: Buffer | string): void {
    if (!this.socket.destroyed) this.socket.write(bytes);
  }

  sendMethod(channel: number, m: M.Method): void {
    this.write(methodFrame(channel, m));
  }

  /** basic.publish, its content header and (unless empty) one body frame, in one write. */
  publish(
    channel: number,
    exchange: string,
    routingKey: string,
    body: Buffer,
    props: M.BasicProperties = {},
  ): void {
    this.write(
      Buffer.concat([
        methodFrame(channel, publishMethod(exchange, routingKey)),
        headerFrame(channel, body.length, props),
        ...(body.length > 0 ? [bodyFrame(channel, body)] : []),
      ]),
    );
  }

  async handshake(options: HandshakeOptions = {}): Promise<void> {
    this.write(PROTOCOL_HEADER);
    await this.expectMethod('connection.start', 0);
    this.sendMethod(0, {
      kind: 'connection.start-ok',
      clientProperties: { product: 'warren-raw-tests', capabilities: { consumer_cancel_notify: true } },
      mechanism: 'PLAIN',
      response: Buffer.from(`\0${options.user ?? 'guest'}\0${options.password ?? 'guest'}`),
      locale: 'en_US',
    });
    const tune = await this.expectMethod('connection.tune', 0);
    this.tune = tune;
    this.sendMethod(0, {
      kind: 'connection.tune-ok',
      channelMax: tune.channelMax,
      frameMax: options.frameMax ?? tune.frameMax,
      heartbeat: options.heartbeat ?? 0,
    });
    this.sendMethod(0, { kind: 'connection.open', virtualHost: options.vhost ?? '/' });
    await this.expectMethod('connection.open-ok', 0);
  }

  async openChannel(channel: number): Promise<void> {
    this.sendMethod(channel, { kind: 'channel.open' });
    await this.expectMethod('channel.open-ok', channel);
  }

  /** The next frame from the server (heartbeats included). Rejects on timeout or when the socket closed. */
  async nextFrame(ms = WAIT_MS): Promise<Frame> {
    const deadline = Date.now() + ms;
    for (;;) {
      const f = this.frames.shift();
      if (f) return f;
      if (this.parseError !== undefined) {
        throw new Error(
          `the server sent bytes that are not AMQP frames (${String(this.parseError)}); received ${describe(this.received())}`,
        );
      }
      if (this.closedFlag)
        throw new Error(`socket closed while waiting for a frame; received ${describe(this.received())}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out after ${ms} ms waiting for a frame`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.wake = undefined;
    }
  }

  /** The next method frame (heartbeats skipped), with its channel. */
  async nextMethod(ms = WAIT_MS): Promise<{ channel: number; method: M.Method }> {
    const deadline = Date.now() + ms;
    for (;;) {
      const f = await this.nextFrame(Math.max(1, deadline - Date.now()));
      if (f.type === M.FRAME_HEARTBEAT) continue;
      assert.equal(
        f.type,
        M.FRAME_METHOD,
        `expected a method frame, got frame type ${f.type} on channel ${f.channel}`,
      );
      assert.ok(f.method, `method frame that does not decode: ${f.payload.toString('hex')}`);
      return { channel: f.channel, method: f.method };
    }
  }

  /** Asserts that the next method is `kind` (on `channel`, when given) and returns it. */
  async expectMethod<K extends Kind>(kind: K, channel?: number, ms = WAIT_MS): Promise<MethodOf<K>> {
    const { channel: ch, method } = await this.nextMethod(ms);
    assert.equal(
      method.kind,
      kind,
      `expected ${kind}, got ${JSON.stringify(method, replacer)} on channel ${ch}`,
    );
    if (channel !== undefined)
      assert.equal(ch, channel, `${kind} arrived on channel ${ch}, expected ${channel}`);
    return method as MethodOf<K>;
  }

  /**
   * Expects connection.close with `code`, answers close-ok, and waits for the server to close the
   * socket. Returns the close for further assertions (reply text, class and method ids).
   */
  async expectConnectionClose(code: number, ms = WAIT_MS): Promise<M.ConnectionClose> {
    const close = await this.expectMethod('connection.close', 0, ms);
    assert.equal(close.replyCode, code, `connection.close reply: ${close.replyCode} ${close.replyText}`);
    this.sendMethod(0, { kind: 'connection.close-ok' });
    await this.waitClosed(ms);
    return close;
  }

  /** Expects channel.close with `code` on `channel` and answers close-ok. */
  async expectChannelClose(channel: number, code: number, ms = WAIT_MS): Promise<M.ChannelClose> {
    const close = await this.expectMethod('channel.close', channel, ms);
    assert.equal(close.replyCode, code, `channel.close reply: ${close.replyCode} ${close.replyText}`);
    this.sendMethod(channel, { kind: 'channel.close-ok' });
    return close;
  }

  /** Resolves when the server has closed the socket; rejects after `ms`. */
  waitClosed(ms = WAIT_MS): Promise<void> {
    return withTimeout(this.closedPromise, ms, 'the server to close the socket');
  }

  /** Closes politely when still open (connection.close, then close-ok awaited briefly), else no-op. */
  async close(): Promise<void> {
    if (this.closedFlag) return;
    try {
      this.sendMethod(0, {
        kind: 'connection.close',
        replyCode: 200,
        replyText: 'bye',
        classId: 0,
        methodId: 0,
      });
      await withTimeout(this.closedPromise, 1000, 'close');
    } catch {
      // the test left the connection in a state where a polite close is not answered
    } finally {
      this.destroy();
    }
  }

  destroy(): void {
    this.socket.destroy();
  }

  private onData(chunk: Buffer): void {
    this.inbound.push(chunk);
    if (this.parser.failed) return;
    try {
      this.parser.push(chunk, {
        onFrame: (type, channel, payload) => {
          let method: M.Method | undefined;
          if (type === M.FRAME_METHOD) {
            try {
              method = M.decodeMethod(new Reader(payload));
            } catch {
              method = undefined;
            }
          }
          this.frames.push({ type, channel, payload: Buffer.from(payload), method });
        },
      });
    } catch (e) {
      this.parseError = e;
    }
    this.notify();
  }

  private notify(): void {
    this.wake?.();
  }
}

function replacer(_key: string, v: unknown): unknown {
  if (typeof v === 'bigint') return v.toString();
  if (v && typeof v === 'object' && (v as { type?: unknown }).type === 'Buffer') {
    return Buffer.from((v as { data: number[] }).data).toString('latin1');
  }
  return v;
}

function describe(b: Buffer): string {
  if (b.length === 0) return 'nothing';
  return `${b.length} bytes, ending ${b.subarray(Math.max(0, b.length - 96)).toString('hex')}`;
}
