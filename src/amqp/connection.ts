/**
 * One client connection: protocol header, handshake (start/tune/open), channel multiplexing,
 * heartbeats, and closing in both directions. Frames arrive from the FrameParser as slices of the read
 * buffer; methods are decoded here and handed to the channel they name.
 *
 * Error policy: a soft AmqpError (< 500, except 320/402) thrown while handling a channel's frame
 * closes that channel; anything else closes the connection with connection.close, after which only
 * close-ok is awaited (and the socket is cut if it does not come within CLOSE_TIMEOUT_MS).
 */
import type { Socket } from 'node:net';
import { checkChannelOpen, checkConnectionOpen } from '../auth/open-checks.js';
import type { Broker, ConnectionInfo, User } from '../core/broker.js';
import type { VHost } from '../core/vhost.js';
import type { Logger } from '../log.js';
import {
  AmqpError,
  channelError,
  commandInvalid,
  frameError,
  notAllowed,
  ReplyCode,
  unexpectedFrame,
} from '../protocol/errors.js';
import { FrameParser } from '../protocol/frame-parser.js';
import * as M from '../protocol/generated/methods.js';
import { Reader } from '../protocol/reader.js';
import type { FieldTable } from '../protocol/field-types.js';
import { Channel } from './channel.js';
import { directReplyTo } from './direct-reply-to.js';
import { Outbox } from './outbox.js';
import { PUBLISH_BUDGET, yieldTurn, type Yielder } from './read-fairness.js';
import { installReader, type ReadTarget } from './socket-reader.js';
import { offeredMechanisms, saslLogin, type SaslConfig } from './sasl.js';
import { serverProperties } from './server-properties.js';
import { tuneRefusal } from './tune-limits.js';
import type { Session } from './session.js';
import { PublishThrottle, type ThrottleState } from '../alarms/publish-throttle.js';
import { tlsSession, type TlsSession } from './tls-peer.js';
import { OUTPUT_HOLD_BYTES, REPLY_DROP_BYTES, STORE_HOLD_BYTES } from './input-hold.js';
import { addCounters } from '../stats/counters.js';

export interface ConnectionLimits {
  frameMax: number;
  channelMax: number;
  heartbeat: number;
  handshakeTimeoutMs: number;
  maxMessageSize: number;
  /** an unacked delivery older than this closes its channel (406); undefined = off */
  consumerTimeoutMs: number | undefined;
  /** mechanisms and EXTERNAL settings (sasl.ts) */
  sasl: SaslConfig;
}

const PROTOCOL_HEADER = Buffer.from([0x41, 0x4d, 0x51, 0x50, 0, 0, 9, 1]);
const CLOSE_TIMEOUT_MS = 3000;
/**
 * Stop delivering to a connection whose unsent bytes, not counting the newest message, exceed this;
 * resume on 'drain' (see writable()).
 */
const WRITE_HIGH_WATER = 1024 * 1024;
/**
 * Rest of a body frame worth a read of its own straight into the message body (socket-reader.ts):
 * smaller rests come with the next ordinary read and are copied.
 */
const DIRECT_READ_MIN = 16 * 1024;
/**
 * Body frames from this size on make the reader read frame boundaries exactly (FrameParser.readLimit),
 * and the start of the next message in at most MESSAGE_HEAD bytes: two more reads per frame, paid for
 * by every payload byte landing in place instead of being copied.
 */
const BIG_FRAME = 64 * 1024;
const MESSAGE_HEAD = 4 * 1024;

type Phase = 'header' | 'start-ok' | 'tune-ok' | 'open' | 'running' | 'closing' | 'closed';

