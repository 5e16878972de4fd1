/**
 * Users, vhosts, permissions, topic permissions and vhost limits in RabbitMQ's definitions JSON
 * (`rabbitmqctl export_definitions`, `GET /api/definitions`). The whole-file import and export
 * (src/definitions/) calls these for its auth sections.
 *
 * Export writes RabbitMQ 3.13's shapes. Import reads what RabbitMQ releases have written: tags as a
 * list (3.9+) or a comma-separated string (older), vhost description/tags at the top level or under
 * `metadata`, a user without `hashing_algorithm` as SHA-256 (RabbitMQ reads such a user from a file
 * older than 3.6 as MD5: pass `defaultHashing` for those), a clear-text `password` instead of a hash.
 * The `*FromJson` functions only validate; applying is the caller's Broker call, so a file can be
 * checked whole before anything changes.
 */
import type { Broker } from '../core/broker.js';
import type { UserInput } from './access-control.js';
import { invalid } from './auth-error.js';
import { validateUserLimits, validateVhostLimits, type VhostLimits } from './limits.js';
import {
  DEFAULT_HASHING,
  decodePasswordHash,
  type HashingAlgorithm,
  isHashingAlgorithm,
} from './password.js';
import { permissionPattern } from './pattern.js';
import type { Permission, TopicPermission } from './permissions.js';
import { checkUserName, parseTags } from './user.js';
import { mergeMetadata, emptyMetadata, type VhostMetadataInput } from './vhost-metadata.js';

export interface UserJson {
  name: string;
  password_hash: string;
  hashing_algorithm: string;
  tags: string[];
  limits: Record<string, number>;
}

export interface VhostJson {
  name: string;
  /** RabbitMQ writes the vhost's limits here as [name, value] pairs; import reads them from parameters */
  limits: [string, number][];
  metadata: { description: string; tags: string[]; default_queue_type?: string };
}

export interface PermissionJson {
  user: string;
  vhost: string;
  configure: string;
  write: string;
  read: string;
}

export interface TopicPermissionJson {
  user: string;
  vhost: string;
  exchange: string;
  write: string;
  read: string;
}

/** A `parameters` entry holding one vhost's limits, as set_vhost_limits stores them. */
export interface VhostLimitsParameterJson {
  vhost: string;
  component: 'vhost-limits';
  name: 'limits';
  value: Record<string, number>;
}

// ---------- export ----------

export function usersToJson(broker: Broker): UserJson[] {
  return broker.listUsers().map((u) => ({
    name: u.name,
    password_hash: u.passwordHash.toString('base64'),
    hashing_algorithm: u.hashingAlgorithm,
    tags: [...u.tags],
    limits: { ...u.limits },
  }));
}

export function vhostsToJson(broker: Broker): VhostJson[] {
  return broker.listVhosts().map((v) => {
    const m = v.metadata;
    return {
      name: v.name,
      limits: Object.entries(v.limits) as [string, number][],
      metadata: {
        description: m.description,
        tags: [...m.tags],
        ...(m.defaultQueueType !== undefined ? { default_queue_type: m.defaultQueueType } : {}),
      },
    };
  });
}

export function permissionsToJson(broker: Broker): PermissionJson[] {
  return broker.listPermissions().map((p) => ({ ...p }));
}

export function topicPermissionsToJson(broker: Broker): TopicPermissionJson[] {
  return broker.listTopicPermissions().map((t) => ({ ...t }));
}

/** The `parameters` entries for vhosts that have limits. */
export function vhostLimitsToParameters(broker: Broker): VhostLimitsParameterJson[] {
  return broker
    .listVhosts()
    .filter((v) => Object.keys(v.limits).length > 0)
    .map((v) => ({ vhost: v.name, component: 'vhost-limits', name: 'limits', value: { ...v.limits } }));
}

// ---------- import (validation only) ----------

function object(json: unknown, what: string): Record<string, unknown> {
  if (typeof json !== 'object' || json === null || Array.isArray(json))
    throw invalid(`${what} should be an object`);
  return json as Record<string, unknown>;
}

function string(o: Record<string, unknown>, key: string): string {
  const v = o[key];
  if (typeof v !== 'string') throw invalid(`${key} should be a string`);
  return v;
}

/** A `users` entry as Broker.putUser takes it; throws AuthError('invalid'). */
export function userFromJson(json: unknown, defaultHashing: HashingAlgorithm = DEFAULT_HASHING): UserInput {
  const o = object(json, 'user');
  const name = checkUserName(o['name']);
  const algorithm = o['hashing_algorithm'] ?? defaultHashing;
  if (!isHashingAlgorithm(algorithm)) throw invalid(`unknown hashing_algorithm '${String(algorithm)}'`);
  let tags: unknown = o['tags'];
  if (tags === undefined) {
    // RabbitMQ before 3.0 wrote an `administrator` flag instead of tags.
    const admin = o['administrator'];
    tags = admin === true || admin === 'true' ? ['administrator'] : [];
  }
  const input: UserInput = { name, hashingAlgorithm: algorithm, tags: parseTags(tags) };
  if (o['password'] !== undefined && o['password_hash'] !== undefined) {
    throw invalid(`user '${name}': both password and password_hash are provided`);
  }
  if (o['password'] !== undefined) input.password = string(o, 'password');
  if (o['password_hash'] !== undefined) {
    const hash = string(o, 'password_hash');
    if (!decodePasswordHash(hash)) throw invalid(`user '${name}': password_hash is not valid base64`);
    input.passwordHash = hash;
  }
  if (o['limits'] !== undefined) input.limits = validateUserLimits(o['limits']);
  return input;
}

/** A `vhosts` entry: its name and metadata for Broker.addVhost; throws AuthError('invalid'). */
export function vhostFromJson(json: unknown): { name: string; metadata: VhostMetadataInput } {
  const o = object(json, 'vhost');
  const name = string(o, 'name');
  const meta = o['metadata'] === undefined ? {} : object(o['metadata'], 'metadata');
  const pick = (key: string): unknown => o[key] ?? meta[key];
  const metadata: VhostMetadataInput = {
    description: pick('description') ?? '',
    tags: pick('tags') ?? [],
  };
  const dqt = pick('default_queue_type');
  if (dqt !== undefined) metadata.defaultQueueType = dqt;
  mergeMetadata(emptyMetadata(), metadata); // validates
  return { name, metadata };
}

export function permissionFromJson(json: unknown): Permission {
  const o = object(json, 'permission');
  return {
    user: string(o, 'user'),
    vhost: string(o, 'vhost'),
    configure: permissionPattern(o['configure'], 'configure'),
    write: permissionPattern(o['write'], 'write'),
    read: permissionPattern(o['read'], 'read'),
  };
}

export function topicPermissionFromJson(json: unknown): TopicPermission {
  const o = object(json, 'topic permission');
  return {
    user: string(o, 'user'),
    vhost: string(o, 'vhost'),
    exchange: string(o, 'exchange'),
    write: permissionPattern(o['write'], 'write'),
    read: permissionPattern(o['read'], 'read'),
  };
}

/** A `vhost-limits` parameter's value; throws AuthError('invalid'). */
export function vhostLimitsFromJson(value: unknown): VhostLimits {
  return validateVhostLimits(value);
}
