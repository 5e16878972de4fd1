/**
 * Shared plumbing for the amqplib integration tests: one broker per test file, connections that are
 * closed after every test, error assertions on AMQP reply codes and texts, a collecting consumer, and the
 * few AMQP methods amqplib has no public API for (tx.*, raw publish with every property).
 *
 * Every test must also pass against the real RabbitMQ (WARREN_TEST_URL), which is shared between runs:
 * hence unique names everywhere and clean-up of whatever a test declares outside exclusive queues.
 */
import assert from 'node:assert/strict';
import type { EventEmitter } from 'node:events';
import { createRequire } from 'node:module';
import net from 'node:net';
import path from 'node:path';
import { after, afterEach, before } from 'node:test';
import amqp from 'amqplib';
import type { Channel, ChannelModel, ConfirmChannel, ConsumeMessage, Options } from 'amqplib';
import type { WarrenOptions } from '../../src/index.js';
import { startBroker, uniqueName, type TestBroker } from './broker.js';
import { WAIT_MS, waitFor, withTimeout } from './wait.js';

/** What amqplib attaches to the errors of a server-side channel or connection close. */
export interface AmqpError extends Error {
  code?: number;
  classId?: number;
  methodId?: number;
}

/** AMQP reply codes the tests assert on. */
export const REPLY = {
  NO_ROUTE: 312,
  ACCESS_REFUSED: 403,
  NOT_FOUND: 404,
  RESOURCE_LOCKED: 405,
  PRECONDITION_FAILED: 406,
  COMMAND_INVALID: 503,
  NOT_ALLOWED: 530,
  NOT_IMPLEMENTED: 540,
} as const;

// ---------------------------------------------------------------------------------------------------
// amqplib internals used where its public API stops (tx.*, channel.flow, properties it does not expose)

interface AmqplibDefs {
  TxSelect: number;
  TxSelectOk: number;
  TxCommit: number;
  TxCommitOk: number;
  TxRollback: number;
  TxRollbackOk: number;
  ConfirmSelect: number;
  ConfirmSelectOk: number;
  ChannelFlow: number;
  ChannelFlowOk: number;
  BasicQos: number;
  BasicQosOk: number;
  BasicRecover: number;
  BasicRecoverOk: number;
  ConnectionClose: number;
}

interface AmqplibFrame {
  id?: number;
  fields?: Record<string, unknown>;
}

interface AmqplibConnection {
  recvFrame(): AmqplibFrame | false;
  open(fields: Record<string, unknown>, cb: (err: Error | null) => void): void;
  close(cb: (err: Error | null) => void): void;
  channelMax: number;
  frameMax: number;
  heartbeat: number;
  serverProperties: Record<string, unknown>;
}

interface ChannelInternals {
  ch: number;
  rpc(method: number, fields: Record<string, unknown>, expect: number): Promise<Record<string, unknown>>;
  sendMessage(fields: Record<string, unknown>, properties: Record<string, unknown>, content: Buffer): boolean;
  pushConfirmCallback(cb: ((err: Error | null) => void) | undefined): void;
}

// The package's "exports" map hides lib/, so resolve the package and require the files by path.
const requireCjs = createRequire(import.meta.url);
const amqplibDir = path.dirname(requireCjs.resolve('amqplib'));
export const defs = requireCjs(path.join(amqplibDir, 'lib', 'defs.js')) as AmqplibDefs;
const { Connection: RawConnection } = requireCjs(path.join(amqplibDir, 'lib', 'connection.js')) as {
  Connection: new (socket: net.Socket) => AmqplibConnection;
};

function internals(ch: Channel): ChannelInternals {
  return ch as unknown as ChannelInternals;
}

/** The negotiated connection parameters of an open amqplib connection. */
export function tuning(conn: ChannelModel): {
  channelMax: number;
  frameMax: number;
  heartbeat: number;
  serverProperties: Record<string, unknown>;
} {
  const c = conn.connection as unknown as AmqplibConnection;
  return {
    channelMax: c.channelMax,
    frameMax: c.frameMax,
    heartbeat: c.heartbeat,
    serverProperties: c.serverProperties,
  };
}