export class Connection implements Session, ConnectionInfo, Yielder {
  readonly id: number;
  readonly broker: Broker;
  readonly out: Outbox;
  readonly peerHost: string;
  readonly peerPort: number;
  readonly connectedAt = Date.now();
  /** the TLS session of an AMQPS connection; undefined on plain TCP */
  readonly tls: TlsSession | undefined;
  private readonly socket: Socket;
  private readonly log: Logger;
  private readonly limits: ConnectionLimits;
  private readonly parser: FrameParser;
  private phase: Phase = 'header';
  private headerBytes: Buffer[] = [];
  private readonly channels = new Map<number, Channel>();
  private userValue: User | undefined;
  private vhostValue: VHost | undefined;
  clientProperties: FieldTable = {};
  consumerCancelNotify = false;
  private authFailureClose = false;
  private mechanism = '';
  frameMax: number;
  channelMax: number;
  heartbeat = 0;
  /** monotonic (performance.now()), like out.lastWrite: heartbeats must not follow the wall clock */
  private lastRead = performance.now();
  private heartbeatTimer: NodeJS.Timeout | undefined;
  private handshakeTimer: NodeJS.Timeout | undefined;
  private closeTimer: NodeJS.Timeout | undefined;
  /** bytes and socket reads received, for stats (recv_oct, recv_cnt) */
  bytesIn = 0;
  reads = 0;
  /** publishes completed during the current turn (see read-fairness.ts) */
  private publishes = 0;
  private yielding = false;
  /** not read until the socket drains: its unsent output passed OUTPUT_HOLD_BYTES (input-hold.ts) */
  private heldForOutput = false;
  /** not read until the message store has written its backlog (input-hold.ts) */
  private heldForStore = false;
  /** resource alarms: blocks this connection when it publishes during one (publish-throttle.ts) */
  private readonly throttle: PublishThrottle;

  constructor(socket: Socket, broker: Broker, limits: ConnectionLimits, log: Logger) {
    this.id = broker.connectionId();
    this.socket = socket;
    this.broker = broker;
    this.limits = limits;
    this.frameMax = limits.frameMax;
    this.channelMax = limits.channelMax;
    this.peerHost = socket.remoteAddress ?? '';
    this.peerPort = socket.remotePort ?? 0;
    this.tls = tlsSession(socket);
    this.log = log.child({ connection: this.name });
    this.out = new Outbox(socket);
    this.out.frameMax = limits.frameMax;
    this.out.onRoom = () => this.onDrain();
    this.parser = new FrameParser(limits.frameMax);
    this.throttle = new PublishThrottle(broker.alarms, {
      stopReading: () => {
        this.parser.stopped = true;
        this.socket.pause();
      },
      resumeReading: () => {
        this.lastRead = performance.now();
        if (this.yielding) return; // the pending continueTurn resumes it
        this.yielding = true;
        yieldTurn(this);
      },
      sendBlocked: (reason) => this.out.method(0, M.encodeConnectionBlocked, { reason }),
      sendUnblocked: () => this.out.method(0, M.encodeConnectionUnblocked, {}),
    });

    socket.setNoDelay(true);
    const reader: ReadTarget = {
      directTarget: () => this.parser.directTarget(DIRECT_READ_MIN),
      readLimit: () => this.parser.readLimit(BIG_FRAME, MESSAGE_HEAD),
      readDirect: (n) => this.onDirectRead(n),
      readChunk: (chunk) => this.onData(chunk),
    };
    if (this.tls !== undefined || !installReader(socket, reader)) {
      socket.on('data', (chunk: Buffer) => this.onData(chunk));
    }
    socket.on('drain', () => this.onDrain());
    socket.on('error', (err) => this.log.debug({ err: err.message }, 'socket error'));
    socket.on('close', () => this.onSocketClose());
    this.handshakeTimer = setTimeout(() => {
      this.log.warn('closing connection: handshake did not complete in time');
      this.socket.destroy();
    }, limits.handshakeTimeoutMs);
    this.handshakeTimer.unref();
  }

  get name(): string {
    return `${this.peerHost}:${this.peerPort} -> ${this.socket.localAddress ?? ''}:${this.socket.localPort ?? 0}`;
  }

  get user(): User {
    if (!this.userValue) throw new Error('connection has no user before start-ok');
    return this.userValue;
  }

