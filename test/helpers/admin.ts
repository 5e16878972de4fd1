/**
 * Operator actions for the access-control tests (users, vhosts, permissions, limits), done through
 * the core API when the broker is an in-process Warren, or through `rabbitmqctl` when the tests run
 * against RabbitMQ (WARREN_TEST_URL) and WARREN_REFERENCE_CTL names a command that runs rabbitmqctl
 * against it (e.g. "bash /path/to/reference-rabbitmq.sh ctl"). Without that command the tests that
 * need an admin are skipped against an outside broker.
 *
 * Everything created is remembered and removed by cleanup(), so a shared RabbitMQ is left as found.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { TestBroker } from './broker.js';

const run = promisify(execFile);

export interface Admin {
  addUser(name: string, password: string | undefined, tags?: string[]): Promise<void>;
  deleteUser(name: string): Promise<void>;
  addVhost(name: string): Promise<void>;
  deleteVhost(name: string): Promise<void>;
  setPermissions(user: string, vhost: string, configure: string, write: string, read: string): Promise<void>;
  clearPermissions(user: string, vhost: string): Promise<void>;
  setTopicPermissions(
    user: string,
    vhost: string,
    exchange: string,
    write: string,
    read: string,
  ): Promise<void>;
  setVhostLimits(vhost: string, limits: Record<string, number>): Promise<void>;
  clearVhostLimits(vhost: string): Promise<void>;
  setUserLimits(user: string, limits: Record<string, number>): Promise<void>;
  clearUserLimits(user: string): Promise<void>;
  /** deletes every user and vhost created through this admin */
  cleanup(): Promise<void>;
}

/** Why admin tests cannot run against this broker, or undefined when they can. */
export function adminUnavailable(broker: { external: boolean }): string | undefined {
  if (!broker.external || process.env['WARREN_REFERENCE_CTL']) return undefined;
  return 'against an outside broker, needs WARREN_REFERENCE_CTL to manage users';
}

export function adminFor(broker: TestBroker): Admin {
  const users = new Set<string>();
  const vhosts = new Set<string>();
  const ops = broker.warren ? inProcess(broker) : viaCtl();
  return {
    ...ops,
    async addUser(name, password, tags) {
      await ops.addUser(name, password, tags);
      users.add(name);
    },
    async addVhost(name) {
      await ops.addVhost(name);
      vhosts.add(name);
    },
    async cleanup() {
      for (const u of users) await ops.deleteUser(u).catch(() => {});
      for (const v of vhosts) await ops.deleteVhost(v).catch(() => {});
      users.clear();
      vhosts.clear();
    },
  };
}

type Ops = Omit<Admin, 'cleanup'>;

function inProcess(broker: TestBroker): Ops {
  const b = broker.warren?.broker;
  if (!b) throw new Error('no in-process broker');
  return {
    addUser: async (name, password, tags = []) => void b.addUser(name, password, tags),
    deleteUser: async (name) => b.deleteUser(name),
    addVhost: async (name) => void b.addVhost(name),
    deleteVhost: async (name) => b.deleteVhost(name),
    setPermissions: async (user, vhost, configure, write, read) =>
      void b.setPermissions(user, vhost, { configure, write, read }),
    clearPermissions: async (user, vhost) => b.clearPermissions(user, vhost),
    setTopicPermissions: async (user, vhost, exchange, write, read) =>
      void b.setTopicPermissions(user, vhost, exchange, { write, read }),
    setVhostLimits: async (vhost, limits) => void b.setVhostLimits(vhost, limits),
    clearVhostLimits: async (vhost) => b.clearVhostLimits(vhost),
    setUserLimits: async (user, limits) => b.setUserLimits(user, limits),
    clearUserLimits: async (user) => b.clearUserLimits(user, 'all'),
  };
}

function viaCtl(): Ops {
  const ctl = process.env['WARREN_REFERENCE_CTL'];
  if (!ctl) throw new Error('WARREN_REFERENCE_CTL is not set');
  const c = async (...args: string[]): Promise<void> => {
    await run('/bin/sh', ['-c', `${ctl} "$@"`, 'ctl', ...args]);
  };
  return {
    addUser: async (name, password, tags = []) => {
      await c('add_user', name, password ?? 'unused');
      if (password === undefined) await c('clear_password', name);
      if (tags.length > 0) await c('set_user_tags', name, ...tags);
    },
    deleteUser: (name) => c('delete_user', name),
    addVhost: (name) => c('add_vhost', name),
    deleteVhost: (name) => c('delete_vhost', name),
    setPermissions: (user, vhost, configure, write, read) =>
      c('set_permissions', '-p', vhost, user, configure, write, read),
    clearPermissions: (user, vhost) => c('clear_permissions', '-p', vhost, user),
    setTopicPermissions: (user, vhost, exchange, write, read) =>
      c('set_topic_permissions', '-p', vhost, user, exchange, write, read),
    setVhostLimits: (vhost, limits) => c('set_vhost_limits', '-p', vhost, JSON.stringify(limits)),
    clearVhostLimits: (vhost) => c('clear_vhost_limits', '-p', vhost),
    setUserLimits: (user, limits) => c('set_user_limits', user, JSON.stringify(limits)),
    clearUserLimits: (user) => c('clear_user_limits', user, 'all'),
  };
}

/**
 * The reply text of a permission refusal. RabbitMQ 3.12+ names the permission ("write access to
 * ..."), which Warren follows; older releases (such as the 3.10 reference) leave it out, so against an
 * outside broker either form is accepted.
 */
export function refusal(
  broker: { external: boolean },
  access: 'configure' | 'write' | 'read',
  rest: string,
): string | RegExp {
  const text = `ACCESS_REFUSED - ${access} access to ${rest}`;
  if (!broker.external) return text;
  const escaped = rest.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`^ACCESS_REFUSED - (?:${access} )?access to ${escaped}$`);
}
