/**
 * Warren's programmatic entry point: start a broker in this process, get its URL, close it.
 * The CLI (`warren`) is a thin wrapper over this; tests embed it directly.
 */
import type { ConnectionLimits } from './amqp/connection.js';
import { checkSaslConfig, DEFAULT_MECHANISMS } from './amqp/sasl.js';
import type { CertLoginFrom } from './amqp/sasl-external.js';
import { AmqpServer } from './amqp/server.js';
import { effectiveMaxMessageSize } from './amqp/message-size.js';
import {
  DEFAULT_DISK_FREE_LIMIT,
  DEFAULT_MEMORY_HIGH_WATERMARK,
  type DiskFreeLimit,
  type MemoryHighWatermark,
} from './alarms/limits.js';
import { createMonitors, startMonitors, stopMonitors } from './alarms/monitors.js';
import { nodeTlsOptions, tlsListenerOptions, type TlsListenerInput } from './amqp/tls-options.js';
import { Broker } from './core/broker.js';
import { DelayedExchange } from './core/exchange/delayed.js';
import { closeLogger, createLogger, type Logger, type LogLevel } from './log.js';
import { VERSION } from './version.js';
import { openStorage } from './store/open.js';
import { loadDefinitionsFile } from './definitions/load-file.js';
import { DEFAULT_BUDGET_BYTES, DEFAULT_MAX_LOADED } from './core/queue/pager.js';
import type { DurableStorage } from './store/durable.js';
import type { TlsOptions } from 'node:tls';

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
  /**
   * RabbitMQ's disk_free_limit: below this much free space on the data directory's filesystem,
   * publishers are blocked. Bytes (or "50MB", "2GiB"), or `{ relative: x }` times RAM. Only checked
   * with a data directory. See docs/alarms.md.
   */
  diskFreeLimit: DiskFreeLimit;
  /**
   * RabbitMQ's vm_memory_high_watermark: above this resident memory, publishers are blocked. A
   * fraction of RAM (0.4, or `{ relative: 0.4 }`) or `{ absolute: bytes or "2GB" }`.
   */
  memoryHighWatermark: MemoryHighWatermark;
  /** the plain AMQP listener on `port`; false = none (rabbitmq.conf `listeners.tcp = none`) */
  tcp: boolean;
  /**
   * The AMQPS listener (`listeners.ssl.default`, `ssl_options.*`); undefined = none. Each field and
   * its rabbitmq.conf key: src/amqp/tls-options.ts; see docs/tls.md.
   */
  tls: TlsListenerInput | undefined;
  /** SASL mechanisms offered (`auth_mechanisms.N`); EXTERNAL is only ever offered over TLS */
  authMechanisms: string[];
  /** `ssl_cert_login_from`: which part of the client certificate EXTERNAL takes as the user name */
  sslCertLoginFrom: CertLoginFrom;
  /** rabbitmq.conf `log.file`: also log to this file (besides stdout at logLevel); undefined = no file */
  logFile: string | undefined;
  /** `log.file.level`: the level of the log file */
  logFileLevel: LogLevel;
  /**
   * `load_definitions`: a RabbitMQ definitions JSON file (or a directory of them) imported at every
   * start, after recovery and before the listeners open; what exists already is left as it is.
   */
  loadDefinitions: string | undefined;
  /**
   * `default_user`, `default_pass`, `default_vhost`: the administrator user (all permissions) and the
   * vhost created at first boot, only when the data directory holds no users, vhosts or permissions
   * and no `loadDefinitions` is given (RabbitMQ's rule). Memory-only brokers always have them.
   */
  defaultUser: string;
  defaultPass: string;
  defaultVhost: string;
  /**
   * `loopback_users`: users that may only connect from a loopback address. `[]` lets `guest` connect
   * from anywhere.
   */
  loopbackUsers: string[];
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
  diskFreeLimit: DEFAULT_DISK_FREE_LIMIT,
  memoryHighWatermark: DEFAULT_MEMORY_HIGH_WATERMARK,
  tcp: true,
  tls: undefined,
  authMechanisms: [...DEFAULT_MECHANISMS],
  sslCertLoginFrom: 'distinguished_name',
  logFile: undefined,
  logFileLevel: 'info',
  loadDefinitions: undefined,
  defaultUser: 'guest',
  defaultPass: 'guest',
  defaultVhost: '/',
  loopbackUsers: ['guest'],
};

/** A listen host as clients should dial it (wildcards become loopback, IPv6 gets brackets). */
function dialHost(host: string | undefined): string {
  const h = host ?? '127.0.0.1';
  return h.includes(':') ? `[${h}]` : h === '0.0.0.0' ? '127.0.0.1' : h;
}

function addressesOf(server: AmqpServer, host: string | undefined): string[] {
  const a = server.address();
  if (host === undefined) return [`0.0.0.0:${a.port}`, `[::]:${a.port}`];
  return [a.address.includes(':') ? `[${a.address}]:${a.port}` : `${a.address}:${a.port}`];
}

export class Warren {
  readonly broker: Broker;
  readonly options: WarrenOptions;
  readonly log: Logger;
  private readonly amqp: AmqpServer;
  /** the AMQPS listener, when `tls` is configured */
  private readonly amqps: AmqpServer | undefined;
  private readonly tlsHost: string | undefined;
  private storage: DurableStorage | undefined;
  private closed = false;