  get vhost(): VHost {
    if (!this.vhostValue) throw new Error('connection has no vhost before open');
    return this.vhostValue;
  }

  /** ConnectionInfo: names for listings */
  get userName(): string {
    return this.userValue?.name ?? '';
  }

  get vhostName(): string {
    return this.vhostValue?.name ?? '';
  }

  get channelCount(): number {
    return this.channels.size;
  }

  get state(): Phase {
    return this.phase;
  }

  get maxMessageSize(): number {
    return this.limits.maxMessageSize;
  }

  get consumerTimeoutMs(): number | undefined {
    return this.limits.consumerTimeoutMs;
  }

  allChannels(): IterableIterator<Channel> {
    return this.channels.values();
  }

  /** ConnectionInfo: the channels, read-only */
  channelInfos(): IterableIterator<Channel> {
    return this.channels.values();
  }

  get bytesOut(): number {
    return this.out.bytesOut;
  }

  get localHost(): string {
    return this.socket.localAddress ?? '';
  }

  get localPort(): number {
    return this.socket.localPort ?? 0;
  }

  get sendPending(): number {
    return this.out.pending;
  }

  get writes(): number {
    return this.out.writes;
  }

  /**
   * Whether deliveries may go on. The newest message queued does not count against the mark: with
   * messages as large as the mark or larger, counting it would allow only one message in flight, so
   * the next one could be encoded only after the whole of it was handed to the kernel ('drain' comes
   * when nothing is left unsent) and the socket would idle at every hand-off. Measured with 1 MiB
   * messages and one consumer: 300-550 msg/s counting it, 1,000-1,200 not. The bound stays: at most
   * the mark plus two messages per connection, the one not counted and the one this lets in.
   */
  writable(): boolean {
    if (this.out.pending < WRITE_HIGH_WATER + this.out.lastContent) return true;
    this.out.waitingForRoom = true;
    return false;
  }

  acceptsReplies(): boolean {
    return this.out.pending < REPLY_DROP_BYTES;
  }

  // ---------- input ----------

  /** Bytes the socket reader put straight into a body frame's place (socket-reader.ts). */
  private onDirectRead(n: number): void {
    this.lastRead = performance.now();
    this.bytesIn += n;
    this.reads++;
    this.parser.readDirect(n);
  }

  private onData(chunk: Buffer): void {
    this.lastRead = performance.now();
    this.bytesIn += chunk.length;
    this.reads++;
    if (this.phase === 'closed') return;
    try {
      if (this.phase === 'header') {
        chunk = this.readProtocolHeader(chunk);
        if (chunk.length === 0) return;
      }
      this.parser.push(chunk, this);
      this.endOfRead();
    } catch (e) {
      this.onError(e, 0);
      // The byte stream can no longer be trusted to be in step with frame boundaries.
      if (this.parser.failed) this.terminate();
    }
  }

  /** Channels call this for each completed publish; past the budget, parsing stops for this turn. */
  published(): void {
    if (++this.publishes >= PUBLISH_BUDGET) this.parser.stopped = true;
  }

  /**
   * Channels call this after answering a basic.get: once the client's unread output passes
   * OUTPUT_HOLD_BYTES, parsing stops for this turn (input-hold.ts), so a pipeline of gets from a client
   * that does not read cannot move a whole queue into its outbox.
   */
  answered(): void {
    if (this.out.pending >= OUTPUT_HOLD_BYTES) this.parser.stopped = true;
  }

  /**
   * After a read: a connection that published, or whose parsing was stopped, or whose output is backed
   * up, gives up its socket until the turn ends (continueTurn decides when it is read again).
   */
  private endOfRead(): void {
    if (this.yielding || this.phase === 'closed') return;
    if (this.publishes === 0 && !this.parser.stopped && this.out.pending < OUTPUT_HOLD_BYTES) return;
    this.yielding = true;
    this.socket.pause();
    yieldTurn(this);
  }

