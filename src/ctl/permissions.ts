/**
 * list_permissions, list_user_permissions, set_permissions, clear_permissions, and the same four for
 * topic permissions.
 */
import { apiPath, orNotFound } from './client.js';
import { ApiError } from './errors.js';
import type { Column } from './format.js';
import { vhostNotFound } from './queues.js';
import { userNotFound } from './users.js';
import { field, type Ctx, type Verb } from './verb.js';

type Row = Record<string, unknown>;

const cols = (...names: string[]): Column<Row>[] => names.map((n) => field<Row>(n));

async function exists(ctx: Ctx, path: string): Promise<boolean> {
  try {
    await ctx.api.get(path);
    return true;
  } catch (e) {
    if (e instanceof ApiError && e.status === 404) return false;
    throw e;
  }
}

/**
 * Runs a PUT or DELETE on /permissions/{vhost}/{user}; when the API says the vhost or user is missing
 * (RabbitMQ answers 400 vhost_or_user_not_found for PUT, 404 for DELETE), finds out which and says so.
 * `absentOk`: a 404 with both present just means there was nothing to clear.
 */
async function onPermission(
  ctx: Ctx,
  user: string,
  call: () => Promise<unknown>,
  absentOk = false,
): Promise<void> {
  try {
    await call();
  } catch (e) {
    if (!(e instanceof ApiError) || (e.status !== 404 && !/not_found|not found/i.test(e.reason))) throw e;
    if (!(await exists(ctx, apiPath('vhosts', ctx.vhost)))) throw vhostNotFound(ctx.vhost);
    if (!(await exists(ctx, apiPath('users', user)))) throw userNotFound(user);
    if (!(absentOk && e.status === 404)) throw e;
  }
}

const listPermissions: Verb = {
  name: 'list_permissions',
  description: 'lists the permissions of every user in a vhost',
  async run(ctx) {
    const rows = await orNotFound(ctx.api.get<Row[]>(apiPath('vhosts', ctx.vhost, 'permissions')), () =>
      vhostNotFound(ctx.vhost),
    );
    ctx.print.list(
      `Listing permissions for vhost "${ctx.vhost}" ...`,
      cols('user', 'configure', 'write', 'read'),
      rows,
    );
  },
};

const listUserPermissions: Verb = {
  name: 'list_user_permissions',
  args: '<username>',
  description: "lists a user's permissions in every vhost",
  async run(ctx, [name]) {
    const user = name as string;
    const rows = await orNotFound(ctx.api.get<Row[]>(apiPath('users', user, 'permissions')), () =>
      userNotFound(user),
    );
    ctx.print.list(
      `Listing permissions for user "${user}" ...`,
      cols('vhost', 'configure', 'write', 'read'),
      rows,
    );
  },
};

const setPermissions: Verb = {
  name: 'set_permissions',
  args: '<username> <conf> <write> <read>',
  description: "sets a user's configure, write and read permissions (regular expressions) in a vhost",
  async run(ctx, [name, configure, write, read]) {
    const user = name as string;
    ctx.print.info(`Setting permissions for user "${user}" in vhost "${ctx.vhost}" ...`);
    await onPermission(ctx, user, () =>
      ctx.api.put(apiPath('permissions', ctx.vhost, user), { configure, write, read }),
    );
  },
};

const clearPermissions: Verb = {
  name: 'clear_permissions',
  args: '<username>',
  description: "removes a user's permissions in a vhost",
  async run(ctx, [name]) {
    const user = name as string;
    ctx.print.info(`Clearing permissions for user "${user}" in vhost "${ctx.vhost}" ...`);
    await onPermission(ctx, user, () => ctx.api.delete(apiPath('permissions', ctx.vhost, user)), true);
  },
};

const listTopicPermissions: Verb = {
  name: 'list_topic_permissions',
  description: 'lists the topic permissions of every user in a vhost',
  async run(ctx) {
    const rows = await orNotFound(ctx.api.get<Row[]>(apiPath('vhosts', ctx.vhost, 'topic-permissions')), () =>
      vhostNotFound(ctx.vhost),
    );
    ctx.print.list(
      `Listing topic permissions for vhost "${ctx.vhost}" ...`,
      cols('user', 'exchange', 'write', 'read'),
      rows,
    );
  },
};

const listUserTopicPermissions: Verb = {
  name: 'list_user_topic_permissions',
  args: '<username>',
  description: "lists a user's topic permissions in every vhost",
  async run(ctx, [name]) {
    const user = name as string;
    const rows = await orNotFound(ctx.api.get<Row[]>(apiPath('users', user, 'topic-permissions')), () =>
      userNotFound(user),
    );
    ctx.print.list(
      `Listing topic permissions for user "${user}" ...`,
      cols('vhost', 'exchange', 'write', 'read'),
      rows,
    );
  },
};

const setTopicPermissions: Verb = {
  name: 'set_topic_permissions',
  args: '<username> <exchange> <write> <read>',
  description: "sets a user's write and read patterns for routing keys on a topic exchange in a vhost",
  async run(ctx, [name, exchange, write, read]) {
    const user = name as string;
    ctx.print.info(
      `Setting topic permissions on "${exchange as string}" for user "${user}" in vhost "${ctx.vhost}" ...`,
    );
    await onPermission(ctx, user, () =>
      ctx.api.put(apiPath('topic-permissions', ctx.vhost, user), { exchange, write, read }),
    );
  },
};

const clearTopicPermissions: Verb = {
  name: 'clear_topic_permissions',
  args: '<username>',
  description: "removes a user's topic permissions in a vhost",
  async run(ctx, [name]) {
    const user = name as string;
    ctx.print.info(`Clearing topic permissions for user "${user}" in vhost "${ctx.vhost}" ...`);
    await onPermission(ctx, user, () => ctx.api.delete(apiPath('topic-permissions', ctx.vhost, user)), true);
  },
};

export const permissionVerbs: Verb[] = [
  listPermissions,
  listUserPermissions,
  setPermissions,
  clearPermissions,
  listTopicPermissions,
  listUserTopicPermissions,
  setTopicPermissions,
  clearTopicPermissions,
];
