#!/usr/bin/env node
/**
 * `warren`: starts the broker. Flags override environment variables (WARREN_PORT, WARREN_HOST,
 * WARREN_DATA_DIR, WARREN_LOG_LEVEL, WARREN_CONSUMER_TIMEOUT, WARREN_DISK_FREE_LIMIT,
 * WARREN_VM_MEMORY_HIGH_WATERMARK, WARREN_TCP, WARREN_TLS_*, WARREN_SSL_CERT_LOGIN_FROM,
 * WARREN_DEFAULT_USER/_PASS/_VHOST, WARREN_MGMT_PORT, WARREN_PROMETHEUS_PORT), which
 * override the config file (--config or WARREN_CONFIG_FILE, rabbitmq.conf syntax, docs/configuration.md),
 * which overrides the defaults. The AMQPS listener starts when both --tls-cert and --tls-key are given
 * (docs/tls.md).
 */
import { Command, InvalidArgumentError } from 'commander';
import { loadCliConfig, reportConfig, startupFailed } from '../config/cli.js';
import { DEFAULTS, Warren } from '../warren.js';
import { VERSION } from '../version.js';
import type { LogLevel } from '../log.js';
import type { CertLoginFrom } from '../amqp/sasl-external.js';
import type { TlsListenerInput, TlsVersion } from '../amqp/tls-options.js';
import {
  DEFAULT_DISK_FREE_LIMIT,
  DEFAULT_MEMORY_HIGH_WATERMARK,
  parseDiskFreeLimitArg,
  parseMemoryWatermarkArg,
  type DiskFreeLimit,
  type MemoryHighWatermark,
} from '../alarms/limits.js';

// `warren perf ...` is the benchmark client (src/perf, docs/benchmarks.md), not the broker.
if (process.argv[2] === 'perf') {
  const { perfMain } = await import('../perf/cli.js');
  process.exit(
    await perfMain(process.argv.slice(3), { out: (l) => console.log(l), err: (l) => console.error(l) }),
  );
}

const env = process.env;
// rabbitmq.conf (--config or WARREN_CONFIG_FILE): its values are the defaults of the options below.
const config = loadCliConfig(process.argv.slice(2), env);
const cfg = config?.options ?? {};

function port(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError(`not a port number: ${v}`);
  return n;
}

/** An HTTP listener's port, or `none` for no listener. */
function httpPort(v: string): number | false {
  return v === 'none' ? false : port(v);
}

function flag(name: string, fallback: boolean): boolean {
  const v = env[name];
  if (v === undefined || v === '') return fallback;
  if (/^(true|1|yes)$/i.test(v)) return true;
  if (/^(false|0|no)$/i.test(v)) return false;
  throw new InvalidArgumentError(`${name} must be true or false, not ${v}`);
}

function milliseconds(v: string): number {
  const n = Number(v);
  if (v.trim() === '' || !Number.isSafeInteger(n) || n < 0)
    throw new InvalidArgumentError(`not a number of milliseconds: ${v}`);
  return n;
}

/** A limit parser whose errors commander reports as a bad argument. */
function limitArg<T>(parse: (v: string) => T): (v: string) => T {
  return (v) => {
    try {
      return parse(v);
    } catch (e) {
      throw new InvalidArgumentError((e as Error).message);
    }
  };
}
const diskFreeLimit = limitArg(parseDiskFreeLimitArg);
const memoryWatermark = limitArg(parseMemoryWatermarkArg);

