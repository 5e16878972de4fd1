/**
 * Wiring for Warren.start: builds the disk and memory monitors onto the broker's ResourceAlarms (so
 * `broker.setDiskFreeLimit` and friends reach them), and starts them. Building checks the limits, so a
 * bad value fails before anything was opened.
 */
import type { Logger } from '../log.js';
import { DiskMonitor } from './disk-monitor.js';
import type { DiskFreeLimit, MemoryHighWatermark } from './limits.js';
import { MemoryMonitor } from './memory-monitor.js';
import type { ResourceAlarms } from './resource-alarms.js';

export interface MonitorOptions {
  /** the data directory; undefined (memory-only broker) turns the disk monitor off */
  dataDir: string | undefined;
  diskFreeLimit: DiskFreeLimit;
  memoryHighWatermark: MemoryHighWatermark;
}

/** Creates both monitors on `alarms`; throws on a limit that does not parse. */
export function createMonitors(alarms: ResourceAlarms, options: MonitorOptions, log: Logger): void {
  alarms.log = log;
  alarms.disk = new DiskMonitor(alarms, { dir: options.dataDir, limit: options.diskFreeLimit }, log);
  alarms.memory = new MemoryMonitor(alarms, { watermark: options.memoryHighWatermark }, log);
}

/** First looks (alarms already due are set when this resolves), then polling. */
export async function startMonitors(alarms: ResourceAlarms): Promise<void> {
  alarms.memory?.start();
  await alarms.disk?.start();
}

export function stopMonitors(alarms: ResourceAlarms): void {
  alarms.memory?.stop();
  alarms.disk?.stop();
}
