/** list_users, add_user, delete_user, change_password, clear_password, set_user_tags. */
import { apiPath, orNotFound } from './client.js';
import { ApiError, CtlError, EXIT } from './errors.js';
import { renderCell, type Column } from './format.js';
import type { Ctx, Verb } from './verb.js';

interface User {
  name: string;
  tags?: string[] | string;
  password_hash?: string;
  hashing_algorithm?: string;
}

export function userNotFound(name: string): CtlError {
  return new CtlError(`User "${name}" does not exist`, EXIT.NO_USER);
}

/** The API gives tags as an array (3.9+) or a comma-separated string (older); PUT takes the string. */
function tagString(tags: User['tags']): string {
  return Array.isArray(tags) ? tags.join(',') : (tags ?? '');
}

function getUser(ctx: Ctx, name: string): Promise<User> {
  return orNotFound(ctx.api.get<User>(apiPath('users', name)), () => userNotFound(name));
}

const USER_COLUMNS: Column<User>[] = [
  { name: 'user', get: (u) => u.name },
  {
    name: 'tags',
    get: (u) => (Array.isArray(u.tags) ? u.tags : tagString(u.tags).split(',').filter(Boolean)),
    show: 'list',
  },
];

const listUsers: Verb = {
  name: 'list_users',
  description: 'lists users and their tags',
  async run(ctx) {
    const users = await ctx.api.get<User[]>('/users');
    ctx.print.list('Listing users ...', USER_COLUMNS, users);
  },
};

const addUser: Verb = {
  name: 'add_user',
  args: '<username> [password]',
  description:
    'creates a user; without a password argument, the first line of standard input is the password',
  async run(ctx, [name, pw]) {
    const user = name as string;
    ctx.print.info(`Adding user "${user}" ...`);
    let password = pw as string | undefined;
    if (password === undefined) {
      password = (await ctx.readStdin()).split(/\r?\n/)[0] ?? '';
      if (password === '')
        throw new CtlError('Password is not provided via argument or stdin', EXIT.DATA_ERROR);
    }
    // PUT on an existing user would silently replace its password: refuse as rabbitmqctl does.
    const exists = await ctx.api.get(apiPath('users', user)).then(
      () => true,
      (e: unknown) => {
        if (e instanceof ApiError && e.status === 404) return false;
        throw e;
      },
    );
    if (exists) throw new CtlError(`User "${user}" already exists`, EXIT.SOFTWARE);
    await ctx.api.put(apiPath('users', user), { password, tags: '' });
    ctx.print.info(
      "Done. Don't forget to grant the user permissions to some virtual hosts! See 'warrenctl help set_permissions' to learn more.",
    );
  },
};

const deleteUser: Verb = {
  name: 'delete_user',
  args: '<username>',
  description: 'deletes a user',
  async run(ctx, [name]) {
    const user = name as string;
    ctx.print.info(`Deleting user "${user}" ...`);
    await orNotFound(ctx.api.delete(apiPath('users', user)), () => userNotFound(user));
  },
};

const changePassword: Verb = {
  name: 'change_password',
  args: '<username> <password>',
  description: "changes a user's password",
  async run(ctx, [name, password]) {
    const user = name as string;
    ctx.print.info(`Changing password for user "${user}" ...`);
    const u = await getUser(ctx, user);
    await ctx.api.put(apiPath('users', user), { password, tags: tagString(u.tags) });
  },
};

const clearPassword: Verb = {
  name: 'clear_password',
  args: '<username>',
  description: "clears a user's password: it can then log in only by other means (e.g. EXTERNAL)",
  async run(ctx, [name]) {
    const user = name as string;
    ctx.print.info(`Clearing password for user "${user}" ...`);
    const u = await getUser(ctx, user);
    await ctx.api.put(apiPath('users', user), { password_hash: '', tags: tagString(u.tags) });
  },
};

const setUserTags: Verb = {
  name: 'set_user_tags',
  args: '<username> [tag...]',
  description:
    "sets a user's tags (administrator, monitoring, management, policymaker, ...); none clears them",
  async run(ctx, [name, tagArgs]) {
    const user = name as string;
    const tags = tagArgs as string[];
    ctx.print.info(`Setting tags for user "${user}" to ${renderCell(tags, 'list')} ...`);
    const u = await getUser(ctx, user);
    await ctx.api.put(apiPath('users', user), {
      password_hash: u.password_hash ?? '',
      ...(u.hashing_algorithm ? { hashing_algorithm: u.hashing_algorithm } : {}),
      tags: tags.join(','),
    });
  },
};

export const userVerbs: Verb[] = [listUsers, addUser, deleteUser, changePassword, clearPassword, setUserTags];
