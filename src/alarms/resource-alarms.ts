/**
 * Which resources are in alarm, and the connections an alarm has blocked (RabbitMQ's rabbit_alarm
 * plus the publisher throttling of rabbit_reader).
 *
 * A connection is not blocked when an alarm goes off: it is blocked the next time it sends a content
 * frame (a publish) while any alarm is on, and from then on nothing more is read from its socket, so a
 * client that keeps writing fills TCP buffers instead of broker memory. Connections that only consume
 * are never blocked. Every blocked connection is released together when the last alarm clears.
 *
 * The publish path checks one boolean, `active`; everything else here runs on alarm changes only.
 */
import type { EventEmitter } from 'node:events';
import type { Logger } from '../log.js';
import type { DiskMonitor } from './disk-monitor.js';
import type { MemoryMonitor } from './memory-monitor.js';

export type Resource = 'disk' | 'memory';

/** One alarm as RabbitMQ's health checks report it (`/api/health/checks/alarms`). */
export interface LocalAlarm {
  resource: 'disk space' | 'memory';
  node: string;
}

/** What ResourceAlarms needs from a blocked connection. */
export interface Blockable {
  /** every alarm has cleared: send connection.unblocked (if blocked was sent) and read again */
  unblock(): void;
}

/** Numbers behind the alarms, for status listings (RabbitMQ's disk_free, mem_used, ...). */
export interface ResourceStatus {
  diskFree: number | undefined;
  diskFreeLimit: number;
  /** false for a memory-only broker: there is no data directory to watch */
  diskMonitored: boolean;
  memUsed: number;
  memLimit: number;
  alarms: Resource[];
}

/** Order in reasons and listings; RabbitMQ's set happens to list disk before memory. */
const ORDER: readonly Resource[] = ['disk', 'memory'];

export class ResourceAlarms {
  /** true while any resource is in alarm: the one thing the publish path looks at */
  active = false;
  private readonly on = new Set<Resource>();
  private readonly blocked = new Set<Blockable>();
  private readonly events: EventEmitter;
  private readonly changed: ((resource: Resource, active: boolean) => void) | undefined;
  /** set by Warren; silent until then */
  log: Logger | undefined;
  disk: DiskMonitor | undefined;
  memory: MemoryMonitor | undefined;

  /**
   * `events` (the Broker) gets 'alarm-set' and 'alarm-clear' with the resource; `changed` is called
   * on both as well (the Broker's typed 'alarm' event, src/core/events.ts).
   */
  constructor(events: EventEmitter, changed?: (resource: Resource, active: boolean) => void) {
    this.events = events;
    this.changed = changed;
  }

  /** The resources in alarm now. */
  list(): Resource[] {
    return ORDER.filter((r) => this.on.has(r));
  }

  has(resource: Resource): boolean {
    return this.on.has(resource);
  }

  /** Called by a monitor when its resource crosses the limit; `detail` goes into the log line. */
  set(resource: Resource, detail: string): void {
    if (this.on.has(resource)) return;
    this.on.add(resource);
    this.active = true;
    this.log?.warn(
      { resource, alarm: 'set' },
      `${resource} resource limit alarm set (${detail}). Publishers will be blocked until this alarm clears`,
    );
    this.events.emit('alarm-set', resource);
    this.changed?.(resource, true);
  }

  /** Called by a monitor when its resource is back within the limit. */
  clear(resource: Resource, detail: string): void {
    if (!this.on.delete(resource)) return;
    this.active = this.on.size > 0;
    this.log?.warn({ resource, alarm: 'clear' }, `${resource} resource limit alarm cleared (${detail})`);
    this.events.emit('alarm-clear', resource);
    this.changed?.(resource, false);
    if (this.active) return;
    const released = [...this.blocked];
    this.blocked.clear();
    for (const c of released) c.unblock();
  }

  /** connection.blocked's reason, as RabbitMQ words it: "low on disk", "low on disk & memory". */
  reason(): string {
    return `low on ${this.list().join(' & ')}`;
  }

  /** A connection stopped reading because of the alarms; it is unblocked when they all clear. */
  block(c: Blockable): void {
    this.blocked.add(c);
  }

  /** A blocked connection closed (or was released for closing): nothing to unblock any more. */
  forget(c: Blockable): void {
    this.blocked.delete(c);
  }

  get blockedCount(): number {
    return this.blocked.size;
  }

  /** RabbitMQ's rabbit_alarm:get_local_alarms, formatted as its health check does. */
  localAlarms(node: string): LocalAlarm[] {
    return this.list().map((r) => ({ resource: r === 'disk' ? 'disk space' : 'memory', node }));
  }

  status(): ResourceStatus {
    return {
      diskFree: this.disk?.free,
      diskFreeLimit: this.disk?.limitBytes ?? 0,
      diskMonitored: this.disk?.enabled ?? false,
      memUsed: this.memory?.used ?? 0,
      memLimit: this.memory?.limitBytes ?? 0,
      alarms: this.list(),
    };
  }
}
