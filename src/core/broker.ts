/**
 * The broker: vhosts, users and the registry of live connections. Protocol-neutral: the AMQP server,
 * the HTTP API and the CLI all act through this object.
 */
import { EventEmitter } from 'node:events';
import { notAllowed } from '../protocol/errors.js';
import type { MessageStore } from '../store/message-store.js';
import type { Persistence } from './persistence.js';
import type { Policy, PolicyInput } from './policy.js';
import { PolicyError } from './policy-error.js';
import { VHost } from './vhost.js';

export interface User {
  name: string;
  password: string;
  tags: string[];
  /** RabbitMQ's loopback_users: this user may only connect from the local machine */
  loopbackOnly: boolean;
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
  close(code: number, text: string): void;
}

export class Broker extends EventEmitter {
  readonly vhosts = new Map<string, VHost>();
  readonly users = new Map<string, User>();
  readonly connections = new Map<number, ConnectionInfo>();
  private nextConnectionId = 1;
  clusterName = 'warren@localhost';
  /** durable storage, when the broker has a data directory */
  persistence: Persistence | undefined;
  store: MessageStore | undefined;

  constructor() {
    super();
    this.addVhost('/');
    this.users.set('guest', {
      name: 'guest',
      password: 'guest',
      tags: ['administrator'],
      loopbackOnly: true,
    });
  }

  addVhost(name: string): VHost {
    let v = this.vhosts.get(name);
    if (!v) {
      v = new VHost(name, this.persistence);
      this.vhosts.set(name, v);
    }
    return v;
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

  /** Checks a login; returns the user, or undefined when the name or password is wrong. */
  authenticate(username: string, password: string): User | undefined {
    const u = this.users.get(username);
    if (!u || u.password !== password) return undefined;
    return u;
  }

  connectionId(): number {
    return this.nextConnectionId++;
  }

  register(c: ConnectionInfo): void {
    this.connections.set(c.id, c);
  }

  unregister(id: number): void {
    this.connections.delete(id);
  }
}
