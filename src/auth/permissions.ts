/**
 * The permission tables: per vhost and user, the configure/write/read patterns (RabbitMQ's
 * `set_permissions`), and per vhost, user and exchange, the write/read patterns on routing keys
 * (`set_topic_permissions`). Patterns are compiled once, when set.
 *
 * Topic patterns may name the variables `{username}` and `{vhost}`, replaced by the user's name and
 * the vhost's before matching, as RabbitMQ does for AMQP 0-9-1 (its other variables, such as
 * `{client_id}`, come from MQTT and STOMP connections, which Warren does not have). The user and vhost
 * of a topic permission are fixed, so the expansion is done once, at set time.
 */
import { compilePermission } from './pattern.js';

export type Access = 'configure' | 'write' | 'read';

export interface Permission {
  readonly user: string;
  readonly vhost: string;
  readonly configure: string;
  readonly write: string;
  readonly read: string;
}

export interface TopicPermission {
  readonly user: string;
  readonly vhost: string;
  readonly exchange: string;
  readonly write: string;
  readonly read: string;
}

interface CompiledPermission extends Permission {
  readonly regex: Readonly<Record<Access, RegExp>>;
}

interface CompiledTopicPermission extends TopicPermission {
  readonly regex: Readonly<Record<'write' | 'read', RegExp>>;
}

/** Permissions and topic permissions of every user in every vhost. */
export class PermissionTable {
  /** vhost -> user -> permission */
  private readonly perms = new Map<string, Map<string, CompiledPermission>>();
  /** vhost -> user -> exchange -> topic permission */
  private readonly topics = new Map<string, Map<string, Map<string, CompiledTopicPermission>>>();

  /** Sets (or replaces) a user's permissions in a vhost; throws AuthError('invalid') on a bad pattern. */
  set(p: Permission): Permission {
    const compiled: CompiledPermission = Object.freeze({
      user: p.user,
      vhost: p.vhost,
      configure: p.configure,
      write: p.write,
      read: p.read,
      regex: {
        configure: compilePermission(p.configure),
        write: compilePermission(p.write),
        read: compilePermission(p.read),
      },
    });
    let byUser = this.perms.get(p.vhost);
    if (!byUser) this.perms.set(p.vhost, (byUser = new Map()));
    byUser.set(p.user, compiled);
    return compiled;
  }

  /** Returns whether there was anything to clear. */
  clear(user: string, vhost: string): boolean {
    const byUser = this.perms.get(vhost);
    const had = byUser?.delete(user) ?? false;
    if (byUser?.size === 0) this.perms.delete(vhost);
    return had;
  }

  get(user: string, vhost: string): Permission | undefined {
    return this.perms.get(vhost)?.get(user);
  }

  /** Whether the user's `access` pattern in the vhost matches `name` (false without permissions). */
  allows(user: string, vhost: string, access: Access, name: string): boolean {
    const p = this.perms.get(vhost)?.get(user);
    return p !== undefined && p.regex[access].test(name);
  }

  /** Sets (or replaces) a topic permission; throws AuthError('invalid') on a bad pattern. */
  setTopic(p: TopicPermission): TopicPermission {
    // The raw pattern must be valid on its own (RabbitMQ validates before expanding), and so must
    // the expanded one, which is what is matched.
    compilePermission(p.write);
    compilePermission(p.read);
    const expand = (pattern: string): string =>
      pattern.replaceAll('{username}', p.user).replaceAll('{vhost}', p.vhost);
    const compiled: CompiledTopicPermission = Object.freeze({
      user: p.user,
      vhost: p.vhost,
      exchange: p.exchange,
      write: p.write,
      read: p.read,
      regex: { write: compilePermission(expand(p.write)), read: compilePermission(expand(p.read)) },
    });
    let byUser = this.topics.get(p.vhost);
    if (!byUser) this.topics.set(p.vhost, (byUser = new Map()));
    let byExchange = byUser.get(p.user);
    if (!byExchange) byUser.set(p.user, (byExchange = new Map()));
    byExchange.set(p.exchange, compiled);
    return compiled;
  }

  /** Clears one exchange's topic permission, or all of the user's in the vhost; returns what went. */
  clearTopic(user: string, vhost: string, exchange?: string): TopicPermission[] {
    const byUser = this.topics.get(vhost);
    const byExchange = byUser?.get(user);
    if (!byUser || !byExchange) return [];
    const gone = [...byExchange.values()].filter((t) => exchange === undefined || t.exchange === exchange);
    for (const t of gone) byExchange.delete(t.exchange);
    if (byExchange.size === 0) byUser.delete(user);
    if (byUser.size === 0) this.topics.delete(vhost);
    return gone;
  }

  /**
   * The routing-key pattern a user's topic permission sets on an exchange, or undefined when there is
   * none: then every routing key is allowed (RabbitMQ's rule).
   */
  topicPattern(user: string, vhost: string, exchange: string, access: 'write' | 'read'): RegExp | undefined {
    return this.topics.get(vhost)?.get(user)?.get(exchange)?.regex[access];
  }

  list(filter: { user?: string; vhost?: string } = {}): Permission[] {
    const out: Permission[] = [];
    for (const [vhost, byUser] of this.perms) {
      if (filter.vhost !== undefined && vhost !== filter.vhost) continue;
      for (const p of byUser.values()) if (filter.user === undefined || p.user === filter.user) out.push(p);
    }
    return out.map(plain);
  }

  listTopic(filter: { user?: string; vhost?: string } = {}): TopicPermission[] {
    const out: TopicPermission[] = [];
    for (const [vhost, byUser] of this.topics) {
      if (filter.vhost !== undefined && vhost !== filter.vhost) continue;
      for (const [user, byExchange] of byUser) {
        if (filter.user !== undefined && user !== filter.user) continue;
        for (const t of byExchange.values()) out.push(plainTopic(t));
      }
    }
    return out;
  }

  /** Forgets everything about a vhost (it was deleted). */
  dropVhost(vhost: string): void {
    this.perms.delete(vhost);
    this.topics.delete(vhost);
  }

  /** Forgets everything about a user (it was deleted). */
  dropUser(user: string): void {
    for (const [vhost, byUser] of this.perms) {
      byUser.delete(user);
      if (byUser.size === 0) this.perms.delete(vhost);
    }
    for (const [vhost, byUser] of this.topics) {
      byUser.delete(user);
      if (byUser.size === 0) this.topics.delete(vhost);
    }
  }
}

function plain(p: Permission): Permission {
  return { user: p.user, vhost: p.vhost, configure: p.configure, write: p.write, read: p.read };
}

function plainTopic(t: TopicPermission): TopicPermission {
  return { user: t.user, vhost: t.vhost, exchange: t.exchange, write: t.write, read: t.read };
}
