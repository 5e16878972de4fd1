/**
 * One connection's side of the resource alarms, after RabbitMQ's rabbit_reader throttle:
 *
 * - While no alarm is on, nothing happens (the connection checks `alarms.active`, one boolean, after
 *   each content frame and only then calls in here).
 * - A content header or body frame arriving while an alarm is on blocks the connection: no further
 *   frame is parsed and the socket is not read, so the client's writes back up into TCP. A frame that
 *   completed a message was handled first (as in RabbitMQ); a publish whose body had not arrived waits.
 *   A connection that publishes and consumes is blocked entirely, its acks included; deliveries to it
 *   keep flowing until its prefetch windows fill.
 * - If the client announced the `connection.blocked` capability it gets connection.blocked with the
 *   reason ("low on memory"), once per blocked period, and connection.unblocked when every alarm has
 *   cleared and reading resumes.
 * - The missed-heartbeat check is paused while blocked (the client's heartbeats sit unread in the
 *   socket); it restarts from the moment reading resumes.
 */
import type { Blockable, ResourceAlarms } from './resource-alarms.js';

/** What the throttle needs from its connection. */
export interface Throttled {
  /** parse no further frame and stop reading the socket */
  stopReading(): void;
  /** parse what was held back and read the socket again (deferred to the end of the turn) */
  resumeReading(): void;
  sendBlocked(reason: string): void;
  sendUnblocked(): void;
}

/** RabbitMQ's connection `state` column: blocking = an alarm is on but this one has not published. */
export type ThrottleState = 'running' | 'blocking' | 'blocked';

export class PublishThrottle implements Blockable {
  blocked = false;
  /** the client announced capability `connection.blocked` in start-ok */
  notify = false;
  private sent = false;
  private readonly alarms: ResourceAlarms;
  private readonly conn: Throttled;

  constructor(alarms: ResourceAlarms, conn: Throttled) {
    this.alarms = alarms;
    this.conn = conn;
  }

  get state(): ThrottleState {
    return this.blocked ? 'blocked' : this.alarms.active ? 'blocking' : 'running';
  }

  /** RabbitMQ's publish_received: a content frame arrived; blocks if any alarm is on. */
  publishReceived(): void {
    if (this.blocked || !this.alarms.active) return;
    this.blocked = true;
    this.alarms.block(this);
    this.conn.stopReading();
    if (this.notify && !this.sent) {
      this.sent = true;
      this.conn.sendBlocked(this.alarms.reason());
    }
  }

  /** Every alarm cleared (called by ResourceAlarms). */
  unblock(): void {
    if (!this.blocked) return;
    this.blocked = false;
    if (this.sent) {
      this.sent = false;
      this.conn.sendUnblocked();
    }
    this.conn.resumeReading();
  }

  /** The connection is closing: read again (its close-ok must get through), with nothing sent. */
  release(): void {
    this.alarms.forget(this);
    if (!this.blocked) return;
    this.blocked = false;
    this.sent = false;
    this.conn.resumeReading();
  }

  /** The connection is gone. */
  forget(): void {
    this.alarms.forget(this);
  }
}
