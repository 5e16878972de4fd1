/**
 * The broker: vhosts, users and the registry of live connections. Protocol-neutral: the AMQP server,
 * the HTTP API and the CLI all act through this object.
 */
import { EventEmitter } from 'node:events';
import type { DiskFreeLimit, MemoryHighWatermark } from '../alarms/limits.js';
import { ResourceAlarms, type LocalAlarm } from '../alarms/resource-alarms.js';
import { AccessControl, type UserInput } from '../auth/access-control.js';
import { checkResource, checkTopic, mayAccessVhost, type ResourceKind } from '../auth/access-check.js';
import { noSuchVhost } from '../auth/auth-error.js';
import { ConnectionIndex } from '../auth/connection-index.js';
import { type VhostLimits, validateVhostLimits } from '../auth/limits.js';
import type { Access, Permission, TopicPermission } from '../auth/permissions.js';
import type { User } from '../auth/user.js';
import { emptyMetadata, mergeMetadata, type VhostMetadataInput } from '../auth/vhost-metadata.js';
import { notAllowed, ReplyCode } from '../protocol/errors.js';
import { BrokerEvents, type ConnectionEvent } from './events.js';
import type { MessageStore } from '../store/message-store.js';
import type { Persistence } from './persistence.js';
import type { Policy, PolicyInput } from './policy.js';
import { PolicyError } from './policy-error.js';
import { VHost } from './vhost.js';
import { type ChannelCounters, ChurnCounters } from '../stats/counters.js';

export type { User } from '../auth/user.js';

/** The user and vhost a broker seeds when its data directory has none (RabbitMQ's default_user etc.). */
export interface DefaultAccess {
  user: string;
  pass: string;
  vhost: string;
}

export const DEFAULT_ACCESS: DefaultAccess = { user: 'guest', pass: 'guest', vhost: '/' };

/**
 * TLS details of a connection to the AMQPS listener, as RabbitMQ lists them (ssl_protocol,
 * ssl_key_exchange, ssl_cipher, ssl_hash, peer_cert_subject, peer_cert_issuer, peer_cert_validity).
 */
export interface ConnectionTls {
  /** 'tlsv1.3', 'tlsv1.2' */
  readonly protocol: string;
  /** 'ecdhe_rsa', ...; 'any' on TLS 1.3 */
  readonly keyExchange: string;
  /** 'aes_256_gcm', 'chacha20_poly1305', ... */
  readonly cipher: string;
  /** 'aead' for AEAD suites, else the MAC ('sha256', 'sha') */
  readonly hash: string;
  /** the client certificate's subject, issuer and validity; undefined when it sent none */
  readonly peerCertSubject: string | undefined;
  readonly peerCertIssuer: string | undefined;
  readonly peerCertValidity: string | undefined;
}

/** An open channel as listings and statistics read it (the management API's /api/channels). */
export interface ChannelInfo {
  /** the channel number on its connection */
  readonly id: number;
  /** message_stats counters */
  readonly stats: ChannelCounters;
  /** basic.qos global=false: the prefetch given to new consumers; 0 = none */
  readonly consumerPrefetch: number;
  /** basic.qos global=true: the limit across the channel; 0 = none */
  readonly globalPrefetch: number;
  readonly confirmMode: boolean;
  readonly txMode: boolean;
  /** deliveries not yet acked */
  readonly unackedCount: number;
  /** publishes awaiting their confirm */
  readonly unconfirmedCount: number;
  readonly consumerCount: number;
  /** true once the channel is closing (close sent, close-ok awaited) */
  readonly closing: boolean;
}

/** What the broker knows of a live client connection, for listings and forced closes. */
export interface ConnectionInfo {
  readonly id: number;
  readonly name: string;
  readonly userName: string;
  readonly vhostName: string;
  readonly peerHost: string;
  readonly peerPort: number;
  readonly channelCount: number;
  readonly clientProperties: Record<string, unknown>;
  /** set on AMQPS connections (RabbitMQ's `ssl` is true exactly when this is) */
  readonly tls?: ConnectionTls | undefined;
  /** RabbitMQ's `state` under resource alarms: running, blocking or blocked (src/alarms) */
  readonly blockState?: 'running' | 'blocking' | 'blocked';
  /** when the socket was accepted, ms since the epoch */
  readonly connectedAt: number;
  /** negotiated in connection.tune-ok */
  readonly frameMax: number;
  readonly channelMax: number;
  /** seconds; 0 = off */
  readonly heartbeat: number;
  /** the SASL mechanism the client logged in with */
  readonly mechanismName: string;
  /** traffic counters: recv_oct, recv_cnt, send_oct, send_cnt */
  readonly bytesIn: number;
  readonly reads: number;
  readonly bytesOut: number;
  readonly writes: number;
  /** the broker's end of the socket */
  readonly localHost: string;
  readonly localPort: number;
  /** bytes queued for the socket, not yet written (send_pend) */
  readonly sendPending: number;
  /** open channels, for listings */
  channelInfos(): IterableIterator<ChannelInfo>;
  close(code: number, text: string): void;
}

