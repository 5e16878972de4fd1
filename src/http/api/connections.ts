/**
 * /api/connections, /api/channels, /api/consumers (and their per-vhost forms). `management` users
 * see their own connections and channels only, `monitoring` and `administrator` all; consumers are
 * listed for every vhost the user may use. DELETE of a
 * connection closes it with 320 CONNECTION_FORCED and the `X-Reason` header's text, as RabbitMQ does.
 */
import type { FastifyInstance } from 'fastify';
import type { ConnectionInfo } from '../../core/broker.js';
import { ReplyCode } from '../../protocol/errors.js';
import type { NodeContext } from '../context.js';
import { ApiError, notFound } from './errors.js';
import { requireVhost, seesAllConnections, type Principal } from './auth.js';
import { channelJson, channelName, connectionJson, consumerJson, type Json } from './format.js';
import { listReply, objectReply } from './listing.js';
import { visibleConnections, visibleVhosts } from './visibility.js';

const refusedObject = (): ApiError =>
  new ApiError(401, 'not_authorised', 'User not authorised to access object', {
    'www-authenticate': 'Basic realm="RabbitMQ Management"',
  });

export function connectionRoutes(app: FastifyInstance, node: NodeContext): void {
  const b = node.broker;

  const channelsOf = (conns: ConnectionInfo[]): Json[] =>
    conns.flatMap((c) => [...c.channelInfos()].map((ch) => channelJson(node, c, ch)));

  /** A connection by name, if the user may see it (and, for `write`, close it). */
  const connection = (p: Principal, name: string, write = false): ConnectionInfo => {
    const c = [...b.connections.values()].find((x) => x.name === name);
    if (!c) throw notFound();
    const own = c.userName === p.user.name;
    if (!own && !(write ? p.administrator : seesAllConnections(p))) throw refusedObject();
    return c;
  };

  app.get('/connections', async (req) =>
    listReply(
      req,
      visibleConnections(b, req.principal).map((c) => connectionJson(node, c)),
    ),
  );

  app.get<{ Params: { vhost: string } }>('/vhosts/:vhost/connections', async (req) => {
    requireVhost(b, req.principal, req.params.vhost);
    const list = visibleConnections(b, req.principal).filter((c) => c.vhostName === req.params.vhost);
    return listReply(
      req,
      list.map((c) => connectionJson(node, c)),
    );
  });

  app.get<{ Params: { name: string } }>('/connections/:name', async (req) =>
    objectReply(req, connectionJson(node, connection(req.principal, req.params.name))),
  );

  app.delete<{ Params: { name: string } }>('/connections/:name', async (req, reply) => {
    const c = connection(req.principal, req.params.name, true);
    const reason = req.headers['x-reason'];
    c.close(ReplyCode.ConnectionForced, typeof reason === 'string' ? reason : 'Closed via management plugin');
    return reply.code(204).send();
  });

  app.get<{ Params: { name: string } }>('/connections/:name/channels', async (req) =>
    listReply(req, channelsOf([connection(req.principal, req.params.name)])),
  );

  app.get('/channels', async (req) => listReply(req, channelsOf(visibleConnections(b, req.principal))));

  app.get<{ Params: { vhost: string } }>('/vhosts/:vhost/channels', async (req) => {
    requireVhost(b, req.principal, req.params.vhost);
    const conns = visibleConnections(b, req.principal).filter((c) => c.vhostName === req.params.vhost);
    return listReply(req, channelsOf(conns));
  });

  app.get<{ Params: { name: string } }>('/channels/:name', async (req) => {
    // "<connection name> (<channel number>)"
    const m = /^(.*) \((\d+)\)$/.exec(req.params.name);
    if (!m) throw notFound();
    const c = connection(req.principal, m[1] as string);
    const number = Number(m[2]);
    for (const ch of c.channelInfos()) {
      if (ch.id === number && channelName(c, ch) === req.params.name) {
        return objectReply(req, channelJson(node, c, ch, true));
      }
    }
    throw notFound();
  });

  /** Every consumer of these vhosts (RabbitMQ filters consumers by vhost access only). */
  const consumersOf = (vhosts: string[]): Json[] =>
    vhosts.flatMap((name) =>
      [...b.vhost(name).queues.values()].flatMap((q) => q.consumers.map((c) => consumerJson(node, q, c))),
    );

  app.get('/consumers', async (req) =>
    listReply(req, consumersOf(visibleVhosts(b, req.principal).map((v) => v.name)), []),
  );

  app.get<{ Params: { vhost: string } }>('/consumers/:vhost', async (req) => {
    requireVhost(b, req.principal, req.params.vhost);
    return listReply(req, consumersOf([req.params.vhost]), []);
  });
}