/** The channel number amqplib allocated for `ch`. */
export function channelNumber(ch: Channel): number {
  return internals(ch).ch;
}

/** Lets amqplib allocate channel numbers above the negotiated channel_max, to see what the server does. */
export function overrideClientChannelMax(conn: ChannelModel, channelMax: number): void {
  (conn.connection as unknown as AmqplibConnection).channelMax = channelMax;
}

/** A synchronous RPC amqplib has no API for, e.g. `rpc(ch, defs.TxSelect, {}, defs.TxSelectOk)`. */
export function rpc(
  ch: Channel,
  method: number,
  fields: Record<string, unknown>,
  expect: number,
): Promise<Record<string, unknown>> {
  return internals(ch).rpc(method, fields, expect);
}

export const txSelect = (ch: Channel) => rpc(ch, defs.TxSelect, {}, defs.TxSelectOk);
export const txCommit = (ch: Channel) => rpc(ch, defs.TxCommit, {}, defs.TxCommitOk);
export const txRollback = (ch: Channel) => rpc(ch, defs.TxRollback, {}, defs.TxRollbackOk);
export const confirmSelect = (ch: Channel) =>
  rpc(ch, defs.ConfirmSelect, { nowait: false }, defs.ConfirmSelectOk);

/** All fourteen basic properties, as amqplib names them. */
export interface RawProperties {
  contentType?: string;
  contentEncoding?: string;
  headers?: Record<string, unknown>;
  deliveryMode?: number;
  priority?: number;
  correlationId?: string;
  replyTo?: string;
  expiration?: string;
  messageId?: string;
  timestamp?: number;
  type?: string;
  userId?: string;
  appId?: string;
  clusterId?: string;
}

/**
 * basic.publish with every property and flag under the caller's control (amqplib's publish() drops
 * cluster-id and always sends immediate=false). On a confirm channel, `onConfirm` gets the ack (null)
 * or nack (an Error).
 */
export function rawPublish(
  ch: Channel,
  method: { exchange: string; routingKey: string; mandatory?: boolean; immediate?: boolean },
  properties: RawProperties,
  body: Buffer,
  onConfirm?: (err: Error | null) => void,
): void {
  const all: Record<string, unknown> = {
    exchange: method.exchange,
    routingKey: method.routingKey,
    mandatory: method.mandatory ?? false,
    immediate: method.immediate ?? false,
    ticket: 0,
    ...properties,
  };
  internals(ch).sendMessage(all, all, body);
  if (typeof (ch as Partial<ConfirmChannel>).waitForConfirms === 'function') {
    internals(ch).pushConfirmCallback(onConfirm);
  }
}

// ---------------------------------------------------------------------------------------------------
// Errors

/** The server's reply text, taken from amqplib's error message (`... with message "<text>"`). */
export function replyText(err: Error): string {
  const m = /with message "(.*)"$/s.exec(err.message);
  return m?.[1] ?? '';
}

/** Asserts that `err` carries reply `code` and, when given, reply text `text` (exact) or matching it. */
export function assertReply(err: unknown, code: number, text?: string | RegExp): AmqpError {
  assert.ok(err instanceof Error, `expected an AMQP error with code ${code}, got ${String(err)}`);
  const e = err as AmqpError;
  assert.equal(e.code, code, `reply code of: ${e.message}`);
  if (typeof text === 'string') assert.equal(replyText(e), text);
  else if (text) assert.match(replyText(e), text);
  return e;
}

/** Awaits `operation`, which must fail with reply `code` (and reply text `text` if given). */
export async function expectReply(
  operation: Promise<unknown>,
  code: number,
  text?: string | RegExp,
): Promise<AmqpError> {
  let failure: unknown;
  try {
    await withTimeout(operation, WAIT_MS, `an operation expected to fail with ${code}`);
  } catch (err) {
    failure = err;
  }
  assert.ok(failure !== undefined, `expected the operation to fail with ${code}, but it succeeded`);
  return assertReply(failure, code, text);
}