function connectionEvent(c: ConnectionInfo): ConnectionEvent {
  return {
    id: c.id,
    name: c.name,
    user: c.userName,
    vhost: c.vhostName,
    peerHost: c.peerHost,
    peerPort: c.peerPort,
  };
}

export class Broker extends EventEmitter {
  readonly vhosts = new Map<string, VHost>();
  readonly connections = new Map<number, ConnectionInfo>();
  /** users, permissions, topic permissions and user limits (src/auth) */
  readonly access = new AccessControl(
    (name) => this.vhosts.has(name),
    () => this.persistence,
  );
  /** RabbitMQ's loopback_users: these users may only connect from the local machine */
  loopbackUsers: ReadonlySet<string> = new Set(['guest']);
  /** objects created and gone, for the management API's churn_rates (src/stats) */
  readonly churn = new ChurnCounters();
  /** the default user and vhost, while they exist in memory only (see commitDefaults) */
  private provisional: DefaultAccess | undefined;
  private readonly index = new ConnectionIndex();
  private nextConnectionId = 1;
  clusterName = 'warren@localhost';
  /** control-plane events on this emitter and on diagnostics channels (src/core/events.ts) */
  readonly events = new BrokerEvents(this);
  /** disk and memory alarms (src/alarms); emits 'alarm-set' / 'alarm-clear' and 'alarm' on this broker */
  readonly alarms = new ResourceAlarms(this, (resource, active) => {
    if (this.events.wants('alarm')) this.events.emit('alarm', { resource, active });
  });
  /** durable storage, when the broker has a data directory */
  persistence: Persistence | undefined;
  store: MessageStore | undefined;

  /**
   * Starts with the default user (tagged administrator, all permissions) and vhost in memory. With a
   * data directory, recovery drops them unless the directory holds no users, vhosts or permissions
   * (RabbitMQ seeds them only then), and commitDefaults() then records them.
   */
  constructor(defaults: DefaultAccess = DEFAULT_ACCESS) {
    super();
    this.provisional = defaults;
    const v = new VHost(defaults.vhost, undefined, this.events);
    v.churn = this.churn;
    v.metadata.description = 'Default virtual host';
    this.vhosts.set(defaults.vhost, v);
    this.access.addUser(defaults.user, defaults.pass, ['administrator']);
    this.access.setPermissions(defaults.user, defaults.vhost, { configure: '.*', write: '.*', read: '.*' });
  }

  /** Recovery found users, vhosts or permissions on disk: the seeded defaults were never real. */
  dropProvisionalDefaults(): void {
    const d = this.provisional;
    if (!d) return;
    this.provisional = undefined;
    this.vhosts.delete(d.vhost);
    this.access.vhostDeleted(d.vhost);
    this.access.users.delete(d.user);
    this.access.permissions.dropUser(d.user);
  }

  /** Whether `name` is the seeded default vhost, not yet recorded in durable storage. */
  isProvisionalVhost(name: string): boolean {
    return this.provisional?.vhost === name;
  }

  /**
   * Records the seeded default user, vhost and permissions in durable storage, once, at first boot.
   * Returns what was seeded, or undefined when there was nothing to seed.
   */
  commitDefaults(): DefaultAccess | undefined {
    const d = this.provisional;
    if (!d) return undefined;
    this.provisional = undefined;
    const p = this.persistence;
    const v = this.vhosts.get(d.vhost);
    const u = this.access.users.get(d.user);
    const perm = this.access.permissions.get(d.user, d.vhost);
    if (v) p?.vhostPut(v);
    if (u) p?.userPut(u);
    if (perm) p?.permissionSet(perm);
    return d;
  }

