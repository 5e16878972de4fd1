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
import { BrokerApi } from './embed/broker-api.js';
import { openStorage } from './store/open.js';
import { loadDefinitionsFile } from './definitions/load-file.js';
import { DEFAULT_BUDGET_BYTES, DEFAULT_MAX_LOADED } from './core/queue/pager.js';
import type { DurableStorage } from './store/durable.js';
import type { TlsOptions } from 'node:tls';
import { HttpListener } from './http/listener.js';
import type { ListenerInfo, NodeContext } from './http/context.js';
import { StatsSampler } from './stats/sampler.js';

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
  /**
   * The management HTTP API and web UI (`management.tcp.port`); false = no management listener.
   * Embedding rule: when `port` is 0 and this is not given, it is 0 too (a free port, see
   * `managementUrl`), so tests and embedders starting many brokers on port 0 never collide.
   */
  managementPort: number | false;
  /** interface of the management listener (`management.tcp.ip`); undefined = the same as `host` */
  managementHost: string | undefined;
  /**
   * The Prometheus endpoint, `/metrics` (`prometheus.tcp.port`); false = none. Like managementPort,
   * it is 0 when `port` is 0 and it is not given.
   */
  prometheusPort: number | false;
  /** interface of the Prometheus listener (`prometheus.tcp.ip`); undefined = the same as `host` */
  prometheusHost: string | undefined;
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
  managementPort: 15672,
  managementHost: undefined,
  prometheusPort: 15692,
  prometheusHost: undefined,
};

/** A listen host as clients should dial it (wildcards become loopback, IPv6 gets brackets). */
function dialHost(host: string | undefined): string {
  const h = host ?? '127.0.0.1';
  return h.includes(':') ? `[${h}]` : h === '0.0.0.0' ? '127.0.0.1' : h;
}

function addressesOf(
  server: { address(): { address: string; port: number } },
  host: string | undefined,
): string[] {
  const a = server.address();
  if (host === undefined) return [`0.0.0.0:${a.port}`, `[::]:${a.port}`];
  return [a.address.includes(':') ? `[${a.address}]:${a.port}` : `${a.address}:${a.port}`];
}

export class Warren extends BrokerApi implements NodeContext {
  readonly broker: Broker;
  readonly options: WarrenOptions;
  readonly log: Logger;
  private readonly amqp: AmqpServer;
  /** the AMQPS listener, when `tls` is configured */
  private readonly amqps: AmqpServer | undefined;
  private readonly tlsHost: string | undefined;
  private storage: DurableStorage | undefined;
  /** management API and web UI; undefined when managementPort is false */
  private readonly management: HttpListener | undefined;
  /** Prometheus /metrics; undefined when prometheusPort is false */
  private readonly prometheus: HttpListener | undefined;
  /** message rates for the management API and Prometheus (src/stats) */
  readonly stats: StatsSampler;
  /** when start() was called, ms since the epoch */
  readonly startedAt = Date.now();
  private closed = false;

  private constructor(options: WarrenOptions, tls?: { host: string | undefined; node: TlsOptions }) {
    super();
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
    this.stats = new StatsSampler(this.broker);
    // fastify and prom-client are imported on the first request (listener.ts says why).
    if (options.managementPort !== false) {
      this.management = new HttpListener(
        async (server) => (await import('./http/management-app.js')).managementHandler(server, this),
        this.log,
        'management',
      );
    }
    if (options.prometheusPort !== false) {
      this.prometheus = new HttpListener(
        async () => (await import('./http/prometheus-app.js')).prometheusHandler(this),
        this.log,
        'prometheus',
      );
    }
  }

  static async start(options: Partial<WarrenOptions> = {}): Promise<Warren> {
    const opts: WarrenOptions = { ...DEFAULTS };
    for (const [k, v] of Object.entries(options))
      if (v !== undefined) (opts as unknown as Record<string, unknown>)[k] = v;
    // A broker on port 0 takes free HTTP ports too, unless told otherwise (see managementPort).
    if (opts.port === 0 && options.managementPort === undefined) opts.managementPort = 0;
    if (opts.port === 0 && options.prometheusPort === undefined) opts.prometheusPort = 0;
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
      if (w.management) await w.management.listen(opts.managementPort as number, w.managementHost);
      if (w.prometheus) await w.prometheus.listen(opts.prometheusPort as number, w.prometheusHost);
    } catch (e) {
      stopMonitors(w.broker.alarms);
      if (opts.tcp) await w.amqp.close();
      await Promise.all([w.amqps?.close(), w.management?.close(), w.prometheus?.close()]);
      await w.storage?.close();
      throw e;
    }
    if (w.management || w.prometheus) w.stats.start();
    const on = [
      ...(opts.tcp ? [`AMQP on ${w.listenAddresses().join(', ')}`] : []),
      ...(w.amqps ? [`AMQPS on ${w.tlsListenAddresses().join(', ')}`] : []),
      ...(w.management ? [`management on ${w.managementUrl}`] : []),
      ...(w.prometheus ? [`Prometheus on ${w.prometheusUrl}/metrics`] : []),
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

  private get managementHost(): string | undefined {
    return this.options.managementHost ?? this.options.host;
  }

  private get prometheusHost(): string | undefined {
    return this.options.prometheusHost ?? this.options.host;
  }

  /** The management API's base URL, e.g. http://127.0.0.1:15672 (no trailing slash); throws when off. */
  get managementUrl(): string {
    if (!this.management) throw new Error('there is no management listener (managementPort: false)');
    return `http://${dialHost(this.managementHost)}:${this.management.address().port}`;
  }

  /** The Prometheus listener's base URL (scrape `${prometheusUrl}/metrics`); throws when off. */
  get prometheusUrl(): string {
    if (!this.prometheus) throw new Error('there is no Prometheus listener (prometheusPort: false)');
    return `http://${dialHost(this.prometheusHost)}:${this.prometheus.address().port}`;
  }

  /**
   * Builds the management and Prometheus handlers now instead of on their first request (about
   * 100 ms of fastify and schema compilation): the `warren` command does so once it is up.
   */
  async prepareHttp(): Promise<void> {
    await Promise.all([this.management?.prepare(), this.prometheus?.prepare()]);
  }

  /** Where the management listener listens; empty when there is none. */
  managementListenAddresses(): string[] {
    return this.management ? addressesOf(this.management, this.managementHost) : [];
  }

  /** Where the Prometheus listener listens; empty when there is none. */
  prometheusListenAddresses(): string[] {
    return this.prometheus ? addressesOf(this.prometheus, this.prometheusHost) : [];
  }

  get dataDir(): string | undefined {
    return this.options.dataDir;
  }

  get maxMessageSize(): number {
    return effectiveMaxMessageSize(this.options.maxMessageSize);
  }

  /** Every listener as RabbitMQ's /api/overview lists them (one entry per address). */
  listeners(): ListenerInfo[] {
    const entries = (protocol: string, addresses: string[]): ListenerInfo[] =>
      addresses.map((a) => {
        const i = a.lastIndexOf(':');
        return { protocol, ip_address: a.slice(0, i).replace(/^\[|\]$/g, ''), port: Number(a.slice(i + 1)) };
      });
    return [
      ...entries('amqp', this.listenAddresses()),
      ...entries('amqp/ssl', this.tlsListenAddresses()),
      ...entries('http', this.managementListenAddresses()),
      ...entries('http/prometheus', this.prometheusListenAddresses()),
    ];
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
    this.stats.stop();
    await Promise.all([
      this.amqp.close(),
      this.amqps?.close(),
      this.management?.close(),
      this.prometheus?.close(),
    ]);
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
