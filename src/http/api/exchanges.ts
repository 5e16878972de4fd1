/**
 * /api/exchanges: list, declare (PUT), delete (if-unused), publish, and the bindings an exchange is
 * the source or destination of.
 */
import type { FastifyInstance } from 'fastify';
import { ChannelAccess } from '../../auth/channel-access.js';
import type { NodeContext } from '../context.js';
import { requireVhost, type Principal } from './auth.js';
import { notFound, vhostNotFound } from './errors.js';
import { bindingJson, exchangeJson, vhostBindings } from './format.js';
import { listReply, objectReply } from './listing.js';
import { publishFromHttp, type PublishBody } from './messages.js';
import { bool, body, type Bool, obj, str, toBool, toTable } from './schemas.js';
import { visibleVhosts } from './visibility.js';

type VE = { Params: { vhost: string; name: string } };

/** `amq.default` in a URL is the default exchange, whose name is empty. */
const exchangeName = (n: string): string => (n === 'amq.default' ? '' : n);

export function exchangeRoutes(app: FastifyInstance, node: NodeContext): void {
  const b = node.broker;
  const sort = ['vhost', 'name'];

  app.get('/exchanges', async (req) =>
    listReply(
      req,
      visibleVhosts(b, req.principal).flatMap((v) =>
        [...v.exchanges.values()].map((e) => exchangeJson(node, e)),
      ),
      sort,
    ),
  );

  app.get<{ Params: { vhost: string } }>('/exchanges/:vhost', async (req) => {
    requireVhost(b, req.principal, req.params.vhost);
    const v = b.vhost(req.params.vhost);
    return listReply(
      req,
      [...v.exchanges.values()].map((e) => exchangeJson(node, e)),
      sort,
    );
  });

  const lookup = (req: { params: VE['Params']; principal: Principal }) => {
    requireVhost(b, req.principal, req.params.vhost);
    const e = b.vhost(req.params.vhost).exchanges.get(exchangeName(req.params.name));
    if (!e) throw notFound();
    return e;
  };

  app.get<VE>('/exchanges/:vhost/:name', async (req) => objectReply(req, exchangeJson(node, lookup(req))));

  app.put<
    VE & {
      Body: {
        type?: string;
        durable?: Bool;
        auto_delete?: Bool;
        internal?: Bool;
        arguments?: Record<string, unknown>;
      };
    }
  >(
    '/exchanges/:vhost/:name',
    body({ type: str, durable: bool, auto_delete: bool, internal: bool, arguments: obj }),
    async (req, reply) => {
      const { vhost, name } = req.params;
      if (!b.vhosts.has(vhost)) throw vhostNotFound();
      requireVhost(b, req.principal, vhost);
      const v = b.vhost(vhost);
      const args = toTable(req.body.arguments);
      const n = exchangeName(name);
      new ChannelAccess(b.access, req.principal.user.name, vhost).exchangeDeclare(v, n, args);
      const existed = v.exchanges.has(n);
      v.declareExchange({
        name: n,
        type: req.body.type ?? 'direct',
        passive: false,
        durable: toBool(req.body.durable, false),
        autoDelete: toBool(req.body.auto_delete, false),
        internal: toBool(req.body.internal, false),
        arguments: args,
      });
      return reply.code(existed ? 204 : 201).send();
    },
  );

  app.delete<VE & { Querystring: { 'if-unused'?: string } }>(
    '/exchanges/:vhost/:name',
    async (req, reply) => {
      const e = lookup(req);
      if (e.name !== '' && !e.name.startsWith('amq.')) {
        new ChannelAccess(b.access, req.principal.user.name, e.vhost).configure('exchange', e.name);
      }
      b.vhost(e.vhost).deleteExchange(e.name, req.query['if-unused'] === 'true');
      return reply.code(204).send();
    },
  );

  app.post<VE & { Body: PublishBody }>(
    '/exchanges/:vhost/:name/publish',
    body(
      {
        routing_key: str,
        properties: obj,
        payload: str,
        payload_encoding: { enum: ['string', 'base64'] },
      },
      ['routing_key', 'properties', 'payload', 'payload_encoding'],
    ),
    async (req) => {
      const e = lookup(req);
      return publishFromHttp(b, req.principal.user, b.vhost(e.vhost), e.name, req.body, node.maxMessageSize);
    },
  );

  app.get<VE>('/exchanges/:vhost/:name/bindings/source', async (req) => {
    const e = lookup(req);
    const list = vhostBindings(b.vhost(e.vhost)).filter((x) => x.source === e.name);
    return listReply(req, list.map(bindingJson), []);
  });

  app.get<VE>('/exchanges/:vhost/:name/bindings/destination', async (req) => {
    const e = lookup(req);
    const list = vhostBindings(b.vhost(e.vhost)).filter((x) => x.destination === e);
    return listReply(req, list.map(bindingJson), []);
  });
}
