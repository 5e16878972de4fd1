/**
 * /api/bindings: list (all, per vhost, between a source and a destination), create (POST, with a
 * Location header naming the new binding by its properties key), read and delete one binding.
 */
import type { FastifyInstance, FastifyReply } from 'fastify';
import { ChannelAccess } from '../../auth/channel-access.js';
import type { Destination } from '../../core/binding.js';
import type { VHost } from '../../core/vhost.js';
import type { NodeContext } from '../context.js';
import { requireVhost, type Principal } from './auth.js';
import { notFound } from './errors.js';
import { bindingJson, propertiesKey, vhostBindings, type BindingView } from './format.js';
import { listReply, objectReply } from './listing.js';
import { body, obj, str, toTable } from './schemas.js';
import { visibleVhosts } from './visibility.js';

type Kind = 'q' | 'e';
interface Between {
  vhost: string;
  source: string;
  destination: string;
}
const exchangeName = (n: string): string => (n === 'amq.default' ? '' : n);

export function bindingRoutes(app: FastifyInstance, node: NodeContext): void {
  const b = node.broker;

  app.get('/bindings', async (req) =>
    listReply(req, visibleVhosts(b, req.principal).flatMap(vhostBindings).map(bindingJson), []),
  );

  app.get<{ Params: { vhost: string } }>('/bindings/:vhost', async (req) => {
    requireVhost(b, req.principal, req.params.vhost);
    return listReply(req, vhostBindings(b.vhost(req.params.vhost)).map(bindingJson), []);
  });

  /** The bindings from `source` to the destination named in the path. */
  const between = (p: Principal, kind: Kind, params: Between): { v: VHost; list: BindingView[] } => {
    requireVhost(b, p, params.vhost);
    const v = b.vhost(params.vhost);
    const source = exchangeName(params.source);
    if (!v.exchanges.has(source)) throw notFound();
    const dest = destinationOf(v, kind, params.destination);
    if (!dest) throw notFound();
    return { v, list: vhostBindings(v).filter((x) => x.source === source && x.destination === dest) };
  };

  for (const kind of ['q', 'e'] as const) {
    const path = `/bindings/:vhost/e/:source/${kind}/:destination`;
    app.get<{ Params: Between }>(path, async (req) =>
      listReply(req, between(req.principal, kind, req.params).list.map(bindingJson), []),
    );

    app.post<{ Params: Between; Body: { routing_key?: string; arguments?: Record<string, unknown> } }>(
      path,
      body({ routing_key: str, arguments: obj }),
      async (req, reply) => create(req.principal, kind, req.params, req.body, reply),
    );

    app.get<{ Params: Between & { props: string } }>(`${path}/:props`, async (req) =>
      objectReply(req, bindingJson(one(req.principal, kind, req.params))),
    );

    app.delete<{ Params: Between & { props: string } }>(`${path}/:props`, async (req, reply) => {
      const x = one(req.principal, kind, req.params);
      const v = b.vhost(x.vhost);
      const destKind = x.destination.destinationKind;
      new ChannelAccess(b.access, req.principal.user.name, v.name).bind(
        v,
        x.source,
        destKind,
        x.destination.name,
        x.routingKey,
      );
      v.unbind(x.source, x.destination, x.routingKey, x.arguments);
      return reply.code(204).send();
    });
  }

  function one(p: Principal, kind: Kind, params: Between & { props: string }): BindingView {
    const { list } = between(p, kind, params);
    const found = list.find((x) => {
      const key = propertiesKey(x.routingKey, x.arguments);
      return key === params.props || safeDecode(key) === params.props;
    });
    if (!found) throw notFound();
    return found;
  }

  async function create(
    p: Principal,
    kind: Kind,
    params: Between,
    input: { routing_key?: string; arguments?: Record<string, unknown> },
    reply: FastifyReply,
  ): Promise<FastifyReply> {
    requireVhost(b, p, params.vhost);
    const v = b.vhost(params.vhost);
    const source = exchangeName(params.source);
    const routingKey = input.routing_key ?? '';
    const args = toTable(input.arguments);
    const destKind = kind === 'q' ? 'queue' : 'exchange';
    new ChannelAccess(b.access, p.user.name, v.name).bind(
      v,
      source,
      destKind,
      params.destination,
      routingKey,
    );
    const dest =
      kind === 'q' ? v.queue(params.destination, null) : v.exchange(exchangeName(params.destination));
    v.exchange(source); // a missing source is a 404 before anything else
    v.bind(source, dest, routingKey, args);
    const location = `${encodeURIComponent(params.destination)}/${propertiesKey(routingKey, args)}`;
    return reply.code(201).header('location', location).send();
  }
}

function destinationOf(v: VHost, kind: Kind, name: string): Destination | undefined {
  return kind === 'q' ? v.queues.get(name) : v.exchanges.get(exchangeName(name));
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}
