/**
 * The internal user database and its permissions: users with password hashes and tags, per-vhost
 * permissions, topic permissions and user limits. Every change is handed to durable storage (when
 * there is one) and bumps `version`, which channels compare against to know that what they cached
 * about their permissions may be stale (publish-access.ts).
 *
 * Vhosts themselves belong to the Broker; this class is told whether one exists, and forgets a vhost's
 * permissions when the broker deletes it.
 */
import { AuthError, invalid, noSuchUser, noSuchVhost } from './auth-error.js';
import { type UserLimits, USER_LIMIT_KEYS, validateUserLimits } from './limits.js';
import {
  DEFAULT_HASHING,
  decodePasswordHash,
  type HashingAlgorithm,
  hashPassword,
  isHashingAlgorithm,
  verifyPassword,
} from './password.js';
import { permissionPattern } from './pattern.js';
import { type Permission, PermissionTable, type TopicPermission } from './permissions.js';
import { checkUserName, parseTags, type User } from './user.js';

/** What durable storage records of users and permissions (implemented by src/store/durable.ts). */
export interface AuthPersistence {
  userPut(u: User): void;
  userDeleted(name: string): void;
  permissionSet(p: Permission): void;
  permissionCleared(user: string, vhost: string): void;
  topicPermissionSet(p: TopicPermission): void;
  topicPermissionCleared(user: string, vhost: string, exchange: string): void;
}

/** A user as an operator or a definitions file describes it (RabbitMQ's put_user). */
export interface UserInput {
  name: string;
  /** a clear-text password; mutually exclusive with passwordHash */
  password?: string | undefined;
  /** base64 salt ++ digest, as in definitions files; "" = no password */
  passwordHash?: string | undefined;
  /** default rabbit_password_hashing_sha256 */
  hashingAlgorithm?: string | undefined;
  /** a list, or a comma-separated string */
  tags?: unknown;
  limits?: unknown;
}

export class AccessControl {
  readonly users = new Map<string, User>();
  readonly permissions = new PermissionTable();
  /** bumped on every change that can turn an allowed operation into a refused one or back */
  version = 0;
  private readonly vhostExists: (name: string) => boolean;
  private readonly persistence: () => AuthPersistence | undefined;

  constructor(vhostExists: (name: string) => boolean, persistence: () => AuthPersistence | undefined) {
    this.vhostExists = vhostExists;
    this.persistence = persistence;
  }

  // ---------- users ----------

  /** add_user: a new user with a password (undefined = none, EXTERNAL login only) and tags. */
  addUser(name: string, password: string | undefined, tags: unknown = []): User {
    checkUserName(name);
    if (this.users.has(name)) throw new AuthError('user_exists', `User "${name}" already exists`);
    const user: User = {
      name,
      passwordHash: password === undefined ? Buffer.alloc(0) : hashPassword(password),
      hashingAlgorithm: DEFAULT_HASHING,
      tags: parseTags(tags),
      limits: {},
    };
    return this.store(user);
  }

  /**
   * put_user, as a definitions import or the HTTP API's PUT does it: creates the user or updates it
   * in place (password or hash, tags, and limits when given). No password and no hash creates a user
   * without one, or clears an existing user's password.
   */
  putUser(input: UserInput): User {
    const name = checkUserName(input.name);
    if (input.password !== undefined && input.passwordHash !== undefined) {
      throw invalid('both password and password_hash are provided');
    }
    const algorithm = input.hashingAlgorithm ?? DEFAULT_HASHING;
    if (!isHashingAlgorithm(algorithm)) throw invalid(`unknown hashing algorithm '${algorithm}'`);
    let hash: Buffer;
    if (input.password !== undefined) hash = hashPassword(input.password, algorithm);
    else if (input.passwordHash !== undefined) {
      const decoded = decodePasswordHash(input.passwordHash);
      if (!decoded) throw invalid(`password_hash of user '${name}' is not valid base64`);
      hash = decoded;
    } else hash = Buffer.alloc(0);
    const tags = parseTags(input.tags ?? []);
    const existing = this.users.get(name);
    const limits = input.limits === undefined ? (existing?.limits ?? {}) : validateUserLimits(input.limits);
    return this.store({ name, passwordHash: hash, hashingAlgorithm: algorithm, tags, limits });
  }

  /** delete_user: the user and every permission it had. */
  deleteUser(name: string): void {
    if (!this.users.delete(name)) throw noSuchUser(name);
    this.permissions.dropUser(name);
    this.version++;
    this.persistence()?.userDeleted(name);
  }

