/**
 * Reads a rabbitmq.conf-style file into broker options: syntax (conf-syntax.ts), then every key
 * checked against the schema and its value converted, then the combined translations. The first
 * problem is thrown as a ConfigError naming the file and line; nothing is half-applied.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { emptyCollected } from './collected.js';
import { type ConfInclude, type ConfSetting, parseConfText } from './conf-syntax.js';
import { ConfigError, ValueError } from './error.js';
import type { ConfigResult } from './options.js';
import { findKey } from './schema.js';
import { translate } from './translate.js';

/** Includes nested deeper than this are a loop. */
const MAX_INCLUDE_DEPTH = 10;

export function loadConfigFile(file: string): ConfigResult {
  const abs = resolve(file);
  return loadConfigText(readConf(abs, file, 0), abs, file);
}

/** Parses config text as if read from `file` (relative paths in it resolve against its directory). */
export function parseConfig(text: string, file: string): ConfigResult {
  const abs = resolve(file);
  return loadConfigText(expand(parseConfText(text, file), 0), abs, file);
}

function loadConfigText(settings: ConfSetting[], abs: string, file: string): ConfigResult {
  // As cuttlefish: a key given twice keeps its last value.
  const last = new Map<string, ConfSetting>();
  for (const s of settings) {
    last.delete(s.key);
    last.set(s.key, s);
  }
  const collected = emptyCollected();
  for (const s of last.values()) {
    const found = findKey(s.words);
    if (!found) {
      throw new ConfigError(
        s.file,
        s.line,
        `unknown key '${s.key}' (RabbitMQ keys Warren supports are listed in docs/configuration.md)`,
      );
    }
    try {
      found.spec.apply(collected, s.value, { dir: dirname(resolve(s.file)) }, s, found.name);
    } catch (e) {
      if (e instanceof ValueError) throw new ConfigError(s.file, s.line, `${s.key}: ${e.message}`);
      throw e;
    }
  }
  const warnings: string[] = [];
  const options = translate(collected, dirname(abs), warnings);
  return { file, options, warnings };
}

function readConf(path: string, shown: string, depth: number): ConfSetting[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new ConfigError(
      shown,
      0,
      code === 'ENOENT' ? 'config file not found' : `cannot read config file (${code ?? String(e)})`,
    );
  }
  return expand(parseConfText(text, shown), depth);
}

/** Replaces include directives by the settings of the files they name, in place. */
function expand(entries: (ConfSetting | ConfInclude)[], depth: number): ConfSetting[] {
  const out: ConfSetting[] = [];
  for (const e of entries) {
    if (!('include' in e)) {
      out.push(e);
      continue;
    }
    if (depth >= MAX_INCLUDE_DEPTH)
      throw new ConfigError(e.file, e.line, 'includes nested too deep (a loop?)');
    for (const path of includedFiles(e)) {
      out.push(...readConf(path, path, depth + 1));
    }
  }
  return out;
}

/** cuttlefish's include: relative to the including file; `*` may appear in the last segment only. */
function includedFiles(e: ConfInclude): string[] {
  const target = resolve(dirname(resolve(e.file)), e.include);
  const dir = dirname(target);
  const name = basename(target);
  if (dir.includes('*'))
    throw new ConfigError(e.file, e.line, `include: '*' is allowed in the file name only`);
  if (!name.includes('*')) return [target];
  const re = new RegExp(`^${name.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`);
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return []; // as cuttlefish's wildcard: a missing directory matches nothing
  }
  return names
    .filter((n) => re.test(n))
    .sort()
    .map((n) => join(dir, n));
}