  continueTurn(): void {
    this.yielding = false;
    this.publishes = 0;
    // A blocked connection stays paused until the alarms clear (publish-throttle.ts).
    if (this.throttle.blocked || this.phase === 'closed' || this.socket.destroyed) return;
    if (this.holdInput()) return;
    try {
      if (this.parser.stopped) {
        this.parser.stopped = false;
        this.parser.resume(this);
      }
      if (this.throttle.blocked) return;
      // Published again, or stopped again by answered(): the next turn decides (and may hold).
      if (this.publishes > 0 || this.parser.stopped) {
        this.yielding = true;
        yieldTurn(this);
        return;
      }
    } catch (e) {
      this.onError(e, 0);
      if (this.parser.failed) this.terminate();
    }
    this.socket.resume();
  }

  /**
   * Keeps the socket unread while this client's output or the message store is backed up
   * (input-hold.ts); true when held. Reading resumes from onDrain, or once the store has written what
   * it held.
   */
  private holdInput(): boolean {
    if (this.out.pending >= OUTPUT_HOLD_BYTES) {
      this.heldForOutput = true;
      return true;
    }
    const store = this.broker.store;
    if (store !== undefined && store.bufferedBytes >= STORE_HOLD_BYTES) {
      this.heldForStore = true;
      store.whenSynced(() => {
        // Waiting for the disk is not the client's silence: its heartbeats are simply unread.
        this.heldForStore = false;
        this.lastRead = performance.now();
        this.releaseInput();
      });
      return true;
    }
    return false;
  }

  /** A hold ended: continue at the end of this turn, unless something else resumes it already. */
  private releaseInput(): void {
    if (this.yielding || this.phase === 'closed') return;
    this.yielding = true;
    yieldTurn(this);
  }

  /** Consumes the 8-byte protocol header; returns whatever followed it in the same read. */
  private readProtocolHeader(chunk: Buffer): Buffer {
    this.headerBytes.push(chunk);
    const all = Buffer.concat(this.headerBytes);
    if (all.length < 8) {
      // A wrong prefix can be told early; wait for more only while what we have still matches.
      if (!PROTOCOL_HEADER.subarray(0, all.length).equals(all)) this.rejectHeader();
      return Buffer.alloc(0);
    }
    this.headerBytes = [];
    if (!all.subarray(0, 8).equals(PROTOCOL_HEADER)) {
      this.rejectHeader();
      return Buffer.alloc(0);
    }
    this.phase = 'start-ok';
    this.out.method(0, M.encodeConnectionStart, {
      versionMajor: 0,
      versionMinor: 9,
      serverProperties: serverProperties(this.broker.clusterName),
      mechanisms: Buffer.from(offeredMechanisms(this.limits.sasl, this.tls !== undefined)),
      locales: Buffer.from('en_US'),
    });
    return all.subarray(8);
  }

  /** The spec: answer an unsupported header with the one we speak, then close. */
  private rejectHeader(): void {
    this.log.debug('bad protocol header');
    this.phase = 'closed';
    this.out.raw(PROTOCOL_HEADER);
    this.out.end();
  }