  /**
   * add_vhost: creates the vhost, or updates the metadata of an existing one (RabbitMQ's put_vhost;
   * adding an existing vhost is not an error). Throws AuthError('invalid') on bad metadata.
   */
  addVhost(name: string, metadata: VhostMetadataInput = {}): VHost {
    let v = this.vhosts.get(name);
    const meta = mergeMetadata(v?.metadata ?? emptyMetadata(), metadata);
    if (!v) {
      v = new VHost(name, this.persistence, this.events);
      v.churn = this.churn;
      this.vhosts.set(name, v);
      v.metadata = meta;
      this.persistence?.vhostPut(v);
      if (this.events.wants('vhost.created')) this.events.emit('vhost.created', { name });
      return v;
    } else if (Object.keys(metadata).length === 0) return v;
    v.metadata = meta;
    this.persistence?.vhostPut(v);
    return v;
  }

  /**
   * delete_vhost: closes its connections (320, RabbitMQ's text), then removes its queues (and their
   * messages on disk), exchanges, bindings, policies and permissions. Throws AuthError('no_such_vhost').
   */
  deleteVhost(name: string): void {
    const v = this.vhosts.get(name);
    if (!v) throw noSuchVhost(name);
    for (const c of [...this.index.ofVhost(name)]) {
      c.close(ReplyCode.ConnectionForced, `vhost '${name}' is deleted`);
    }
    this.vhosts.delete(name);
    v.destroy();
    this.access.vhostDeleted(name);
    this.persistence?.vhostDeleted(name);
    if (this.events.wants('vhost.deleted')) this.events.emit('vhost.deleted', { name });
  }

  listVhosts(): VHost[] {
    return [...this.vhosts.values()];
  }

  /** set_vhost_limits: replaces the vhost's limits as a whole (RabbitMQ's rule for vhost limits). */
  setVhostLimits(vhost: string, limits: unknown): VhostLimits {
    const v = this.vhosts.get(vhost);
    if (!v) throw noSuchVhost(vhost);
    v.limits = validateVhostLimits(limits);
    this.persistence?.vhostPut(v);
    return v.limits;
  }

  clearVhostLimits(vhost: string): void {
    this.setVhostLimits(vhost, {});
  }

  // ---------- users and permissions (src/auth/access-control.ts has the rules) ----------

  get users(): ReadonlyMap<string, User> {
    return this.access.users;
  }

  /** add_user; password undefined = none (EXTERNAL login only). Throws AuthError('user_exists'). */
  addUser(name: string, password: string | undefined, tags: unknown = []): User {
    const u = this.access.addUser(name, password, tags);
    if (this.events.wants('user.created')) this.events.emit('user.created', { name });
    return u;
  }

  /** Creates or updates a user as a definitions import or the HTTP API's PUT does. */
  putUser(input: UserInput): User {
    const existed = this.access.users.has(input.name);
    const u = this.access.putUser(input);
    if (!existed && this.events.wants('user.created')) this.events.emit('user.created', { name: u.name });
    return u;
  }

  /** delete_user: closes the user's connections (320, RabbitMQ's text) and drops its permissions. */
  deleteUser(name: string): void {
    this.access.deleteUser(name);
    for (const c of [...this.index.ofUser(name)]) {
      c.close(ReplyCode.ConnectionForced, `user '${name}' is deleted`);
    }
    if (this.events.wants('user.deleted')) this.events.emit('user.deleted', { name });
  }

  changePassword(name: string, password: string): void {
    this.access.changePassword(name, password);
  }

  clearPassword(name: string): void {
    this.access.clearPassword(name);
  }

  setUserTags(name: string, tags: unknown): void {
    this.access.setUserTags(name, tags);
  }

  listUsers(): User[] {
    return [...this.access.users.values()];
  }

  /** set_user_limits: merged into the user's limits (RabbitMQ's rule for user limits). */
  setUserLimits(name: string, limits: unknown): void {
    this.access.setUserLimits(name, limits);
  }

  /** clear_user_limits: `which` is a limit name or 'all'. */
  clearUserLimits(name: string, which: string): void {
    this.access.clearUserLimits(name, which);
  }

  setPermissions(
    user: string,
    vhost: string,
    p: { configure: unknown; write: unknown; read: unknown },
  ): Permission {
    return this.access.setPermissions(user, vhost, p);
  }

  clearPermissions(user: string, vhost: string): void {
    this.access.clearPermissions(user, vhost);
  }

  listPermissions(filter: { user?: string; vhost?: string } = {}): Permission[] {
    return this.access.permissions.list(filter);
  }

  setTopicPermissions(
    user: string,
    vhost: string,
    exchange: string,
    p: { write: unknown; read: unknown },
  ): TopicPermission {
    return this.access.setTopicPermissions(user, vhost, exchange, p);
  }

