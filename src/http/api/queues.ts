/**
 * /api/queues: list, declare (PUT), delete (if-unused, if-empty), purge (DELETE .../contents),
 * bindings, and get messages (POST .../get). Declares and deletes go through the vhost's own
 * operations with the permission checks the AMQP channel makes.
 */
import type { FastifyInstance } from 'fastify';
import { ChannelAccess } from '../../auth/channel-access.js';
import type { NodeContext } from '../context.js';
import { requireVhost } from './auth.js';
import { notFound, vhostNotFound } from './errors.js';
import { bindingJson, queueJson, vhostBindings } from './format.js';
import { listReply, objectReply } from './listing.js';
import { getFromHttp, type GetBody } from './messages.js';
import { bool, body, type Bool, nonNegativeInt, obj, toBool, toTable } from './schemas.js';
import { visibleVhosts } from './visibility.js';

type VQ = { Params: { vhost: string; name: string } };

export function queueRoutes(app: FastifyInstance, node: NodeContext): void {
  const b = node.broker;
  const sort = ['vhost', 'name'];

  app.get('/queues', async (req) =>
    listReply(
      req,
      visibleVhosts(b, req.principal).flatMap((v) => [...v.queues.values()].map((q) => queueJson(node, q))),
      sort,
    ),
  );

  app.get<{ Params: { vhost: string } }>('/queues/:vhost', async (req) => {
    requireVhost(b, req.principal, req.params.vhost);
    const v = b.vhost(req.params.vhost);
    return listReply(
      req,
      [...v.queues.values()].map((q) => queueJson(node, q)),
      sort,
    );
  });

  const lookup = (req: { params: VQ['Params']; principal: import('./auth.js').Principal }) => {
    requireVhost(b, req.principal, req.params.vhost);
    const q = b.vhost(req.params.vhost).queues.get(req.params.name);
    if (!q) throw notFound();
    return q;
  };

  app.get<VQ>('/queues/:vhost/:name', async (req) => objectReply(req, queueJson(node, lookup(req), true)));

  app.put<VQ & { Body: { durable?: Bool; auto_delete?: Bool; arguments?: Record<string, unknown> } }>(
    '/queues/:vhost/:name',
    body({
      durable: bool,
      auto_delete: bool,
      arguments: obj,
      node: { type: 'string' },
      type: { type: 'string' },
    }),
    async (req, reply) => {
      const { vhost, name } = req.params;
      if (!b.vhosts.has(vhost)) throw vhostNotFound();
      requireVhost(b, req.principal, vhost);
      const v = b.vhost(vhost);
      const args = toTable(req.body.arguments);
      const type = (req.body as { type?: string }).type;
      if (type !== undefined && args['x-queue-type'] === undefined) args['x-queue-type'] = type;
      new ChannelAccess(b.access, req.principal.user.name, vhost).queueDeclare(v, name, false, args);
      const existed = v.queues.has(name);
      v.declareQueue(
        {
          name,
          passive: false,
          durable: toBool(req.body.durable, false),
          exclusive: false,
          autoDelete: toBool(req.body.auto_delete, false),
          arguments: args,
        },
        null,
      );
      return reply.code(existed ? 204 : 201).send();
    },
  );

  app.delete<VQ & { Querystring: { 'if-unused'?: string; 'if-empty'?: string } }>(
    '/queues/:vhost/:name',
    async (req, reply) => {
      const q = lookup(req);
      new ChannelAccess(b.access, req.principal.user.name, q.vhost).configure('queue', q.name);
      b.vhost(q.vhost).deleteQueue(
        q.name,
        null,
        req.query['if-unused'] === 'true',
        req.query['if-empty'] === 'true',
      );
      return reply.code(204).send();
    },
  );

  app.delete<VQ>('/queues/:vhost/:name/contents', async (req, reply) => {
    const q = lookup(req);
    new ChannelAccess(b.access, req.principal.user.name, q.vhost).read('queue', q.name);
    b.vhost(q.vhost).queue(q.name, null).purge();
    return reply.code(204).send();
  });

  app.get<VQ>('/queues/:vhost/:name/bindings', async (req) => {
    const q = lookup(req);
    const bindings = vhostBindings(b.vhost(q.vhost)).filter((x) => x.destination === q);
    return listReply(req, bindings.map(bindingJson), []);
  });

  app.post<VQ & { Body: GetBody }>(
    '/queues/:vhost/:name/get',
    body(
      {
        // rabbitmqadmin sends count and truncate as strings, which RabbitMQ accepts.
        count: {
          anyOf: [
            { type: 'integer', minimum: 1 },
            { type: 'string', pattern: '^[1-9][0-9]{0,8}$' },
          ],
        },
        ackmode: {
          enum: ['ack_requeue_true', 'ack_requeue_false', 'reject_requeue_true', 'reject_requeue_false'],
        },
        encoding: { enum: ['auto', 'base64'] },
        truncate: { anyOf: [nonNegativeInt, { type: 'string', pattern: '^[0-9]{1,10}$' }] },
      },
      ['count', 'ackmode', 'encoding'],
    ),
    async (req) => {
      const q = lookup(req);
      new ChannelAccess(b.access, req.principal.user.name, q.vhost).read('queue', q.name);
      const { count, truncate } = req.body;
      return getFromHttp(b.vhost(q.vhost).queue(q.name, null), {
        ...req.body,
        count: Number(count),
        ...(truncate === undefined ? {} : { truncate: Number(truncate) }),
      });
    },
  );
}