  /** FrameSink: one frame, payload sliced from the read buffer. */
  onFrame(type: number, channel: number, payload: Buffer): void {
    if (this.phase === 'closed') return;
    if (type === M.FRAME_HEARTBEAT) {
      if (channel !== 0) throw frameError(`heartbeat frame on channel ${channel}`);
      return;
    }
    if (this.phase === 'closing') {
      // Only connection.close-ok (or a crossing connection.close) matters now.
      if (type === M.FRAME_METHOD && channel === 0) {
        const m = M.decodeMethod(new Reader(payload));
        if (m.kind === 'connection.close-ok' || m.kind === 'connection.close') {
          if (m.kind === 'connection.close') this.out.method(0, M.encodeConnectionCloseOk, {});
          this.terminate();
        }
      }
      return;
    }
    if (channel === 0) {
      if (type !== M.FRAME_METHOD) throw unexpectedFrame(`non-method frame of type ${type} on channel 0`);
      this.connectionMethod(this.decode(payload));
      return;
    }
    if (this.phase !== 'running') throw commandInvalid(`channel ${channel} used before connection.open`);
    const ch = this.channels.get(channel);
    try {
      if (type === M.FRAME_METHOD) {
        const m = this.decode(payload);
        if (!ch) return this.openChannel(channel, m);
        try {
          ch.handleMethod(m);
        } catch (e) {
          if (e instanceof AmqpError && e.classId === 0) {
            const ids = M.METHOD_ID[m.kind];
            e.classId = ids >>> 16;
            e.methodId = ids & 0xffff;
          }
          throw e;
        }
      } else if (type === M.FRAME_HEADER) {
        // RabbitMQ 3.10 answers content for a channel never opened like content without a publish.
        if (!ch) throw unexpectedFrame('expected method frame, got non method frame instead');
        ch.handleHeader(payload);
        if (this.broker.alarms.active) this.throttle.publishReceived();
      } else if (type === M.FRAME_BODY) {
        if (!ch) throw unexpectedFrame('expected method frame, got non method frame instead');
        ch.handleBody(payload);
        if (this.broker.alarms.active) this.throttle.publishReceived();
      } else {
        throw frameError(`unknown frame type ${type}`);
      }
    } catch (e) {
      this.onError(e, channel);
    }
  }

  /** FrameSink: memory for a body frame split across reads, in the body it belongs to (channel.ts). */
  bodyTarget(channel: number, size: number): Buffer | undefined {
    if (this.phase !== 'running') return undefined;
    return this.channels.get(channel)?.bodyTarget(size);
  }

  guard(channel: number, fn: () => void): void {
    if (this.phase === 'closed' || this.phase === 'closing') return;
    try {
      fn();
    } catch (e) {
      this.onError(e, channel);
    }
  }

  private decode(payload: Buffer): M.Method {
    const r = new Reader(payload);
    const m = M.decodeMethod(r);
    if (r.pos !== r.end) throw frameError(`${r.end - r.pos} bytes after the arguments of ${m.kind}`);
    return m;
  }

  private openChannel(id: number, m: M.Method): void {
    if (m.kind !== 'channel.open')
      throw channelError(`expected 'channel.open' on channel ${id}, got '${m.kind}'`);
    if (this.channels.size >= this.channelMax) {
      throw notAllowed(
        `number of channels opened (${this.channels.size}) has reached the negotiated channel_max (${this.channelMax})`,
      );
    }
    checkChannelOpen(this.broker, this.user.name);
    this.channels.set(id, new Channel(id, this));
    this.broker.churn.channelCreated++;
    this.out.method(id, M.encodeChannelOpenOk, {});
  }

  // ---------- connection class ----------

  private connectionMethod(m: M.Method): void {
    switch (this.phase) {
      case 'start-ok':
        if (m.kind !== 'connection.start-ok')
          throw commandInvalid(`expected connection.start-ok, got ${m.kind}`);
        return this.startOk(m);
      case 'tune-ok':
        if (m.kind !== 'connection.tune-ok')
          throw commandInvalid(`expected connection.tune-ok, got ${m.kind}`);
        return this.tuneOk(m);
      case 'open':
        if (m.kind !== 'connection.open') throw commandInvalid(`expected connection.open, got ${m.kind}`);
        return this.open(m);
      default:
        break;
    }
    switch (m.kind) {
      case 'connection.close':
        this.log.debug({ code: m.replyCode, text: m.replyText }, 'client closed the connection');
        this.out.method(0, M.encodeConnectionCloseOk, {});
        this.cleanup();
        this.phase = 'closed';
        this.out.end();
        return;
      case 'connection.close-ok':
        return this.terminate();
      case 'connection.update-secret':
        // No token-based auth yet: accept the new secret, as RabbitMQ does for the internal backend.
        this.out.method(0, M.encodeConnectionUpdateSecretOk, {});
        return;
      default:
        throw commandInvalid(`unexpected method ${m.kind} on channel 0`);
    }
  }

