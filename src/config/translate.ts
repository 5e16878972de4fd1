/**
 * Combines converted settings into broker options where RabbitMQ's translations combine several keys:
 * listeners (with `none`), the TLS listener and its ssl_options, loopback_users, absolute-or-relative
 * limits (absolute wins, with RabbitMQ's warning), log outputs, and the two ways to name a
 * definitions file.
 */
import { isAbsolute, resolve } from 'node:path';
import type { TlsListenerInput, TlsVersion } from '../amqp/tls-options.js';
import type { LogLevel } from '../log.js';
import type { Collected, Listener, LogLevelName } from './collected.js';
import { ConfigError } from './error.js';
import type { ConfigOptions } from './options.js';

/** RabbitMQ's log levels on pino's: notice is info, critical and worse are error. */
const PINO_LEVEL: Record<LogLevelName, LogLevel> = {
  debug: 'debug',
  info: 'info',
  notice: 'info',
  warning: 'warn',
  error: 'error',
  critical: 'error',
  alert: 'error',
  emergency: 'error',
  none: 'silent',
};

export function translate(c: Collected, dir: string, warnings: string[]): ConfigOptions {
  const o: ConfigOptions = { ...c.options };

  if (c.tcpNone) o.tcp = false;
  else {
    const l = oneListener('listeners.tcp', c.tcp);
    if (l) {
      o.host = l.host;
      o.port = l.port;
    }
  }

  const ssl = c.sslNone ? undefined : oneListener('listeners.ssl', c.ssl);
  if (ssl) o.tls = tlsOptions(c, ssl);

  if (c.authMechanisms.size > 0) o.authMechanisms = [...c.authMechanisms.values()];

  if (c.loopbackNone) o.loopbackUsers = [];
  else if (c.loopbackUsers.size > 0) {
    // As RabbitMQ: the configured list replaces the default ([guest]); `false` entries are left out.
    o.loopbackUsers = [...c.loopbackUsers].filter(([, on]) => on).map(([user]) => user);
  }

  const disk = absoluteOrRelative('disk_free_limit', c.diskAbsolute, c.diskRelative, warnings);
  if (disk) o.diskFreeLimit = disk;
  const memory = absoluteOrRelative('vm_memory_high_watermark', c.memoryAbsolute, c.memoryRelative, warnings);
  if (memory) o.memoryHighWatermark = memory;

  if (c.logConsole === false) o.logLevel = 'silent';
  else if (c.logConsoleLevel !== undefined) o.logLevel = PINO_LEVEL[c.logConsoleLevel];
  if (typeof c.logFile === 'string') {
    o.logFile = isAbsolute(c.logFile) ? c.logFile : resolve(c.logDir ?? dir, c.logFile);
    o.logFileLevel = PINO_LEVEL[c.logFileLevel ?? 'info'];
  } else if (c.logFileLevelSetting && c.logFile === undefined) {
    warnings.push(
      `${where(c.logFileLevelSetting)}: log.file.level has no effect without log.file (Warren logs to the console only unless log.file names a file)`,
    );
  }

  if (c.definitionsPath) {
    if (!c.definitionsBackend) {
      const s = c.definitionsPath.setting;
      throw new ConfigError(
        s.file,
        s.line,
        'definitions.local.path needs definitions.import_backend = local_filesystem',
      );
    }
    o.loadDefinitions = c.definitionsPath.path;
  }
  // The classic key wins when both are given, as RabbitMQ checks it first.
  if (c.loadDefinitions !== undefined) o.loadDefinitions = c.loadDefinitions;
  return o;
}

function where(s: { file: string; line: number }): string {
  return `${s.file}:${s.line}`;
}

/**
 * Warren has one listener per protocol. RabbitMQ allows several; the common case of the same port
 * on both wildcard addresses is what Warren does anyway for "all interfaces".
 */
function oneListener(prefix: string, listeners: Listener[]): Listener | undefined {
  if (listeners.length <= 1) return listeners[0];
  const [first] = listeners as [Listener, ...Listener[]];
  const wildcards = new Set(['0.0.0.0', '::']);
  if (listeners.every((l) => l.port === first.port && l.host !== undefined && wildcards.has(l.host))) {
    return { ...first, host: undefined };
  }
  const second = listeners[1] as Listener;
  throw new ConfigError(
    second.setting.file,
    second.setting.line,
    `Warren listens on one address per protocol, but ${prefix} names a second one ('${second.setting.key}'; the first is '${first.setting.key}' on line ${first.setting.line})`,
  );
}

function tlsOptions(c: Collected, l: Listener): TlsListenerInput {
  const { certFile, keyFile } = c.sslOptions;
  if (certFile === undefined || keyFile === undefined) {
    throw new ConfigError(
      l.setting.file,
      l.setting.line,
      `${l.setting.key} needs ssl_options.certfile and ssl_options.keyfile`,
    );
  }
  const tls: TlsListenerInput = { ...c.sslOptions, certFile, keyFile, port: l.port };
  if (l.host !== undefined) tls.host = l.host;
  if (c.sslVersions.size > 0) tls.versions = [...c.sslVersions.values()] as TlsVersion[];
  if (c.sslCiphers.size > 0) tls.ciphers = [...c.sslCiphers.values()];
  return tls;
}

function absoluteOrRelative(
  prefix: string,
  absolute: number | undefined,
  relative: number | undefined,
  warnings: string[],
): { absolute: number } | { relative: number } | undefined {
  if (absolute !== undefined) {
    if (relative !== undefined) {
      warnings.push(
        `Both ${prefix}.absolute and ${prefix}.relative are configured. ${prefix}.absolute has precedence`,
      );
    }
    return { absolute };
  }
  return relative === undefined ? undefined : { relative };
}