  changePassword(name: string, password: string): void {
    const u = this.user(name);
    this.store({ ...u, passwordHash: hashPassword(password), hashingAlgorithm: DEFAULT_HASHING });
  }

  /** clear_password: the user can then log in only by EXTERNAL. */
  clearPassword(name: string): void {
    this.store({ ...this.user(name), passwordHash: Buffer.alloc(0) });
  }

  setUserTags(name: string, tags: unknown): void {
    this.store({ ...this.user(name), tags: parseTags(tags) });
  }

  /** set_user_limits: merged into the limits the user has (RabbitMQ's rule for user limits). */
  setUserLimits(name: string, limits: unknown): void {
    const u = this.user(name);
    this.store({ ...u, limits: { ...u.limits, ...validateUserLimits(limits) } });
  }

  /** clear_user_limits: one limit by name, or 'all'. */
  clearUserLimits(name: string, which: string): void {
    const u = this.user(name);
    if (which !== 'all' && !(USER_LIMIT_KEYS as readonly string[]).includes(which)) {
      throw invalid(`unknown user limit '${which}'`);
    }
    const limits: UserLimits = {};
    if (which !== 'all') {
      for (const k of USER_LIMIT_KEYS) if (k !== which && u.limits[k] !== undefined) limits[k] = u.limits[k];
    }
    this.store({ ...u, limits });
  }

  /** The user, or AuthError('no_such_user'). */
  user(name: string): User {
    const u = this.users.get(name);
    if (!u) throw noSuchUser(name);
    return u;
  }

  /**
   * Checks a password login: the user, or undefined when the name is unknown, the password wrong, or
   * the user has none. An empty password is always refused, as in RabbitMQ.
   */
  authenticate(name: string, password: string): User | undefined {
    const u = this.users.get(name);
    if (!u || !verifyPassword(u.passwordHash, u.hashingAlgorithm, password)) return undefined;
    return u;
  }

  /** Replaces the user object (users are treated as values: a connection keeps the one it logged in as). */
  private store(u: User): User {
    this.users.set(u.name, u);
    this.version++;
    this.persistence()?.userPut(u);
    return u;
  }

  // ---------- permissions ----------

  /** set_permissions: replaces the user's permissions in the vhost. */
  setPermissions(
    user: string,
    vhost: string,
    p: { configure: unknown; write: unknown; read: unknown },
  ): Permission {
    this.user(user);
    if (!this.vhostExists(vhost)) throw noSuchVhost(vhost);
    const set = this.permissions.set({
      user,
      vhost,
      configure: permissionPattern(p.configure, 'configure'),
      write: permissionPattern(p.write, 'write'),
      read: permissionPattern(p.read, 'read'),
    });
    this.version++;
    this.persistence()?.permissionSet(set);
    return set;
  }

  /** clear_permissions: not an error when there were none (as rabbitmqctl). */
  clearPermissions(user: string, vhost: string): void {
    this.user(user);
    if (!this.vhostExists(vhost)) throw noSuchVhost(vhost);
    if (!this.permissions.clear(user, vhost)) return;
    this.version++;
    this.persistence()?.permissionCleared(user, vhost);
  }

  /** set_topic_permissions: the exchange need not exist (yet). */
  setTopicPermissions(
    user: string,
    vhost: string,
    exchange: string,
    p: { write: unknown; read: unknown },
  ): TopicPermission {
    this.user(user);
    if (!this.vhostExists(vhost)) throw noSuchVhost(vhost);
    if (typeof exchange !== 'string') throw invalid('exchange should be a string');
    const set = this.permissions.setTopic({
      user,
      vhost,
      exchange,
      write: permissionPattern(p.write, 'write'),
      read: permissionPattern(p.read, 'read'),
    });
    this.version++;
    this.persistence()?.topicPermissionSet(set);
    return set;
  }

  /** clear_topic_permissions: for one exchange, or (undefined) all of the user's in the vhost. */
  clearTopicPermissions(user: string, vhost: string, exchange?: string): void {
    this.user(user);
    if (!this.vhostExists(vhost)) throw noSuchVhost(vhost);
    const gone = this.permissions.clearTopic(user, vhost, exchange);
    if (gone.length === 0) return;
    this.version++;
    for (const t of gone) this.persistence()?.topicPermissionCleared(user, vhost, t.exchange);
  }

  /** A vhost was deleted: its permissions go with it (storage drops them with the vhost record). */
  vhostDeleted(vhost: string): void {
    this.permissions.dropVhost(vhost);
    this.version++;
  }
}

export type { HashingAlgorithm };