const program = new Command()
  .name('warren')
  .description('An AMQP 0-9-1 message broker that behaves like RabbitMQ')
  .version(VERSION, '-V, --version')
  .option(
    '--config <file>',
    "a config file in rabbitmq.conf's syntax, overridden by env and flags (env WARREN_CONFIG_FILE)",
  )
  .option(
    '-p, --port <port>',
    'AMQP port (env WARREN_PORT)',
    port,
    env['WARREN_PORT'] ? port(env['WARREN_PORT']) : (cfg.port ?? 5672),
  )
  .option(
    '-H, --host <host>',
    'interface to listen on; default all, IPv4 and IPv6 (env WARREN_HOST)',
    env['WARREN_HOST'] ?? cfg.host,
  )
  .option(
    '--mgmt-port <port>',
    'management HTTP API and web UI port, none = off; default 15672, or 0 with --port 0 (env WARREN_MGMT_PORT)',
    httpPort,
    env['WARREN_MGMT_PORT'] ? httpPort(env['WARREN_MGMT_PORT']) : cfg.managementPort,
  )
  .option(
    '--prometheus-port <port>',
    'Prometheus /metrics port, none = off; default 15692, or 0 with --port 0 (env WARREN_PROMETHEUS_PORT)',
    httpPort,
    env['WARREN_PROMETHEUS_PORT'] ? httpPort(env['WARREN_PROMETHEUS_PORT']) : cfg.prometheusPort,
  )
  .option(
    '-d, --data-dir <dir>',
    'embedded storage directory (env WARREN_DATA_DIR)',
    env['WARREN_DATA_DIR'] ?? cfg.dataDir ?? './data',
  )
  .option(
    '--log-level <level>',
    'silent, error, warn, info or debug (env WARREN_LOG_LEVEL)',
    env['WARREN_LOG_LEVEL'] ?? cfg.logLevel ?? 'info',
  )
  .option(
    '--consumer-timeout <ms>',
    'close a channel whose delivery stays unacked this long; 0 = off (env WARREN_CONSUMER_TIMEOUT)',
    milliseconds,
    env['WARREN_CONSUMER_TIMEOUT']
      ? milliseconds(env['WARREN_CONSUMER_TIMEOUT'])
      : (cfg.consumerTimeoutMs ?? 1_800_000),
  )
  .option(
    '--disk-free-limit <limit>',
    'block publishers below this free disk space: bytes, 50MB, 2GiB or relative:1.5 (x RAM) (env WARREN_DISK_FREE_LIMIT)',
    diskFreeLimit,
    env['WARREN_DISK_FREE_LIMIT']
      ? diskFreeLimit(env['WARREN_DISK_FREE_LIMIT'])
      : (cfg.diskFreeLimit ?? DEFAULT_DISK_FREE_LIMIT),
  )
  .option(
    '--vm-memory-high-watermark <limit>',
    'block publishers above this memory use: 0.4 (of RAM) or absolute:2GB (env WARREN_VM_MEMORY_HIGH_WATERMARK)',
    memoryWatermark,
    env['WARREN_VM_MEMORY_HIGH_WATERMARK']
      ? memoryWatermark(env['WARREN_VM_MEMORY_HIGH_WATERMARK'])
      : (cfg.memoryHighWatermark ?? DEFAULT_MEMORY_HIGH_WATERMARK),
  )
  .option('--no-tcp', 'no plain AMQP listener, as listeners.tcp = none (env WARREN_TCP=false)')
  .option(
    '--tls-port <port>',
    'AMQPS port (env WARREN_TLS_PORT)',
    port,
    env['WARREN_TLS_PORT'] ? port(env['WARREN_TLS_PORT']) : (cfg.tls?.port ?? 5671),
  )
  .option(
    '--tls-cert <file>',
    'server certificate, PEM (env WARREN_TLS_CERT)',
    env['WARREN_TLS_CERT'] ?? cfg.tls?.certFile,
  )
  .option(
    '--tls-key <file>',
    'server private key, PEM (env WARREN_TLS_KEY)',
    env['WARREN_TLS_KEY'] ?? cfg.tls?.keyFile,
  )
  .option(
    '--tls-ca <file>',
    'CA bundle to verify clients with, PEM (env WARREN_TLS_CA)',
    env['WARREN_TLS_CA'] ?? cfg.tls?.caFile,
  )
  .option('--tls-verify-peer', 'ask for and verify client certificates (env WARREN_TLS_VERIFY_PEER)')
  .option(
    '--tls-fail-if-no-peer-cert',
    'refuse clients without a certificate (env WARREN_TLS_FAIL_IF_NO_PEER_CERT)',
  )
  .option(
    '--tls-versions <list>',
    'comma-separated TLS versions (env WARREN_TLS_VERSIONS)',
    env['WARREN_TLS_VERSIONS'] ?? cfg.tls?.versions?.join(',') ?? 'tlsv1.2,tlsv1.3',
  )
  .option(
    '--ssl-cert-login-from <part>',
    'EXTERNAL user name: distinguished_name or common_name (env WARREN_SSL_CERT_LOGIN_FROM)',
    env['WARREN_SSL_CERT_LOGIN_FROM'] ?? cfg.sslCertLoginFrom ?? 'distinguished_name',
  )
  .option(
    '--default-user <name>',
    'user created in a new data directory (env WARREN_DEFAULT_USER)',
    env['WARREN_DEFAULT_USER'] ?? cfg.defaultUser,
  )
  .option(
    '--default-pass <password>',
    "that user's password (env WARREN_DEFAULT_PASS)",
    env['WARREN_DEFAULT_PASS'] ?? cfg.defaultPass,
  )
  .option(
    '--default-vhost <name>',
    'vhost created in a new data directory (env WARREN_DEFAULT_VHOST)',
    env['WARREN_DEFAULT_VHOST'] ?? cfg.defaultVhost,
  )
  .parse();

