/**
 * Warren's programmatic entry point: start a broker in this process, get its URL, close it.
 * The CLI (`warren`) is a thin wrapper over this; tests embed it directly.
 */
import { AmqpServer } from './amqp/server.js';
import { Broker } from './core/broker.js';
import { DelayedExchange } from './core/exchange/delayed.js';
import { createLogger, type Logger, type LogLevel } from './log.js';
import { VERSION } from './version.js';
import { openStorage } from './store/open.js';
import { DEFAULT_BUDGET_BYTES, DEFAULT_MAX_LOADED } from './core/queue/pager.js';
import type { DurableStorage } from './store/durable.js';

export interface WarrenOptions {
  /** interface to listen on; undefined = all interfaces, IPv4 and IPv6 */
  host: string | undefined;
  /** AMQP port; 0 picks a free one (see `warren.port`) */
  port: number;
  /** where durable state lives (embedded storage); undefined = memory only */
  dataDir: string | undefined;
  logLevel: LogLevel;
  /** heartbeat interval offered in connection.tune, seconds (0 = off) */
  heartbeat: number;
  frameMax: number;
  channelMax: number;
  /** time a client has from TCP connect to connection.open-ok */
  handshakeTimeoutMs: number;
  /** largest message body accepted, bytes (RabbitMQ's max_message_size) */
  maxMessageSize: number;
  /** with a data directory: bytes of ready message bodies kept in memory broker-wide before paging */
  pagingBudgetBytes: number;
  /** with a data directory: ready messages one queue keeps in memory before paging */
  pagingMaxLoaded: number;
  /**
   * RabbitMQ's consumer_timeout: a delivery unacknowledged for longer than this many ms closes its
   * channel with 406 (its messages are requeued). 0 or false turns it off; a queue's
   * x-consumer-timeout or policy consumer-timeout replaces it for that queue.
   */
  consumerTimeoutMs: number | false;
}

export const DEFAULTS: WarrenOptions = {
  host: undefined,
  port: 5672,
  dataDir: undefined,
  logLevel: 'info',
  heartbeat: 60,
  frameMax: 131072,
  channelMax: 2047,
  handshakeTimeoutMs: 10_000,
  maxMessageSize: 128 * 1024 * 1024,
  pagingBudgetBytes: DEFAULT_BUDGET_BYTES,
  pagingMaxLoaded: DEFAULT_MAX_LOADED,
  consumerTimeoutMs: 1_800_000,
};

export class Warren {
  readonly broker: Broker;
  readonly options: WarrenOptions;
  readonly log: Logger;
  private readonly amqp: AmqpServer;
  private storage: DurableStorage | undefined;
  private closed = false;

  private constructor(options: WarrenOptions) {
    this.options = options;
    this.log = createLogger(options.logLevel);
    this.broker = new Broker();
    this.amqp = new AmqpServer(
      this.broker,
      {
        frameMax: options.frameMax,
        channelMax: options.channelMax,
        heartbeat: options.heartbeat,
        handshakeTimeoutMs: options.handshakeTimeoutMs,
        maxMessageSize: options.maxMessageSize,
        consumerTimeoutMs: options.consumerTimeoutMs || undefined,
      },
      this.log,
    );
  }

  static async start(options: Partial<WarrenOptions> = {}): Promise<Warren> {
    const opts: WarrenOptions = { ...DEFAULTS };
    for (const [k, v] of Object.entries(options))
      if (v !== undefined) (opts as unknown as Record<string, unknown>)[k] = v;
    const w = new Warren(opts);
    if (opts.dataDir !== undefined) {
      w.storage = await openStorage(opts.dataDir, w.broker, w.log, {
        limitBytes: opts.pagingBudgetBytes,
        maxLoaded: opts.pagingMaxLoaded,
      });
    }
    try {
      await w.amqp.listen(opts.port, opts.host);
    } catch (e) {
      await w.storage?.close();
      throw e;
    }
    w.log.info(`Warren ${VERSION} ready: AMQP on ${w.listenAddresses().join(', ')}`);
    return w;
  }

  /** The actual port (useful with port 0). */
  get port(): number {
    return this.amqp.address().port;
  }

  /** amqp:// URL for clients, with the real port and the default guest user. */
  get url(): string {
    const host = this.options.host ?? '127.0.0.1';
    const h = host.includes(':') ? `[${host}]` : host === '0.0.0.0' ? '127.0.0.1' : host;
    return `amqp://guest:guest@${h}:${this.port}`;
  }

  listenAddresses(): string[] {
    const a = this.amqp.address();
    if (this.options.host === undefined) return [`0.0.0.0:${a.port}`, `[::]:${a.port}`];
    return [a.address.includes(':') ? `[${a.address}]:${a.port}` : `${a.address}:${a.port}`];
  }

  /** Tells clients 320 CONNECTION_FORCED, closes every socket and the listener. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.amqp.close();
    // Queue timers (TTL, x-expires) must not fire into a closed store or keep a test process alive.
    for (const v of this.broker.vhosts.values()) {
      for (const q of v.queues.values()) q.stopTimers();
      for (const e of v.exchanges.values()) if (e instanceof DelayedExchange) e.held.stop();
    }
    await this.storage?.close();
    this.log.info('Warren stopped');
    this.log.flush();
  }
}
