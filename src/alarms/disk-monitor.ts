/**
 * Free disk space of the data directory's filesystem against `disk_free_limit`, as RabbitMQ's
 * rabbit_disk_monitor does: free space is what an unprivileged process may still use (`df`'s
 * "Available", statfs bavail x bsize); the alarm is on while it is below the limit.
 *
 * Polling follows RabbitMQ: the further free space is above the limit, the longer the pause before the
 * next look (the time a disk would take to fill at 250 MB/s, doubled, between 100 ms and 10 s); while
 * in alarm, or when free space cannot be read, every 10 s. Changing the limit looks again at once.
 *
 * A broker without a data directory writes nothing to disk, so there is nothing for this alarm to
 * protect: the monitor is off (RabbitMQ always has a data directory; its monitor can be disabled too).
 * statfs runs on libuv's thread pool, never blocking the event loop.
 */
import { statfs } from 'node:fs/promises';
import { totalmem } from 'node:os';
import type { Logger } from '../log.js';
import { diskFreeLimitBytes, type DiskFreeLimit } from './limits.js';
import type { ResourceAlarms } from './resource-alarms.js';

/** RabbitMQ's FAST_RATE: the fill rate (bytes per ms) the polling interval assumes */
const FAST_RATE = 250_000;

export interface DiskMonitorOptions {
  /** the directory whose filesystem is watched; undefined = monitoring off */
  dir: string | undefined;
  limit: DiskFreeLimit;
  minIntervalMs?: number;
  maxIntervalMs?: number;
  /** bytes available in `dir`'s filesystem (tests replace it) */
  freeBytes?: (dir: string) => Promise<number>;
  /** bytes of RAM, for relative limits (tests replace it) */
  totalMemory?: () => number;
}

async function availableBytes(dir: string): Promise<number> {
  const s = await statfs(dir);
  return s.bavail * s.bsize;
}

export class DiskMonitor {
  readonly enabled: boolean;
  /** free bytes at the last look; undefined before it or when it failed */
  free: number | undefined;
  limit: DiskFreeLimit;
  limitBytes = 0;
  private readonly dir: string | undefined;
  private readonly alarms: ResourceAlarms;
  private readonly log: Logger;
  private readonly minIntervalMs: number;
  private readonly maxIntervalMs: number;
  private readonly freeBytes: (dir: string) => Promise<number>;
  private readonly totalMemory: () => number;
  private timer: NodeJS.Timeout | undefined;
  /** looks run one after another: a limit change waits for the look in flight */
  private chain: Promise<void> = Promise.resolve();
  private stopped = false;
  private failing = false;
  /** stores that found no space to write (ENOSPC): in alarm whatever statfs says, until they can again */
  private readonly writeFailed = new Set<string>();

  constructor(alarms: ResourceAlarms, options: DiskMonitorOptions, log: Logger) {
    this.alarms = alarms;
    this.log = log;
    this.dir = options.dir;
    this.enabled = options.dir !== undefined;
    this.minIntervalMs = options.minIntervalMs ?? 100;
    this.maxIntervalMs = options.maxIntervalMs ?? 10_000;
    this.freeBytes = options.freeBytes ?? availableBytes;
    this.totalMemory = options.totalMemory ?? totalmem;
    this.limit = options.limit;
    this.limitBytes = diskFreeLimitBytes(options.limit, this.totalMemory());
  }

  /** First look, then polling. Resolves once the first look is done (the alarm is set if due). */
  async start(): Promise<void> {
    if (!this.enabled) {
      this.log.debug('free disk space monitoring is off: no data directory');
      return;
    }
    this.log.info(`Disk free limit set to ${Math.trunc(this.limitBytes / 1_000_000)}MB`);
    await this.look();
    this.log.info(`Enabled free disk space monitoring (disk free space: ${this.free ?? 'unknown'} bytes)`);
    this.schedule();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** rabbitmqctl set_disk_free_limit: takes effect at once; resolves after the new look. */
  async setLimit(limit: DiskFreeLimit): Promise<void> {
    const bytes = diskFreeLimitBytes(limit, this.totalMemory());
    this.limit = limit;
    this.limitBytes = bytes;
    if (!this.enabled) {
      this.log.info('Disk free limit recorded, but free disk space monitoring is off (no data directory)');
      return;
    }
    this.log.info(`Disk free limit set to ${Math.trunc(bytes / 1_000_000)}MB`);
    await this.look();
  }

  /**
   * The stores report a write that failed for want of space (true) and their next successful write
   * (false). A limit below what one write needs would otherwise let publishers run into a full disk.
   */
  noSpace(store: string, full: boolean): void {
    if (this.writeFailed.has(store) === full) return;
    if (full) this.writeFailed.add(store);
    else this.writeFailed.delete(store);
    void this.look();
  }

  /** One look at free space, queued behind any look in flight. */
  look(): Promise<void> {
    // A look that threw must not stop the ones after it.
    const next = this.chain.catch(() => undefined).then(() => this.update());
    this.chain = next;
    return next;
  }

  private async update(): Promise<void> {
    const dir = this.dir;
    if (dir === undefined || this.stopped) return;
    try {
      this.free = await this.freeBytes(dir);
      if (this.failing) this.log.info('free disk space can be read again');
      this.failing = false;
    } catch (e) {
      // Unknown free space changes nothing (RabbitMQ's 'NaN' does not raise the alarm either).
      this.free = undefined;
      if (!this.failing) this.log.warn({ err: (e as Error).message, dir }, 'cannot read free disk space');
      this.failing = true;
      return;
    }
    if (this.stopped) return;
    const detail = `free disk space ${this.free} bytes, limit ${this.limitBytes} bytes`;
    if (this.writeFailed.size > 0) this.alarms.set('disk', `no space left to write; ${detail}`);
    else if (this.free < this.limitBytes) this.alarms.set('disk', detail);
    else this.alarms.clear('disk', detail);
  }

  /** The pause before the next look, in ms (RabbitMQ's rule, see the file comment). */
  interval(): number {
    if (this.free === undefined || this.alarms.has('disk')) return this.maxIntervalMs;
    const ideal = (2 * (this.free - this.limitBytes)) / FAST_RATE;
    return Math.trunc(Math.max(this.minIntervalMs, Math.min(this.maxIntervalMs, ideal)));
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.look().then(
        () => this.schedule(),
        (e: unknown) => {
          this.log.error({ err: e }, 'free disk space monitor failed');
          this.schedule();
        },
      );
    }, this.interval());
    this.timer.unref();
  }
}
