/**
 * The live connections of each user and of each vhost, kept as they register and unregister, so the
 * connection and channel limits are checked without scanning every connection, and deleting a vhost
 * or a user finds the connections to close.
 */
import type { ConnectionInfo } from '../core/broker.js';

const NONE: ReadonlySet<ConnectionInfo> = new Set();

export class ConnectionIndex {
  private readonly byUser = new Map<string, Set<ConnectionInfo>>();
  private readonly byVhost = new Map<string, Set<ConnectionInfo>>();

  add(c: ConnectionInfo): void {
    add(this.byUser, c.userName, c);
    add(this.byVhost, c.vhostName, c);
  }

  remove(c: ConnectionInfo): void {
    remove(this.byUser, c.userName, c);
    remove(this.byVhost, c.vhostName, c);
  }

  ofUser(user: string): ReadonlySet<ConnectionInfo> {
    return this.byUser.get(user) ?? NONE;
  }

  ofVhost(vhost: string): ReadonlySet<ConnectionInfo> {
    return this.byVhost.get(vhost) ?? NONE;
  }

  /** Channels open on all of a user's connections (RabbitMQ's max-channels counts them node-wide). */
  channelsOfUser(user: string): number {
    let n = 0;
    for (const c of this.ofUser(user)) n += c.channelCount;
    return n;
  }
}

function add(m: Map<string, Set<ConnectionInfo>>, key: string, c: ConnectionInfo): void {
  let s = m.get(key);
  if (!s) m.set(key, (s = new Set()));
  s.add(c);
}

function remove(m: Map<string, Set<ConnectionInfo>>, key: string, c: ConnectionInfo): void {
  const s = m.get(key);
  if (!s) return;
  s.delete(c);
  if (s.size === 0) m.delete(key);
}