  private startOk(m: M.ConnectionStartOk): void {
    this.clientProperties = m.clientProperties;
    const caps = (m.clientProperties['capabilities'] ?? {}) as FieldTable;
    this.consumerCancelNotify = caps['consumer_cancel_notify'] === true;
    this.authFailureClose = caps['authentication_failure_close'] === true;
    this.throttle.notify = caps['connection.blocked'] === true;
    this.mechanism = m.mechanism;
    const login = saslLogin(m.mechanism, m.response, this.limits.sasl, this.tls);
    // EXTERNAL proved the identity with the certificate: the user only has to exist.
    const user =
      login.kind === 'password'
        ? this.broker.authenticate(login.username, login.password)
        : login.kind === 'external'
          ? this.broker.users.get(login.username)
          : undefined;
    const local = isLoopback(this.peerHost);
    if (login.kind === 'refused' || !user || (this.broker.isLoopbackOnly(user.name) && !local)) {
      const why =
        login.kind === 'refused'
          ? login.reason
          : !user
            ? `invalid credentials for user '${login.username}'`
            : `user '${user.name}' can only connect via localhost`;
      // The user name and the peer (in the logger's connection name) are logged, never the password.
      const who = login.kind === 'refused' ? {} : { user: login.username };
      this.log.warn({ mechanism: m.mechanism, peer: this.peerHost, ...who }, `authentication failed: ${why}`);
      const err = new AmqpError(
        ReplyCode.AccessRefused,
        `Login was refused using authentication mechanism ${m.mechanism}. For details see the broker logfile.`,
      );
      if (this.authFailureClose) this.fail(err);
      else this.terminate();
      return;
    }
    this.userValue = user;
    this.phase = 'tune-ok';
    this.out.method(0, M.encodeConnectionTune, {
      channelMax: this.limits.channelMax,
      frameMax: this.limits.frameMax,
      heartbeat: this.limits.heartbeat,
    });
  }

  private tuneOk(m: M.ConnectionTuneOk): void {
    const serverFrameMax = this.limits.frameMax;
    const refused = tuneRefusal(this.limits, m);
    if (refused) {
      this.log.error(`failed to negotiate connection parameters: ${refused.text}`);
      throw refused;
    }
    this.frameMax = m.frameMax === 0 ? serverFrameMax : m.frameMax;
    this.channelMax = m.channelMax === 0 ? this.limits.channelMax : m.channelMax;
    this.parser.frameMax = this.frameMax;
    this.out.frameMax = this.frameMax;
    this.heartbeat = m.heartbeat;
    this.phase = 'open';
  }

  private open(m: M.ConnectionOpen): void {
    const vhost = checkConnectionOpen(this.broker, this.user.name, m.virtualHost);
    this.vhostValue = vhost;
    directReplyTo(this.broker).attach(vhost);
    this.phase = 'running';
    if (this.handshakeTimer) clearTimeout(this.handshakeTimer);
    this.handshakeTimer = undefined;
    this.broker.register(this);
    this.out.method(0, M.encodeConnectionOpenOk, {});
    this.startHeartbeats();
    this.log.debug({ user: this.user.name, vhost: vhost.name }, 'connection opened');
  }

  /**
   * Sends a heartbeat when nothing else was written for half the interval, and drops the connection
   * after two intervals without any input from the client (RabbitMQ's rule).
   */
  private startHeartbeats(): void {
    if (this.heartbeat === 0) return;
    const ms = this.heartbeat * 1000;
    this.heartbeatTimer = setInterval(() => {
      const now = performance.now();
      // RabbitMQ pauses this check while the connection is blocked: its input is deliberately unread
      // (so is a connection held for a slow disk).
      if (now - this.lastRead > 2 * ms && !this.throttle.blocked && !this.heldForStore) {
        this.log.warn(`missed heartbeats from client, timeout: ${this.heartbeat}s`);
        this.socket.destroy();
        return;
      }
      if (now - this.out.lastWrite >= ms / 2) this.out.heartbeat();
    }, ms / 2);
    this.heartbeatTimer.unref();
  }

