/**
 * /api/policies: every user sees the policies of the vhosts it may use; `policymaker` and
 * `administrator` set and clear them (RabbitMQ's rule). Validation is the core's (validatePolicy).
 */
import type { FastifyInstance } from 'fastify';
import { policyToJson } from '../../core/policy-json.js';
import type { NodeContext } from '../context.js';
import { requirePolicymaker, requireVhost } from './auth.js';
import { notFound, vhostNotFound } from './errors.js';
import type { Json } from './format.js';
import { listReply, objectReply } from './listing.js';
import { body, obj, str } from './schemas.js';
import { visibleVhosts } from './visibility.js';

type VN = { Params: { vhost: string; name: string } };

export function policyRoutes(app: FastifyInstance, node: NodeContext): void {
  const b = node.broker;
  const json = (vhost: string): Json[] => b.policies(vhost).map((p) => policyToJson(p) as unknown as Json);

  app.get('/policies', async (req) =>
    listReply(
      req,
      visibleVhosts(b, req.principal).flatMap((v) => json(v.name)),
      ['vhost', 'name'],
    ),
  );
  app.get<{ Params: { vhost: string } }>('/policies/:vhost', async (req) => {
    requireVhost(b, req.principal, req.params.vhost);
    return listReply(req, json(req.params.vhost));
  });
  app.get<VN>('/policies/:vhost/:name', async (req) => {
    requireVhost(b, req.principal, req.params.vhost);
    const p = json(req.params.vhost).find((x) => x['name'] === req.params.name);
    if (!p) throw notFound();
    return objectReply(req, p);
  });
  app.put<
    VN & {
      Body: { pattern: string; definition: Record<string, unknown>; priority?: number; 'apply-to'?: string };
    }
  >(
    '/policies/:vhost/:name',
    body({ pattern: str, definition: obj, priority: { type: 'integer' }, 'apply-to': str }, [
      'pattern',
      'definition',
    ]),
    async (req, reply) => {
      const { vhost, name } = req.params;
      if (!b.vhosts.has(vhost)) throw vhostNotFound();
      requireVhost(b, req.principal, vhost);
      requirePolicymaker(req.principal);
      const existed = b.vhost(vhost).policy(name) !== undefined;
      b.setPolicy(vhost, {
        name,
        pattern: req.body.pattern,
        definition: req.body.definition,
        ...(req.body.priority !== undefined && { priority: req.body.priority }),
        ...(req.body['apply-to'] !== undefined && { applyTo: req.body['apply-to'] }),
      });
      return reply.code(existed ? 204 : 201).send();
    },
  );
  app.delete<VN>('/policies/:vhost/:name', async (req, reply) => {
    requireVhost(b, req.principal, req.params.vhost);
    requirePolicymaker(req.principal);
    if (b.vhost(req.params.vhost).policy(req.params.name) === undefined) throw notFound();
    b.clearPolicy(req.params.vhost, req.params.name);
    return reply.code(204).send();
  });
}
