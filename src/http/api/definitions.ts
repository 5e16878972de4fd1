/**
 * /api/definitions (and /api/definitions/:vhost): export and import in RabbitMQ's JSON, through the
 * same exportDefinitions/importDefinitions the CLI and load_definitions use. Administrators only.
 */
import type { FastifyInstance } from 'fastify';
import { exportDefinitions } from '../../definitions/export.js';
import { importDefinitions } from '../../definitions/import.js';
import type { NodeContext } from '../context.js';
import { requireAdministrator } from './auth.js';
import { notFound } from './errors.js';

export function definitionRoutes(app: FastifyInstance, node: NodeContext): void {
  const b = node.broker;
  app.addHook('preHandler', async (req) => requireAdministrator(req.principal));

  app.get('/definitions', async (req, reply) => {
    if ((req.query as Record<string, unknown>)['download'] !== undefined) {
      void reply.header('content-disposition', 'attachment; filename="warren-definitions.json"');
    }
    return exportDefinitions(b);
  });

  app.post('/definitions', async (req, reply) => {
    importDefinitions(b, req.body);
    return reply.code(204).send();
  });

  app.get<{ Params: { vhost: string } }>('/definitions/:vhost', async (req) => {
    const vhost = req.params.vhost;
    if (!b.vhosts.has(vhost)) throw notFound();
    const all = exportDefinitions(b);
    const mine = <T extends { vhost?: string }>(items: T[] = []): Omit<T, 'vhost'>[] =>
      items.filter((i) => i.vhost === vhost).map(({ vhost: _v, ...rest }) => rest);
    // RabbitMQ's shape for one vhost: no vhost fields, except in policies, where it keeps them.
    return {
      rabbit_version: all.rabbit_version,
      parameters: mine(all.parameters),
      policies: (all.policies ?? []).filter((p) => p.vhost === vhost),
      queues: mine(all.queues),
      exchanges: mine(all.exchanges),
      bindings: mine(all.bindings),
    };
  });

  app.post<{ Params: { vhost: string } }>('/definitions/:vhost', async (req, reply) => {
    if (!b.vhosts.has(req.params.vhost)) throw notFound();
    importDefinitions(b, req.body, { vhost: req.params.vhost });
    return reply.code(204).send();
  });
}
