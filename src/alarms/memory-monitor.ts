/**
 * The process's memory against `vm_memory_high_watermark`, as RabbitMQ's vm_memory_monitor does with
 * its default `rss` strategy: the resident set size the operating system reports (heap, buffers,
 * native memory, everything), looked at once a second; the alarm is on while it is above the limit.
 *
 * RabbitMQ reads the total from /proc/meminfo, as os.totalmem() does; a cgroup limit below it is not
 * taken into account (use an absolute watermark in a container).
 */
import { totalmem } from 'node:os';
import type { Logger } from '../log.js';
import { memoryLimitBytes, type MemoryHighWatermark } from './limits.js';
import type { ResourceAlarms } from './resource-alarms.js';

const MiB = 1024 * 1024;

export interface MemoryMonitorOptions {
  watermark: MemoryHighWatermark;
  /** RabbitMQ's DEFAULT_MEMORY_CHECK_INTERVAL */
  intervalMs?: number;
  /** resident bytes of this process (tests replace it) */
  rss?: () => number;
  /** bytes of RAM (tests replace it) */
  totalMemory?: () => number;
}

export class MemoryMonitor {
  /** resident bytes at the last look */
  used = 0;
  watermark: MemoryHighWatermark;
  limitBytes = 0;
  private readonly alarms: ResourceAlarms;
  private readonly log: Logger;
  private readonly intervalMs: number;
  private readonly rss: () => number;
  private readonly totalMemory: () => number;
  private timer: NodeJS.Timeout | undefined;

  constructor(alarms: ResourceAlarms, options: MemoryMonitorOptions, log: Logger) {
    this.alarms = alarms;
    this.log = log;
    this.intervalMs = options.intervalMs ?? 1000;
    this.rss = options.rss ?? (() => process.memoryUsage.rss());
    this.totalMemory = options.totalMemory ?? totalmem;
    this.watermark = options.watermark;
    this.limitBytes = this.resolve(options.watermark);
  }

  /** First look now (the alarm is set at once if due), then one a second. */
  start(): void {
    this.announce();
    this.look();
    this.timer = setInterval(() => this.look(), this.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** rabbitmqctl set_vm_memory_high_watermark: takes effect at once. */
  setWatermark(watermark: MemoryHighWatermark): void {
    this.limitBytes = this.resolve(watermark);
    this.watermark = watermark;
    this.announce();
    this.look();
  }

  look(): void {
    this.used = this.rss();
    const detail = `memory used ${this.used} bytes, allowed ${this.limitBytes} bytes`;
    if (this.used > this.limitBytes) this.alarms.set('memory', detail);
    else this.alarms.clear('memory', detail);
  }

  private resolve(watermark: MemoryHighWatermark): number {
    const { bytes, capped } = memoryLimitBytes(watermark, this.totalMemory());
    if (capped) this.log.warn('Memory high watermark above 1.0 of RAM is not allowed: using 1.0');
    return bytes;
  }

  private announce(): void {
    const total = this.totalMemory();
    this.log.info(
      `Memory high watermark set to ${Math.trunc(this.limitBytes / MiB)} MiB (${this.limitBytes} bytes)` +
        ` of ${Math.trunc(total / MiB)} MiB (${total} bytes) total`,
    );
  }
}
