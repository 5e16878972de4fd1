/** /api/vhosts: list (what the user may see), one (administrators), create or update, delete. */
import type { FastifyInstance } from 'fastify';
import type { NodeContext } from '../context.js';
import { requireAdministrator } from './auth.js';
import { notFound } from './errors.js';
import { vhostJson } from './format.js';
import { listReply, objectReply } from './listing.js';
import { body, str, tags, bool } from './schemas.js';
import { visibleVhosts } from './visibility.js';

export function vhostRoutes(app: FastifyInstance, node: NodeContext): void {
  const b = node.broker;

  // monitoring sees every vhost in this list; management users those they have permissions in.
  app.get('/vhosts', async (req) => {
    const list = req.principal.monitoring ? b.listVhosts() : visibleVhosts(b, req.principal);
    return listReply(
      req,
      list.map((v) => vhostJson(node, v)),
    );
  });

  app.get<{ Params: { name: string } }>('/vhosts/:name', async (req) => {
    requireAdministrator(req.principal);
    const v = b.vhosts.get(req.params.name);
    if (!v) throw notFound();
    return objectReply(req, vhostJson(node, v));
  });

  app.put<{
    Params: { name: string };
    Body: { description?: string; tags?: unknown; default_queue_type?: string };
  }>(
    '/vhosts/:name',
    body({ description: str, tags, default_queue_type: str, tracing: bool }),
    async (req, reply) => {
      requireAdministrator(req.principal);
      const existed = b.vhosts.has(req.params.name);
      const { description, tags: t, default_queue_type: dqt } = req.body;
      b.addVhost(req.params.name, {
        ...(description !== undefined && { description }),
        ...(t !== undefined && { tags: t }),
        ...(dqt !== undefined && { defaultQueueType: dqt }),
      });
      // A new vhost is usable at once by the administrator who made it (RabbitMQ grants it too).
      if (!existed) {
        b.setPermissions(req.principal.user.name, req.params.name, {
          configure: '.*',
          write: '.*',
          read: '.*',
        });
      }
      return reply.code(existed ? 204 : 201).send();
    },
  );

  app.delete<{ Params: { name: string } }>('/vhosts/:name', async (req, reply) => {
    if (!b.vhosts.has(req.params.name)) throw notFound();
    requireAdministrator(req.principal);
    b.deleteVhost(req.params.name);
    return reply.code(204).send();
  });
}
