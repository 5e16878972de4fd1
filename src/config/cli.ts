/**
 * The config file as the `warren` command uses it. The file is read before the command-line options
 * are defined, because its values become their defaults: defaults < config file < environment
 * variables < flags, the order the CLI already had for environment variables and flags.
 */
import { createLogger, type Logger, type LogLevel } from '../log.js';
import { ConfigError } from './error.js';
import { loadConfigFile } from './load.js';
import type { ConfigOptions, ConfigResult } from './options.js';

/** `--config <file>` / `--config=<file>` on the command line, else WARREN_CONFIG_FILE. */
export function configFileArg(argv: readonly string[], env: NodeJS.ProcessEnv): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    if (a === '--') break;
    if (a === '--config') return argv[i + 1];
    if (a.startsWith('--config=')) return a.slice('--config='.length);
  }
  const fromEnv = env['WARREN_CONFIG_FILE'];
  return fromEnv === undefined || fromEnv === '' ? undefined : fromEnv;
}

/**
 * Reads the config file named on the command line or in the environment; {} when there is none.
 * A bad file ends the process: one error line naming the file and line, exit code 1.
 */
export function loadCliConfig(argv: readonly string[], env: NodeJS.ProcessEnv): ConfigResult | undefined {
  const file = configFileArg(argv, env);
  if (file === undefined) return undefined;
  try {
    return loadConfigFile(file);
  } catch (e) {
    if (e instanceof ConfigError) return startupFailed(e);
    throw e;
  }
}

/** Logs which config file is in force and RabbitMQ's warnings about it. */
export function reportConfig(result: ConfigResult | undefined, level: LogLevel): void {
  if (!result) return;
  const log = createLogger(level);
  log.info(`config file: ${result.file}`);
  for (const w of result.warnings) log.warn(w);
  log.flush();
}

/** A start that cannot go on (bad config, definitions, port in use): one log line, exit code 1. */
export function startupFailed(e: unknown, log: Logger = createLogger('error')): never {
  log.error(`Warren failed to start: ${e instanceof Error ? e.message : String(e)}`);
  log.flush();
  process.exit(1);
}

export type { ConfigOptions };
