/**
 * load_definitions at boot: imports a definitions file, or every `.json` file of a directory in name
 * order (as RabbitMQ's local_filesystem source does). Errors name the file.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Broker } from '../core/broker.js';
import type { Logger } from '../log.js';
import { DefinitionsError } from './error.js';
import { importDefinitions, type ImportResult } from './import.js';

export function definitionFiles(path: string): string[] {
  let st;
  try {
    st = statSync(path);
  } catch {
    throw new DefinitionsError(`definitions file ${path} does not exist or cannot be read`);
  }
  if (!st.isDirectory()) return [path];
  return readdirSync(path)
    .filter((n) => n.endsWith('.json'))
    .sort()
    .map((n) => join(path, n));
}

export function loadDefinitionsFile(broker: Broker, path: string, log?: Logger): ImportResult[] {
  return definitionFiles(path).map((file) => {
    let json: unknown;
    try {
      json = JSON.parse(readFileSync(file, 'utf8'));
    } catch (e) {
      throw new DefinitionsError(`definitions file ${file}: ${(e as Error).message}`);
    }
    let result: ImportResult;
    try {
      result = importDefinitions(broker, json);
    } catch (e) {
      if (e instanceof DefinitionsError) throw new DefinitionsError(`definitions file ${file}: ${e.message}`);
      throw e;
    }
    for (const s of result.skipped) log?.warn(`definitions file ${file}: ${s}`);
    const c = result.counts;
    log?.info(
      { file, ...c },
      `Imported definitions from ${file}: ${c.vhosts} vhosts, ${c.users} users, ${c.exchanges} exchanges, ${c.queues} queues, ${c.bindings} bindings, ${c.policies} policies`,
    );
    return result;
  });
}
