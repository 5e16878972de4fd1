/**
 * The users, vhosts, permissions and topic permissions sections of a definitions file, through the
 * access-control converters (src/auth/definitions-json.ts) and the Broker's API. Checked as a whole
 * first (every permission names a user and a vhost that exist or that the file creates), applied
 * after: vhosts, then users, then permissions.
 */
import {
  permissionFromJson,
  permissionsToJson,
  topicPermissionFromJson,
  topicPermissionsToJson,
  userFromJson,
  usersToJson,
  vhostFromJson,
  vhostLimitsToParameters,
  vhostsToJson,
} from '../auth/definitions-json.js';
import type { UserInput } from '../auth/access-control.js';
import type { HashingAlgorithm } from '../auth/password.js';
import type { Permission, TopicPermission } from '../auth/permissions.js';
import type { VhostMetadataInput } from '../auth/vhost-metadata.js';
import type { Broker } from '../core/broker.js';
import { wrap } from './check.js';
import { DefinitionsError } from './error.js';
import type { JsonObject } from './json-types.js';
import type { DefinitionsDocument } from './read.js';

export interface CheckedAuth {
  vhosts: { name: string; metadata: VhostMetadataInput }[];
  /** vhosts the file creates (not in the broker yet) */
  newVhosts: Set<string>;
  users: UserInput[];
  permissions: Permission[];
  topicPermissions: TopicPermission[];
}

export function checkAuthSections(broker: Broker, doc: DefinitionsDocument): CheckedAuth {
  const vhosts = doc.vhosts.map((v) => wrap(v.label, () => vhostFromJson(v.json)));
  const newVhosts = new Set(vhosts.map((v) => v.name).filter((n) => !broker.vhosts.has(n)));
  // A user without hashing_algorithm is MD5 in files from RabbitMQ before 3.6, as RabbitMQ reads them.
  const hashing: HashingAlgorithm | undefined = olderThan36(doc.version)
    ? 'rabbit_password_hashing_md5'
    : undefined;
  const users = doc.users.map((u) => wrap(u.label, () => userFromJson(u.json, hashing)));
  const userNames = new Set(users.map((u) => u.name));

  const target = (label: string, p: { user: string; vhost: string }): void => {
    if (!broker.users.has(p.user) && !userNames.has(p.user)) {
      throw new DefinitionsError(`${label}: user '${p.user}' does not exist and is not created by this file`);
    }
    if (!broker.vhosts.has(p.vhost) && !newVhosts.has(p.vhost)) {
      throw new DefinitionsError(
        `${label}: virtual host '${p.vhost}' does not exist and is not created by this file`,
      );
    }
  };
  const permissions = doc.permissions.map((p) => {
    const perm = wrap(p.label, () => permissionFromJson(p.json));
    target(p.label, perm);
    return perm;
  });
  const topicPermissions = doc.topicPermissions.map((p) => {
    const perm = wrap(p.label, () => topicPermissionFromJson(p.json));
    target(p.label, perm);
    return perm;
  });
  return { vhosts, newVhosts, users, permissions, topicPermissions };
}

export function applyAuthSections(
  broker: Broker,
  auth: CheckedAuth,
): { vhosts: number; users: number; permissions: number; topicPermissions: number } {
  for (const v of auth.vhosts) broker.addVhost(v.name, v.metadata);
  for (const u of auth.users) broker.putUser(u);
  for (const p of auth.permissions) broker.setPermissions(p.user, p.vhost, p);
  for (const t of auth.topicPermissions) broker.setTopicPermissions(t.user, t.vhost, t.exchange, t);
  return {
    vhosts: auth.vhosts.length,
    users: auth.users.length,
    permissions: auth.permissions.length,
    topicPermissions: auth.topicPermissions.length,
  };
}

export function exportAuthSections(broker: Broker): {
  users: JsonObject[];
  vhosts: JsonObject[];
  permissions: JsonObject[];
  topicPermissions: JsonObject[];
  parameters: { vhost: string; component: string; name: string; value: JsonObject }[];
} {
  return {
    users: usersToJson(broker) as unknown as JsonObject[],
    vhosts: vhostsToJson(broker) as unknown as JsonObject[],
    permissions: permissionsToJson(broker) as unknown as JsonObject[],
    topicPermissions: topicPermissionsToJson(broker) as unknown as JsonObject[],
    parameters: vhostLimitsToParameters(broker),
  };
}

/** "3.5.7" and older; an absent or unreadable version counts as current. */
function olderThan36(version: string | undefined): boolean {
  const m = /^(\d+)\.(\d+)/.exec(version ?? '');
  if (!m) return false;
  const [major, minor] = [Number(m[1]), Number(m[2])];
  return major < 3 || (major === 3 && minor < 6);
}
