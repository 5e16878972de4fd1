/**
 * The keys Warren accepts in rabbitmq.conf, each with RabbitMQ's datatype (values.ts) and where the
 * value goes. `$name` in a pattern matches one word (as cuttlefish's `$name` does). A key not in this
 * table is refused: RabbitMQ refuses unknown keys too, and silently ignoring one would leave the
 * operator believing a setting is in force.
 */
import { CERT_LOGIN_FROM } from '../amqp/sasl-external.js';
import type { TlsVersion } from '../amqp/tls-options.js';
import type { Collected, LogLevelName } from './collected.js';
import type { ConfSetting } from './conf-syntax.js';
import { ValueError } from './error.js';
import {
  boolean,
  byteSize,
  type Converter,
  informationUnit,
  integer,
  listener,
  oneOf,
  path,
  port,
  ratio,
  readableFile,
  readablePath,
  text,
  type ValueContext,
} from './values.js';

export interface KeySpec {
  pattern: string;
  /** converts the value and records it; `name` is the word `$name` matched, if any */
  apply(c: Collected, raw: string, ctx: ValueContext, s: ConfSetting, name: string): void;
}

function key<T>(
  pattern: string,
  convert: Converter<T>,
  store: (c: Collected, v: T, s: ConfSetting, name: string) => void,
): KeySpec {
  return { pattern, apply: (c, raw, ctx, s, name) => store(c, convert(raw, ctx), s, name) };
}

const LOG_LEVELS: LogLevelName[] = [
  'debug',
  'info',
  'notice',
  'warning',
  'error',
  'critical',
  'alert',
  'emergency',
  'none',
];
const logLevel = oneOf(...LOG_LEVELS);

/** log.file.level also has RabbitMQ's level filters (`=debug`, `<=notice`); pino has thresholds only. */
const fileLogLevel: Converter<LogLevelName> = (raw, ctx) => {
  if (/^(=|!=|<|<=)/.test(raw)) {
    throw new ValueError(`level filter '${raw}' is not supported by Warren; use a plain level such as info`);
  }
  return logLevel(raw, ctx);
};

/** log.file: a file name, or false for no log file. */
const logFile: Converter<string | false> = (raw) => (raw === 'false' ? false : raw);

const TLS_VERSIONS: TlsVersion[] = ['tlsv1', 'tlsv1.1', 'tlsv1.2', 'tlsv1.3'];