const o = program.opts<{
  port: number;
  host?: string;
  mgmtPort?: number | false;
  prometheusPort?: number | false;
  dataDir: string;
  logLevel: string;
  consumerTimeout: number;
  diskFreeLimit: DiskFreeLimit;
  vmMemoryHighWatermark: MemoryHighWatermark;
  tcp: boolean;
  tlsPort: number;
  tlsCert?: string;
  tlsKey?: string;
  tlsCa?: string;
  tlsVerifyPeer?: boolean;
  tlsFailIfNoPeerCert?: boolean;
  tlsVersions: string;
  sslCertLoginFrom: string;
  defaultUser?: string;
  defaultPass?: string;
  defaultVhost?: string;
}>();

if ((o.tlsCert === undefined) !== (o.tlsKey === undefined))
  program.error('error: --tls-cert and --tls-key go together (env WARREN_TLS_CERT, WARREN_TLS_KEY)');
const tls: TlsListenerInput | undefined =
  o.tlsCert !== undefined && o.tlsKey !== undefined
    ? {
        ...cfg.tls, // what has no flag (host, ciphers, handshake timeout) comes from the config file
        port: o.tlsPort,
        certFile: o.tlsCert,
        keyFile: o.tlsKey,
        caFile: o.tlsCa,
        verifyPeer: o.tlsVerifyPeer ?? flag('WARREN_TLS_VERIFY_PEER', cfg.tls?.verifyPeer ?? false),
        failIfNoPeerCert:
          o.tlsFailIfNoPeerCert ??
          flag('WARREN_TLS_FAIL_IF_NO_PEER_CERT', cfg.tls?.failIfNoPeerCert ?? false),
        versions: o.tlsVersions.split(',').map((v) => v.trim()) as TlsVersion[],
        password: env['WARREN_TLS_KEY_PASSWORD'] ?? cfg.tls?.password,
      }
    : undefined;

reportConfig(config, o.logLevel as LogLevel);
const broker = await Warren.start({
  ...cfg, // keys with no flag or environment variable (heartbeat, default_user, load_definitions, ...)
  port: o.port,
  host: o.host,
  // Not given: Warren.start picks 15672 / 15692, or free ports when the AMQP port is 0.
  ...(o.mgmtPort !== undefined && { managementPort: o.mgmtPort }),
  ...(o.prometheusPort !== undefined && { prometheusPort: o.prometheusPort }),
  dataDir: o.dataDir,
  logLevel: o.logLevel as LogLevel,
  consumerTimeoutMs: o.consumerTimeout,
  diskFreeLimit: o.diskFreeLimit,
  memoryHighWatermark: o.vmMemoryHighWatermark,
  tcp: o.tcp && flag('WARREN_TCP', cfg.tcp ?? true),
  tls,
  sslCertLoginFrom: o.sslCertLoginFrom as CertLoginFrom,
  defaultUser: o.defaultUser ?? DEFAULTS.defaultUser,
  defaultPass: o.defaultPass ?? DEFAULTS.defaultPass,
  defaultVhost: o.defaultVhost ?? DEFAULTS.defaultVhost,
}).catch((e: unknown) => startupFailed(e));
// The management and Prometheus handlers (fastify, prom-client) are built on their first request,
// not here: building them at boot took idle RSS from about 58 MB to 89 MB and held up the first AMQP
// handshakes by about 170 ms. The first HTTP request pays that once instead (Warren.prepareHttp()).

let stopping = false;
const stop = (signal: string): void => {
  if (stopping) return;
  stopping = true;
  broker.log.info(`${signal} received, shutting down`);
  broker.close().then(
    () => process.exit(0),
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
};
process.on('SIGTERM', () => stop('SIGTERM'));
process.on('SIGINT', () => stop('SIGINT'));