interface Watch {
  error: AmqpError | undefined;
  closed: boolean;
  done: Promise<AmqpError | undefined>;
}
const watches = new WeakMap<EventEmitter, Watch>();

/**
 * Records the error and the close of a channel or connection. amqplib throws an 'error' event without a
 * listener out of its frame loop, so every channel and connection the tests open goes through here.
 */
export function watch<T extends EventEmitter>(emitter: T): T {
  if (watches.has(emitter)) return emitter;
  let resolveDone: (err: AmqpError | undefined) => void = () => {};
  const w: Watch = {
    error: undefined,
    closed: false,
    done: new Promise((resolve) => (resolveDone = resolve)),
  };
  emitter.on('error', (err: AmqpError) => {
    w.error ??= err;
  });
  emitter.on('close', (err?: AmqpError) => {
    w.closed = true;
    resolveDone(w.error ?? err);
  });
  watches.set(emitter, w);
  return emitter;
}

/** Whether a watched channel or connection has closed (for any reason). */
export function isClosed(emitter: EventEmitter): boolean {
  return watches.get(emitter)?.closed ?? false;
}

/**
 * Waits until a watched channel or connection closes and returns the error that closed it. Rejects if it
 * closed cleanly or did not close within `ms`.
 */
export async function closedWithError(emitter: EventEmitter, ms = WAIT_MS): Promise<AmqpError> {
  const w = watches.get(emitter);
  assert.ok(w, 'closedWithError() needs a watch()ed channel or connection');
  const err = await withTimeout(w.done, ms, 'the server to close the channel or connection');
  assert.ok(err, 'closed without an error');
  return err;
}

// ---------------------------------------------------------------------------------------------------
// The per-file harness

export interface UrlParams {
  user?: string;
  password?: string;
  vhost?: string;
  query?: Record<string, string | number>;
}

export interface Harness {
  readonly broker: TestBroker;
  url(params?: UrlParams): string;
  /** A new connection, closed after the current test. */
  connect(params?: UrlParams): Promise<ChannelModel>;
  /** A channel on `conn`, or on this test's default connection. */
  channel(conn?: ChannelModel): Promise<Channel>;
  confirmChannel(conn?: ChannelModel): Promise<ConfirmChannel>;
  /** Declares a uniquely named, non-durable queue that is deleted after the test. */
  queue(options?: Options.AssertQueue, prefix?: string): Promise<string>;
  /** Declares a uniquely named, non-durable exchange that is deleted after the test. */
  exchange(type: string, options?: Options.AssertExchange, prefix?: string): Promise<string>;
  /** Deletes this queue or exchange after the test (for names declared by hand). */
  deleteAfter(kind: 'queue' | 'exchange', name: string): void;
}

/**
 * Without TCP_NODELAY, amqplib's handshake and small publishes run into Nagle plus delayed ACKs: every
 * connect then takes ~40 ms against RabbitMQ.
 */
export const SOCKET_OPTIONS = { noDelay: true } as const;

/**
 * Starts one broker for the enclosing `describe` (or points at WARREN_TEST_URL) and closes every
 * connection a test opened when the test ends.
 */