  private constructor(options: WarrenOptions, tls?: { host: string | undefined; node: TlsOptions }) {
    this.options = options;
    this.log = createLogger(
      options.logLevel,
      options.logFile === undefined ? undefined : { path: options.logFile, level: options.logFileLevel },
    );
    this.broker = new Broker({
      user: options.defaultUser,
      pass: options.defaultPass,
      vhost: options.defaultVhost,
    });
    this.broker.loopbackUsers = new Set(options.loopbackUsers);
    const limits: ConnectionLimits = {
      frameMax: options.frameMax,
      channelMax: options.channelMax,
      heartbeat: options.heartbeat,
      handshakeTimeoutMs: options.handshakeTimeoutMs,
      maxMessageSize: effectiveMaxMessageSize(options.maxMessageSize),
      consumerTimeoutMs: options.consumerTimeoutMs || undefined,
      sasl: {
        mechanisms: options.authMechanisms,
        certLoginFrom: options.sslCertLoginFrom,
        verifyPeer: options.tls?.verifyPeer ?? false,
      },
    };
    this.amqp = new AmqpServer(this.broker, limits, this.log);
    // One set of limits for both listeners: a connection behaves the same whatever its transport.
    this.amqps = tls && new AmqpServer(this.broker, limits, this.log, tls.node);
    this.tlsHost = tls?.host;
  }

  static async start(options: Partial<WarrenOptions> = {}): Promise<Warren> {
    const opts: WarrenOptions = { ...DEFAULTS };
    for (const [k, v] of Object.entries(options))
      if (v !== undefined) (opts as unknown as Record<string, unknown>)[k] = v;
    checkSaslConfig(opts.authMechanisms, opts.sslCertLoginFrom);
    const t = opts.tls && tlsListenerOptions(opts.tls, opts.host);
    const w = new Warren(opts, t && { host: t.host, node: await nodeTlsOptions(t) });
    createMonitors(w.broker.alarms, opts, w.log);
    if (opts.dataDir !== undefined) {
      w.storage = await openStorage(opts.dataDir, w.broker, w.log, {
        limitBytes: opts.pagingBudgetBytes,
        maxLoaded: opts.pagingMaxLoaded,
      });
    }
    try {
      // RabbitMQ seeds its default user and vhost only into an empty database (recovery dropped them
      // otherwise), and not when definitions are loaded at boot.
      if (opts.loadDefinitions !== undefined) w.broker.dropProvisionalDefaults();
      const seeded = w.broker.commitDefaults();
      if (seeded && opts.dataDir !== undefined) {
        w.log.info(`created the default user '${seeded.user}' and vhost '${seeded.vhost}'`);
      }
      // After recovery, so what exists (durable, from an earlier start) is left as it is.
      if (opts.loadDefinitions !== undefined) loadDefinitionsFile(w.broker, opts.loadDefinitions, w.log);
      // Before listening: an alarm already due is on before the first client can publish.
      await startMonitors(w.broker.alarms);
      if (opts.tcp) await w.amqp.listen(opts.port, opts.host);
      if (w.amqps && t) await w.amqps.listen(t.port, t.host);
    } catch (e) {
      stopMonitors(w.broker.alarms);
      if (opts.tcp) await w.amqp.close();
      await w.storage?.close();
      throw e;
    }
    const on = [
      ...(opts.tcp ? [`AMQP on ${w.listenAddresses().join(', ')}`] : []),
      ...(w.amqps ? [`AMQPS on ${w.tlsListenAddresses().join(', ')}`] : []),
    ];
    w.log.info(`Warren ${VERSION} ready: ${on.length > 0 ? on.join('; ') : 'no AMQP listener'}`);
    return w;
  }

  /** The actual port (useful with port 0); throws when the plain listener is off. */
  get port(): number {
    if (!this.options.tcp) throw new Error('the plain AMQP listener is off (tcp: false)');
    return this.amqp.address().port;
  }

  /** amqp:// URL for clients, with the real port and the default user and vhost. */
  get url(): string {
    return `amqp://${this.credentials()}@${dialHost(this.options.host)}:${this.port}${this.vhostPath()}`;
  }

  private credentials(): string {
    const o = this.options;
    return `${encodeURIComponent(o.defaultUser)}:${encodeURIComponent(o.defaultPass)}`;
  }

  /** The URL path naming the default vhost; none for "/", which clients assume. */
  private vhostPath(): string {
    const v = this.options.defaultVhost;
    return v === '/' ? '' : `/${encodeURIComponent(v)}`;
  }

  /** The actual AMQPS port; throws when there is no TLS listener. */
  get tlsPort(): number {
    if (!this.amqps) throw new Error('there is no AMQPS listener (no tls option)');
    return this.amqps.address().port;
  }

  /** amqps:// URL for clients, with the real TLS port and the default user and vhost. */
  get tlsUrl(): string {
    return `amqps://${this.credentials()}@${dialHost(this.tlsHost)}:${this.tlsPort}${this.vhostPath()}`;
  }

  /** Where the plain listener listens; empty when it is off. */
  listenAddresses(): string[] {
    return this.options.tcp ? addressesOf(this.amqp, this.options.host) : [];
  }

  /** Where the AMQPS listener listens; empty when there is none. */
  tlsListenAddresses(): string[] {
    return this.amqps ? addressesOf(this.amqps, this.tlsHost) : [];
  }

  /** Tells clients 320 CONNECTION_FORCED, closes every socket and the listener. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    stopMonitors(this.broker.alarms);
    await Promise.all([this.amqp.close(), this.amqps?.close()]);
    // Queue timers (TTL, x-expires) must not fire into a closed store or keep a test process alive.
    for (const v of this.broker.vhosts.values()) {
      for (const q of v.queues.values()) q.stopTimers();
      for (const e of v.exchanges.values()) if (e instanceof DelayedExchange) e.held.stop();
    }
    await this.storage?.close();
    this.log.info('Warren stopped');
    closeLogger(this.log);
  }
}
