/**
 * Settings of a config file after each value was converted, before they are combined into broker
 * options (translate.ts). Keys that RabbitMQ combines (listeners, loopback_users, absolute vs relative
 * limits, log outputs) are kept apart here with their line numbers, so a conflict can name its lines.
 */
import type { TlsListenerInput } from '../amqp/tls-options.js';
import type { ConfSetting } from './conf-syntax.js';
import type { ConfigOptions } from './options.js';

export interface Listener {
  host: string | undefined;
  port: number;
  setting: ConfSetting;
}

export type LogLevelName =
  'debug' | 'info' | 'notice' | 'warning' | 'error' | 'critical' | 'alert' | 'emergency' | 'none';

export interface Collected {
  /** keys that map one to one onto an option */
  options: ConfigOptions;
  /** `listeners.tcp = none` (or `listeners.ssl = none`) */
  tcpNone: ConfSetting | undefined;
  tcp: Listener[];
  sslNone: ConfSetting | undefined;
  ssl: Listener[];
  sslOptions: Partial<TlsListenerInput>;
  /** ssl_options.versions.N and ciphers.N, by N, in file order */
  sslVersions: Map<string, string>;
  sslCiphers: Map<string, string>;
  /** auth_mechanisms.N, by N, in file order */
  authMechanisms: Map<string, string>;
  loopbackNone: boolean;
  /** loopback_users.<name> = true/false */
  loopbackUsers: Map<string, boolean>;
  diskAbsolute: number | undefined;
  diskRelative: number | undefined;
  memoryAbsolute: number | undefined;
  memoryRelative: number | undefined;
  logConsole: boolean | undefined;
  logConsoleLevel: LogLevelName | undefined;
  /** log.file: a path, or false for no file */
  logFile: string | false | undefined;
  logFileLevel: LogLevelName | undefined;
  logFileLevelSetting: ConfSetting | undefined;
  logDir: string | undefined;
  /** load_definitions */
  loadDefinitions: string | undefined;
  definitionsBackend: ConfSetting | undefined;
  definitionsPath: { path: string; setting: ConfSetting } | undefined;
}

export function emptyCollected(): Collected {
  return {
    options: {},
    tcpNone: undefined,
    tcp: [],
    sslNone: undefined,
    ssl: [],
    sslOptions: {},
    sslVersions: new Map(),
    sslCiphers: new Map(),
    authMechanisms: new Map(),
    loopbackNone: false,
    loopbackUsers: new Map(),
    diskAbsolute: undefined,
    diskRelative: undefined,
    memoryAbsolute: undefined,
    memoryRelative: undefined,
    logConsole: undefined,
    logConsoleLevel: undefined,
    logFile: undefined,
    logFileLevel: undefined,
    logFileLevelSetting: undefined,
    logDir: undefined,
    loadDefinitions: undefined,
    definitionsBackend: undefined,
    definitionsPath: undefined,
  };
}