export function useBroker(options: Partial<WarrenOptions> = {}): Harness {
  let broker: TestBroker | undefined;
  let connections: ChannelModel[] = [];
  let defaultConnection: ChannelModel | undefined;
  let garbage: Array<{ kind: 'queue' | 'exchange'; name: string }> = [];

  before(async () => {
    broker = await startBroker(options);
  });
  after(async () => {
    await broker?.close();
  });
  afterEach(async () => {
    const open = connections;
    connections = [];
    defaultConnection = undefined;
    await Promise.all(open.map((c) => closeQuietly(c)));
    const toDelete = garbage;
    garbage = [];
    if (toDelete.length > 0 && broker) {
      const c = watch(await amqp.connect(broker.url, SOCKET_OPTIONS));
      try {
        for (const g of toDelete) {
          const ch = watch(await c.createChannel());
          try {
            if (g.kind === 'queue') await ch.deleteQueue(g.name);
            else await ch.deleteExchange(g.name);
            await ch.close();
          } catch {
            // already gone, or the channel was closed by the delete: nothing to clean up
          }
        }
      } finally {
        await closeQuietly(c);
      }
    }
  });

  const h: Harness = {
    get broker(): TestBroker {
      assert.ok(broker, 'broker not started (use the harness inside a test)');
      return broker;
    },
    url(params: UrlParams = {}): string {
      const u = new URL(h.broker.url);
      if (params.user !== undefined) u.username = encodeURIComponent(params.user);
      if (params.password !== undefined) u.password = encodeURIComponent(params.password);
      if (params.vhost !== undefined) u.pathname = `/${encodeURIComponent(params.vhost)}`;
      for (const [k, v] of Object.entries(params.query ?? {})) u.searchParams.set(k, String(v));
      return u.toString();
    },
    async connect(params?: UrlParams): Promise<ChannelModel> {
      const c = watch(await amqp.connect(h.url(params), SOCKET_OPTIONS));
      connections.push(c);
      return c;
    },
    async channel(conn?: ChannelModel): Promise<Channel> {
      return watch(await (conn ?? (await defaultConn())).createChannel());
    },
    async confirmChannel(conn?: ChannelModel): Promise<ConfirmChannel> {
      return watch(await (conn ?? (await defaultConn())).createConfirmChannel());
    },
    async queue(queueOptions: Options.AssertQueue = {}, prefix = 'q'): Promise<string> {
      const name = uniqueName(prefix);
      const ch = await h.channel();
      await ch.assertQueue(name, { durable: false, ...queueOptions });
      await ch.close();
      h.deleteAfter('queue', name);
      return name;
    },
    async exchange(
      type: string,
      exchangeOptions: Options.AssertExchange = {},
      prefix = 'x',
    ): Promise<string> {
      const name = uniqueName(prefix);
      const ch = await h.channel();
      await ch.assertExchange(name, type, { durable: false, ...exchangeOptions });
      await ch.close();
      h.deleteAfter('exchange', name);
      return name;
    },
    deleteAfter(kind: 'queue' | 'exchange', name: string): void {
      garbage.push({ kind, name });
    },
  };

  async function defaultConn(): Promise<ChannelModel> {
    if (!defaultConnection || isClosed(defaultConnection)) defaultConnection = await h.connect();
    return defaultConnection;
  }

  return h;
}

async function closeQuietly(c: ChannelModel): Promise<void> {
  if (isClosed(c)) return;
  try {
    await withTimeout(c.close(), WAIT_MS, 'connection close');
  } catch {
    // closed by the server meanwhile, or broken on purpose by the test
  }
}

// ---------------------------------------------------------------------------------------------------
// Consuming and publishing

/** A consumer that collects its deliveries, and notes a server-sent basic.cancel. */
export class Inbox {
  readonly messages: ConsumeMessage[] = [];
  cancelledByServer = false;
  consumerTag = '';

  private constructor(readonly channel: Channel) {}

  /** Starts consuming; with `autoAck` each delivery is acked as soon as it arrives. */
  static async consume(
    ch: Channel,
    queue: string,
    options: Options.Consume = {},
    autoAck = false,
  ): Promise<Inbox> {
    const inbox = new Inbox(ch);
    const ok = await ch.consume(
      queue,
      (msg) => {
        if (msg === null) {
          inbox.cancelledByServer = true;
          return;
        }
        inbox.messages.push(msg);
        if (autoAck) ch.ack(msg);
      },
      options,
    );
    inbox.consumerTag = ok.consumerTag;
    return inbox;
  }

