/**
 * Opens (or creates) a data directory: checks its format marker, then wires definitions and message
 * stores into the broker and recovers what they hold.
 *
 * Layout:  <dataDir>/warren.json        format marker {"format": N}
 *          <dataDir>/definitions.log    durable vhosts, exchanges, queues, bindings (definitions.ts)
 *          <dataDir>/messages/          segment files of persistent messages (segment-store.ts)
 */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Broker } from '../core/broker.js';
import type { Logger } from '../log.js';
import { DefinitionsStore } from './definitions.js';
import { DurableStorage } from './durable.js';
import { SegmentStore } from './segment-store.js';

/** Format of the data directory as a whole; bump on any incompatible change to what is inside. */
export const DATA_FORMAT = 1;

/**
 * Takes the data directory for this process: two brokers writing one store would corrupt it. A lock
 * left by a process that no longer runs (kill -9) is taken over. Returns the function that releases it.
 */
function lock(dataDir: string): () => void {
  const path = join(dataDir, 'LOCK');
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeFileSync(path, `${process.pid}\n`, { flag: 'wx' });
      return () => rmSync(path, { force: true });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const pid = Number(readFileSync(path, 'utf8').trim());
      if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && alive(pid)) {
        throw new Error(`data directory ${dataDir} is in use by process ${pid}`);
      }
      if (pid === process.pid)
        throw new Error(`data directory ${dataDir} is in use by process ${pid} (this one)`);
      rmSync(path, { force: true });
    }
  }
  throw new Error(`could not lock data directory ${dataDir}`);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** How many message bodies queues keep in memory before paging them to disk. */
export interface PagingLimits {
  /** bytes of ready message bodies across all queues */
  limitBytes: number;
  /** ready messages in one queue */
  maxLoaded: number;
}

export async function openStorage(
  dataDir: string,
  broker: Broker,
  log: Logger,
  limits: PagingLimits,
): Promise<DurableStorage> {
  mkdirSync(dataDir, { recursive: true });
  const unlock = lock(dataDir);
  try {
    return await openLocked(dataDir, broker, log, unlock, limits);
  } catch (e) {
    unlock();
    throw e;
  }
}

async function openLocked(
  dataDir: string,
  broker: Broker,
  log: Logger,
  unlock: () => void,
  limits: PagingLimits,
): Promise<DurableStorage> {
  const marker = join(dataDir, 'warren.json');
  if (existsSync(marker)) {
    let format: unknown;
    try {
      format = (JSON.parse(readFileSync(marker, 'utf8')) as { format?: unknown }).format;
    } catch {
      format = undefined;
    }
    if (format !== DATA_FORMAT) {
      throw new Error(
        `data directory ${dataDir} has format ${String(format)}, this Warren reads format ${DATA_FORMAT}; refusing to start rather than misread it`,
      );
    }
  } else {
    writeFileSync(marker, JSON.stringify({ format: DATA_FORMAT }) + '\n');
  }
  // A full disk raises the disk alarm at once, whatever disk_free_limit says (alarms/disk-monitor.ts).
  const noSpace = (store: string) => (full: boolean) => broker.alarms.disk?.noSpace(store, full);
  const defs = new DefinitionsStore(dataDir, noSpace('definitions'));
  const store = new SegmentStore(join(dataDir, 'messages'), {
    log: (msg: string, data?: object) => log.warn(data ?? {}, msg),
    onNoSpace: noSpace('messages'),
  });
  const storage = new DurableStorage(defs, store, unlock, limits);
  broker.persistence = storage;
  broker.store = store;
  await storage.recover(broker, log);
  return storage;
}