  // ---------- errors and closing ----------

  private onError(e: unknown, channel: number): void {
    const err =
      e instanceof AmqpError
        ? e
        : new AmqpError(ReplyCode.InternalError, `internal error: ${(e as Error).message}`);
    if (!(e instanceof AmqpError)) this.log.error({ err: e }, 'internal error while handling a frame');
    if (!err.hard && channel !== 0) {
      const ch = this.channels.get(channel);
      if (ch) {
        this.log.debug({ channel, code: err.code }, err.replyText);
        ch.close(err);
        return;
      }
    }
    this.fail(err);
  }

  /** Hard error: connection.close to the client, then wait for close-ok. */
  fail(err: AmqpError): void {
    if (this.phase === 'closing' || this.phase === 'closed') return;
    this.log.info({ code: err.code }, `closing connection: ${err.replyText}`);
    this.cleanup();
    this.phase = 'closing';
    // A blocked connection must read again, or the client's close-ok would never be seen.
    this.throttle.release();
    this.out.method(0, M.encodeConnectionClose, {
      replyCode: err.code,
      replyText: err.replyText,
      classId: err.classId,
      methodId: err.methodId,
    });
    this.closeTimer = setTimeout(() => this.terminate(), CLOSE_TIMEOUT_MS);
    this.closeTimer.unref();
  }

  /** Server-side close with a reply code (shutdown, operator close). */
  close(code: number, text: string): void {
    this.fail(new AmqpError(code, text));
  }

  channelClosed(id: number): void {
    const ch = this.channels.get(id);
    if (!ch) return;
    this.channels.delete(id);
    this.retire(ch);
  }

  /** A channel's counters go into its vhost's totals when it leaves the connection. */
  private retire(ch: Channel): void {
    this.broker.churn.channelClosed++;
    if (this.vhostValue) addCounters(this.vhostValue.closedChannels, ch.stats);
  }

  private onDrain(): void {
    this.out.waitingForRoom = false;
    if (this.heldForOutput) {
      // The client reads what we send: alive, even though its own frames (heartbeats) wait unread.
      this.heldForOutput = false;
      this.lastRead = performance.now();
      this.releaseInput();
    }
    for (const ch of this.channels.values()) ch.resume();
  }

  /** Releases channels and exclusive queues; idempotent. */
  private cleanup(): void {
    for (const ch of this.channels.values()) {
      ch.teardown();
      this.retire(ch);
    }
    this.channels.clear();
    if (this.vhostValue) this.vhostValue.dropOwner(this);
    this.broker.unregister(this.id);
    this.throttle.forget();
    if (this.heartbeatTimer) clearInterval(this.heartbeatTimer);
    if (this.handshakeTimer) clearTimeout(this.handshakeTimer);
    this.heartbeatTimer = undefined;
    this.handshakeTimer = undefined;
  }

  private terminate(): void {
    this.cleanup();
    this.phase = 'closed';
    if (this.closeTimer) clearTimeout(this.closeTimer);
    this.out.end();
    // end() waits for the peer; a hostile one may never answer, so cut it after a grace period.
    // Kept in closeTimer so the socket's close clears it: a pending timer would hold this connection
    // (and through it the whole broker) in memory for the grace period after every clean close.
    this.closeTimer = setTimeout(() => this.socket.destroy(), CLOSE_TIMEOUT_MS);
    this.closeTimer.unref();
  }

  private onSocketClose(): void {
    this.cleanup();
    this.phase = 'closed';
    this.out.closed = true;
    if (this.closeTimer) clearTimeout(this.closeTimer);
  }

  get mechanismName(): string {
    return this.mechanism;
  }

  /** running, blocking (an alarm is on, this one has not published since) or blocked */
  get blockState(): ThrottleState {
    return this.throttle.state;
  }
}

export function isLoopback(host: string): boolean {
  return host === '::1' || host.startsWith('127.') || host.startsWith('::ffff:127.');
}
