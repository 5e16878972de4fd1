/**
 * /api/users, /api/permissions, /api/topic-permissions (and their per-user and per-vhost forms):
 * administrators only, as in RabbitMQ. Writes go through the broker's own user and permission
 * operations, which close a deleted user's connections.
 */
import type { FastifyInstance } from 'fastify';
import type { NodeContext } from '../context.js';
import { requireAdministrator } from './auth.js';
import { badRequest, notFound } from './errors.js';
import type { Json } from './format.js';
import { listReply, objectReply } from './listing.js';
import { body, obj, str, tags } from './schemas.js';
import { usersToJson } from '../../auth/definitions-json.js';
import { AuthError } from '../../auth/auth-error.js';

type UserParams = { Params: { name: string } };
type VU = { Params: { vhost: string; user: string } };

export function userRoutes(app: FastifyInstance, node: NodeContext): void {
  const b = node.broker;
  const users = (): Json[] => usersToJson(b) as unknown as Json[];
  const perms = (f: { user?: string; vhost?: string }): Json[] => b.listPermissions(f).map((p) => ({ ...p }));
  const topics = (f: { user?: string; vhost?: string }): Json[] =>
    b.listTopicPermissions(f).map((p) => ({ ...p }));

  // Every route here is for administrators; index.ts registers this file in a plugin of its own.
  app.addHook('preHandler', async (req) => requireAdministrator(req.principal));

  app.get('/users', async (req) => listReply(req, users()));
  app.get('/users/without-permissions', async (req) => {
    const withPerms = new Set(b.listPermissions().map((p) => p.user));
    return listReply(
      req,
      users().filter((u) => !withPerms.has(u['name'] as string)),
    );
  });
  app.get<UserParams>('/users/:name', async (req) => {
    const u = users().find((x) => x['name'] === req.params.name);
    if (!u) throw notFound();
    return objectReply(req, u);
  });
  app.put<
    UserParams & {
      Body: {
        password?: string;
        password_hash?: string;
        hashing_algorithm?: string;
        tags?: unknown;
        limits?: unknown;
      };
    }
  >(
    '/users/:name',
    body({ password: str, password_hash: str, hashing_algorithm: str, tags, limits: obj }),
    async (req, reply) => {
      const { password, password_hash, hashing_algorithm, tags: t, limits } = req.body;
      if (t === undefined) throw badRequest('tags_not_present');
      if (password !== undefined && password_hash !== undefined) {
        throw badRequest('both_password_and_password_hash_are_provided');
      }
      const existed = b.users.has(req.params.name);
      b.putUser({
        name: req.params.name,
        password,
        passwordHash: password_hash ?? (password === undefined && !existed ? '' : undefined),
        hashingAlgorithm: hashing_algorithm,
        tags: t,
        ...(limits !== undefined && { limits }),
      });
      return reply.code(existed ? 204 : 201).send();
    },
  );
  app.delete<UserParams>('/users/:name', async (req, reply) => {
    if (!b.users.has(req.params.name)) throw notFound();
    b.deleteUser(req.params.name);
    return reply.code(204).send();
  });
  app.post<{ Body: { users: string[] } }>(
    '/users/bulk-delete',
    body({ users: { type: 'array', items: str } }, ['users']),
    async (req, reply) => {
      for (const name of req.body.users) {
        if (!b.users.has(name)) throw new AuthError('no_such_user', `User "${name}" does not exist`);
        b.deleteUser(name);
      }
      return reply.code(204).send();
    },
  );
  app.get<UserParams>('/users/:name/permissions', async (req) => {
    if (!b.users.has(req.params.name)) throw notFound();
    return listReply(req, perms({ user: req.params.name }), ['vhost']);
  });
  app.get<UserParams>('/users/:name/topic-permissions', async (req) => {
    if (!b.users.has(req.params.name)) throw notFound();
    return listReply(req, topics({ user: req.params.name }), ['vhost']);
  });
  app.get<{ Params: { vhost: string } }>('/vhosts/:vhost/permissions', async (req) => {
    if (!b.vhosts.has(req.params.vhost)) throw notFound();
    return listReply(req, perms({ vhost: req.params.vhost }), ['user']);
  });
  app.get<{ Params: { vhost: string } }>('/vhosts/:vhost/topic-permissions', async (req) => {
    if (!b.vhosts.has(req.params.vhost)) throw notFound();
    return listReply(req, topics({ vhost: req.params.vhost }), ['user']);
  });

  // ---------- permissions ----------

  app.get('/permissions', async (req) => listReply(req, perms({}), ['vhost', 'user']));
  app.get<VU>('/permissions/:vhost/:user', async (req) => {
    const p = perms({ vhost: req.params.vhost, user: req.params.user })[0];
    if (!p) throw notFound();
    return objectReply(req, p);
  });
  app.put<VU & { Body: { configure: string; write: string; read: string } }>(
    '/permissions/:vhost/:user',
    body({ configure: str, write: str, read: str }, ['configure', 'write', 'read']),
    async (req, reply) => {
      const { vhost, user } = req.params;
      if (!b.vhosts.has(vhost) || !b.users.has(user)) throw badRequest('vhost_or_user_not_found');
      const existed = perms({ vhost, user }).length > 0;
      b.setPermissions(user, vhost, req.body);
      return reply.code(existed ? 204 : 201).send();
    },
  );
  app.delete<VU>('/permissions/:vhost/:user', async (req, reply) => {
    if (perms({ vhost: req.params.vhost, user: req.params.user }).length === 0) throw notFound();
    b.clearPermissions(req.params.user, req.params.vhost);
    return reply.code(204).send();
  });

  // ---------- topic permissions ----------

  app.get('/topic-permissions', async (req) => listReply(req, topics({}), ['vhost', 'user']));
  app.get<VU>('/topic-permissions/:vhost/:user', async (req) => {
    const list = topics({ vhost: req.params.vhost, user: req.params.user });
    if (list.length === 0) throw notFound();
    return listReply(req, list, ['exchange']);
  });
  app.put<VU & { Body: { exchange: string; write: string; read: string } }>(
    '/topic-permissions/:vhost/:user',
    body({ exchange: str, write: str, read: str }, ['exchange', 'write', 'read']),
    async (req, reply) => {
      const { vhost, user } = req.params;
      if (!b.vhosts.has(vhost) || !b.users.has(user)) throw badRequest('vhost_or_user_not_found');
      const existed = topics({ vhost, user }).some((t) => t['exchange'] === req.body.exchange);
      b.setTopicPermissions(user, vhost, req.body.exchange, req.body);
      return reply.code(existed ? 204 : 201).send();
    },
  );
  app.delete<VU & { Querystring: { exchange?: string } }>(
    '/topic-permissions/:vhost/:user',
    async (req, reply) => {
      const { vhost, user } = req.params;
      const list = topics({ vhost, user });
      const ex = req.query.exchange;
      if (list.length === 0 || (ex !== undefined && !list.some((t) => t['exchange'] === ex)))
        throw notFound();
      b.clearTopicPermissions(user, vhost, ex);
      return reply.code(204).send();
    },
  );
}