export const KEYS: KeySpec[] = [
  // ---------- listeners ----------
  key('listeners.tcp', oneOf('none'), (c, _v, s) => (c.tcpNone = s)),
  key('listeners.tcp.$name', listener, (c, v, s) => c.tcp.push({ ...v, setting: s })),
  key('listeners.ssl', oneOf('none'), (c, _v, s) => (c.sslNone = s)),
  key('listeners.ssl.$name', listener, (c, v, s) => c.ssl.push({ ...v, setting: s })),
  key('handshake_timeout', integer(0), (c, v) => (c.options.handshakeTimeoutMs = v)),
  key('ssl_handshake_timeout', integer(0), (c, v) => (c.sslOptions.handshakeTimeoutMs = v)),

  // ---------- TLS ----------
  key('ssl_options.certfile', readableFile, (c, v) => (c.sslOptions.certFile = v)),
  key('ssl_options.keyfile', readableFile, (c, v) => (c.sslOptions.keyFile = v)),
  key('ssl_options.cacertfile', readableFile, (c, v) => (c.sslOptions.caFile = v)),
  key('ssl_options.password', text, (c, v) => (c.sslOptions.password = v)),
  key(
    'ssl_options.verify',
    oneOf('verify_peer', 'verify_none'),
    (c, v) => (c.sslOptions.verifyPeer = v === 'verify_peer'),
  ),
  key('ssl_options.fail_if_no_peer_cert', boolean, (c, v) => (c.sslOptions.failIfNoPeerCert = v)),
  key('ssl_options.versions.$name', oneOf(...TLS_VERSIONS), (c, v, _s, n) => c.sslVersions.set(n, v)),
  key('ssl_options.ciphers.$name', text, (c, v, _s, n) => c.sslCiphers.set(n, v)),
  key('ssl_cert_login_from', oneOf(...CERT_LOGIN_FROM), (c, v) => (c.options.sslCertLoginFrom = v)),

  // ---------- authentication ----------
  key('auth_mechanisms.$name', oneOf('PLAIN', 'AMQPLAIN', 'EXTERNAL'), (c, v, _s, n) =>
    c.authMechanisms.set(n, v),
  ),

  // ---------- users and vhosts ----------
  key('default_user', text, (c, v) => (c.options.defaultUser = v)),
  key('default_pass', text, (c, v) => (c.options.defaultPass = v)),
  key('default_vhost', text, (c, v) => (c.options.defaultVhost = v)),
  key('loopback_users', oneOf('none'), (c) => (c.loopbackNone = true)),
  key('loopback_users.$name', boolean, (c, v, _s, n) => c.loopbackUsers.set(n, v)),

  // ---------- resources ----------
  key('disk_free_limit.absolute', informationUnit, (c, v) => (c.diskAbsolute = v)),
  key('disk_free_limit.relative', ratio, (c, v) => (c.diskRelative = v)),
  key('vm_memory_high_watermark.absolute', informationUnit, (c, v) => (c.memoryAbsolute = v)),
  key('vm_memory_high_watermark.relative', ratio, (c, v) => (c.memoryRelative = v)),

  // ---------- protocol ----------
  key('heartbeat', integer(0, 65535), (c, v) => (c.options.heartbeat = v)),
  key(
    'frame_max',
    (raw, ctx) => {
      const n = byteSize(raw, ctx);
      // 0 ("no limit") would let one frame claim all memory; AMQP's floor is 4096.
      if (n < 4096 || n > 0xffffffff) throw new ValueError(`expected 4096 bytes to 4GB, got ${raw}`);
      return n;
    },
    (c, v) => (c.options.frameMax = v),
  ),
  // 0 means "no limit" in RabbitMQ: the protocol's ceiling, 65535.
  key('channel_max', integer(0, 65535), (c, v) => (c.options.channelMax = v === 0 ? 65535 : v)),
  key(
    'max_message_size',
    integer(1, 536870912, 'Max message size should be between 0 and 512MB'),
    (c, v) => (c.options.maxMessageSize = v),
  ),
  key(
    'consumer_timeout',
    integer(1, Number.MAX_SAFE_INTEGER, 'number should be greater or equal to one (milliseconds)'),
    (c, v) => (c.options.consumerTimeoutMs = v),
  ),

  // ---------- plugins' ports ----------
  key('management.tcp.port', port, (c, v) => (c.options.managementPort = v)),
  key('management.tcp.ip', text, (c, v) => (c.options.managementHost = v)),
  key('prometheus.tcp.port', port, (c, v) => (c.options.prometheusPort = v)),
  key('prometheus.tcp.ip', text, (c, v) => (c.options.prometheusHost = v)),

  // ---------- definitions ----------
  key('load_definitions', readablePath, (c, v) => (c.loadDefinitions = v)),
  key('definitions.import_backend', oneOf('local_filesystem'), (c, _v, s) => (c.definitionsBackend = s)),
  key('definitions.local.path', readablePath, (c, v, s) => (c.definitionsPath = { path: v, setting: s })),

  // ---------- logging ----------
  key('log.console', boolean, (c, v) => (c.logConsole = v)),
  key('log.console.level', logLevel, (c, v) => (c.logConsoleLevel = v)),
  key('log.file', logFile, (c, v) => (c.logFile = v)),
  key('log.file.level', fileLogLevel, (c, v, s) => {
    c.logFileLevel = v;
    c.logFileLevelSetting = s;
  }),
  key('log.dir', path, (c, v) => (c.logDir = v)),

  // ---------- Warren's own ----------
  key('warren.data_dir', path, (c, v) => (c.options.dataDir = v)),
];

/** Finds the spec for a key; `name` is what `$name` matched. */
export function findKey(words: string[]): { spec: KeySpec; name: string } | undefined {
  for (const spec of KEYS) {
    const pattern = spec.pattern.split('.');
    if (pattern.length !== words.length) continue;
    let name = '';
    const match = pattern.every((p, i) => {
      if (p !== '$name') return p === words[i];
      name = words[i] as string;
      return true;
    });
    if (match) return { spec, name };
  }
  return undefined;
}