  /** For one exchange, or every exchange when none is given. */
  clearTopicPermissions(user: string, vhost: string, exchange?: string): void {
    this.access.clearTopicPermissions(user, vhost, exchange);
  }

  listTopicPermissions(filter: { user?: string; vhost?: string } = {}): TopicPermission[] {
    return this.access.permissions.listTopic(filter);
  }

  /** The checks the AMQP channel makes, for other surfaces (HTTP API): throw 403 with RabbitMQ's text. */
  checkResourceAccess(user: string, vhost: string, access: Access, kind: ResourceKind, name: string): void {
    checkResource(this.access, user, vhost, access, kind, name);
  }

  checkTopicAccess(
    user: string,
    vhost: string,
    access: 'write' | 'read',
    exchange: { name: string; type: string },
    routingKey: string,
  ): void {
    checkTopic(this.access, user, vhost, access, exchange, routingKey);
  }

  /** Whether the user has any permissions in the vhost (what connection.open requires). */
  canAccessVhost(user: string, vhost: string): boolean {
    return mayAccessVhost(this.access, user, vhost);
  }

  /** Whether the user may only connect from loopback addresses (loopback_users). */
  isLoopbackOnly(user: string): boolean {
    return this.loopbackUsers.has(user);
  }

  vhost(name: string): VHost {
    const v = this.vhosts.get(name);
    if (!v) throw notAllowed(`vhost ${name} not found`);
    return v;
  }

  /** set_policy on a vhost by name; throws PolicyError (`no_such_vhost`, `invalid`). */
  setPolicy(vhost: string, input: PolicyInput): Policy {
    return this.policyVhost(vhost).setPolicy(input);
  }

  /** clear_policy on a vhost by name; throws PolicyError (`no_such_vhost`, `not_found`). */
  clearPolicy(vhost: string, name: string): void {
    this.policyVhost(vhost).clearPolicy(name);
  }

  /** The policies of one vhost, or of all vhosts when none is named. */
  policies(vhost?: string): Policy[] {
    if (vhost !== undefined) return this.policyVhost(vhost).policies();
    return [...this.vhosts.values()].flatMap((v) => v.policies());
  }

  private policyVhost(name: string): VHost {
    const v = this.vhosts.get(name);
    if (!v) throw new PolicyError('no_such_vhost', `Virtual host '${name}' does not exist`);
    return v;
  }

  /** Checks a password login; the user, or undefined when unknown, wrong, or without a password. */
  authenticate(username: string, password: string): User | undefined {
    return this.access.authenticate(username, password);
  }

  /** rabbitmqctl set_disk_free_limit: applies at once; resolves once free space was looked at. */
  async setDiskFreeLimit(limit: DiskFreeLimit): Promise<void> {
    if (!this.alarms.disk) throw new Error('resource monitors are not running');
    await this.alarms.disk.setLimit(limit);
  }

  /** rabbitmqctl set_vm_memory_high_watermark: applies at once. */
  setMemoryHighWatermark(watermark: MemoryHighWatermark): void {
    if (!this.alarms.memory) throw new Error('resource monitors are not running');
    this.alarms.memory.setWatermark(watermark);
  }

  /** The alarms in effect on this node, as RabbitMQ's /api/health/checks/alarms lists them. */
  localAlarms(): LocalAlarm[] {
    return this.alarms.localAlarms(this.clusterName);
  }

  connectionId(): number {
    return this.nextConnectionId++;
  }

  /** A connection completed connection.open (its user and vhost are known). */
  register(c: ConnectionInfo): void {
    this.churn.connectionCreated++;
    this.connections.set(c.id, c);
    this.index.add(c);
    if (this.events.wants('connection.created')) this.events.emit('connection.created', connectionEvent(c));
  }

  unregister(id: number): void {
    const c = this.connections.get(id);
    if (!c) return;
    this.churn.connectionClosed++;
    this.connections.delete(id);
    this.index.remove(c);
    if (this.events.wants('connection.closed')) this.events.emit('connection.closed', connectionEvent(c));
  }

  connectionsOfUser(user: string): ReadonlySet<ConnectionInfo> {
    return this.index.ofUser(user);
  }

  connectionsOfVhost(vhost: string): ReadonlySet<ConnectionInfo> {
    return this.index.ofVhost(vhost);
  }

  /** Channels open on all of a user's connections. */
  channelsOfUser(user: string): number {
    return this.index.channelsOfUser(user);
  }
}