  /** Waits until at least `n` messages have arrived and returns all of them. */
  async atLeast(n: number, ms = WAIT_MS): Promise<ConsumeMessage[]> {
    await waitFor(() => this.messages.length >= n, ms, `${n} deliveries (have ${this.messages.length})`);
    return this.messages;
  }

  bodies(): string[] {
    return this.messages.map((m) => m.content.toString());
  }
}

/** Publishes on a confirm channel and resolves when the broker acks (rejects on nack). */
export function publishConfirmed(
  ch: ConfirmChannel,
  exchange: string,
  routingKey: string,
  body: Buffer | string,
  options: Options.Publish = {},
): Promise<void> {
  return withTimeout(
    new Promise<void>((resolve, reject) => {
      ch.publish(exchange, routingKey, Buffer.from(body), options, (err: unknown) =>
        err ? reject(err instanceof Error ? err : new Error(String(err))) : resolve(),
      );
    }),
    WAIT_MS,
    'a publisher confirm',
  );
}

/** Publishes `bodies` to a queue through the default exchange and waits for all confirms. */
export async function fill(
  ch: ConfirmChannel,
  queue: string,
  bodies: string[],
  options: Options.Publish = {},
) {
  for (const b of bodies) ch.sendToQueue(queue, Buffer.from(b), options);
  await withTimeout(ch.waitForConfirms(), WAIT_MS, 'publisher confirms');
}

/** Takes every ready message out of `queue` with basic.get (no-ack) and returns their bodies. */
export async function drain(ch: Channel, queue: string): Promise<string[]> {
  const bodies: string[] = [];
  for (;;) {
    const m = await ch.get(queue, { noAck: true });
    if (m === false) return bodies;
    bodies.push(m.content.toString());
  }
}

/** The current ready-message count of a queue, via a passive declare. */
export async function readyCount(ch: Channel, queue: string): Promise<number> {
  return (await ch.checkQueue(queue)).messageCount;
}

export const range = (n: number, prefix = 'm'): string[] =>
  Array.from({ length: n }, (_, i) => `${prefix}${i}`);

// ---------------------------------------------------------------------------------------------------
// Opening handshake with the server's connection.close captured

export interface CloseFields {
  replyCode: number;
  replyText: string;
  classId: number;
  methodId: number;
}

/**
 * Runs amqplib's opening handshake and reports the connection.close the server sent instead of
 * completing it. amqp.connect() only says "Expected ConnectionOpenOk; got <ConnectionClose>" for a close
 * after connection.open, without code or text, so this taps the frames amqplib reads.
 */
export async function handshake(
  broker: TestBroker,
  params: { user: string; password: string; vhost: string },
): Promise<{ opened: boolean; close: CloseFields | undefined; error: Error | undefined }> {
  const socket = net.connect({ host: broker.host, port: broker.port, noDelay: true });
  await withTimeout(
    new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    }),
    WAIT_MS,
    'TCP connect',
  );
  const conn = new RawConnection(socket);
  let close: CloseFields | undefined;
  const recv = conn.recvFrame.bind(conn);
  conn.recvFrame = () => {
    const f = recv();
    if (f && f.id === defs.ConnectionClose && !close) close = f.fields as unknown as CloseFields;
    return f;
  };
  const fields = {
    clientProperties: {
      product: 'warren-integration-tests',
      capabilities: { authentication_failure_close: true, 'basic.nack': true, consumer_cancel_notify: true },
    },
    mechanism: 'PLAIN',
    response: Buffer.from(`\0${params.user}\0${params.password}`),
    locale: 'en_US',
    channelMax: 0,
    frameMax: 131072,
    heartbeat: 0,
    virtualHost: params.vhost,
    capabilities: '',
    insist: 0,
  };
  const error = await withTimeout(
    new Promise<Error | null>((resolve) => conn.open(fields, resolve)),
    WAIT_MS,
    'the opening handshake',
  );
  if (error === null) {
    await withTimeout(new Promise((resolve) => conn.close(resolve)), WAIT_MS, 'connection close');
  }
  socket.destroy();
  return { opened: error === null, close, error: error ?? undefined };
}
