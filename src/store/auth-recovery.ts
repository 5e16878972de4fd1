/**
 * Users, vhosts (metadata and limits), permissions and topic permissions between the core and the
 * definitions log: the records DurableStorage writes, and their replay at startup.
 *
 * RabbitMQ seeds the default user and vhost only into an empty database. The Broker starts with them
 * in memory; if the log holds any user, vhost or permission, they are dropped before the replay, and
 * otherwise they stay to be recorded by Broker.commitDefaults().
 */
import type { User } from '../auth/user.js';
import type { Permission, TopicPermission } from '../auth/permissions.js';
import type { Broker } from '../core/broker.js';
import type { VHost } from '../core/vhost.js';
import type { Logger } from '../log.js';
import type {
  DefinitionsState,
  PermissionDef,
  TopicPermissionDef,
  UserDef,
  VhostDef,
} from './definitions.js';

export function vhostDef(v: VHost): VhostDef {
  const m = v.metadata;
  return {
    name: v.name,
    description: m.description,
    tags: [...m.tags],
    ...(m.defaultQueueType !== undefined ? { defaultQueueType: m.defaultQueueType } : {}),
    limits: { ...v.limits },
  };
}

export function userDef(u: User): UserDef {
  return {
    name: u.name,
    passwordHash: u.passwordHash.toString('base64'),
    hashingAlgorithm: u.hashingAlgorithm,
    tags: [...u.tags],
    limits: { ...u.limits },
  };
}

export function permissionDef(p: Permission): PermissionDef {
  return { user: p.user, vhost: p.vhost, configure: p.configure, write: p.write, read: p.read };
}

export function topicPermissionDef(p: TopicPermission): TopicPermissionDef {
  return { user: p.user, vhost: p.vhost, exchange: p.exchange, write: p.write, read: p.read };
}

/** Whether the log has no users, vhosts or permissions: a first boot, where defaults are seeded. */
export function isVirgin(state: DefinitionsState): boolean {
  return state.users.length === 0 && state.vhosts.length === 0 && state.permissions.length === 0;
}

/**
 * Rebuilds users, vhosts and permissions. The caller has detached the broker's persistence, so none
 * of this is written back. A record that no longer validates is logged and skipped rather than
 * keeping the broker from starting. Vhost limits are left for restoreVhostLimits, after the queues
 * are back (a lowered max-queues must not refuse queues that exist).
 */
export function restoreAccess(broker: Broker, state: DefinitionsState, log: Logger): void {
  if (!isVirgin(state)) broker.dropProvisionalDefaults();
  const skip = (what: string, e: unknown): void =>
    log.warn(`${what} not recovered: ${e instanceof Error ? e.message : String(e)}`);
  for (const d of state.vhosts) {
    try {
      broker.addVhost(d.name, {
        description: d.description ?? '',
        tags: d.tags ?? [],
        ...(d.defaultQueueType !== undefined ? { defaultQueueType: d.defaultQueueType } : {}),
      });
    } catch (e) {
      broker.addVhost(d.name);
      skip(`metadata of vhost '${d.name}'`, e);
    }
  }
  for (const u of state.users) {
    try {
      broker.putUser({
        name: u.name,
        passwordHash: u.passwordHash,
        hashingAlgorithm: u.hashingAlgorithm,
        tags: u.tags,
        limits: u.limits,
      });
    } catch (e) {
      skip(`user '${u.name}'`, e);
    }
  }
  for (const p of state.permissions) {
    try {
      broker.setPermissions(p.user, p.vhost, p);
    } catch (e) {
      skip(`permissions of user '${p.user}' in vhost '${p.vhost}'`, e);
    }
  }
  for (const t of state.topicPermissions) {
    try {
      broker.setTopicPermissions(t.user, t.vhost, t.exchange, t);
    } catch (e) {
      skip(`topic permissions of user '${t.user}' in vhost '${t.vhost}' on '${t.exchange}'`, e);
    }
  }
}

export function restoreVhostLimits(broker: Broker, state: DefinitionsState, log: Logger): void {
  for (const d of state.vhosts) {
    if (!d.limits || Object.keys(d.limits).length === 0) continue;
    try {
      broker.setVhostLimits(d.name, d.limits);
    } catch (e) {
      log.warn(`limits of vhost '${d.name}' not recovered: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
}
