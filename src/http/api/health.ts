/**
 * Health checks (/api/health/checks/...) and /api/aliveness-test/:vhost, with RabbitMQ's answers:
 * 200 `{"status":"ok"}`, or 503 `{"status":"failed","reason":...}`.
 */
import type { FastifyInstance } from 'fastify';
import { ChannelAccess } from '../../auth/channel-access.js';
import { Message } from '../../core/message.js';
import { publishMessage } from '../../core/publish.js';
import type { NodeContext } from '../context.js';
import { requireVhost } from './auth.js';

const ALIVENESS_QUEUE = 'aliveness-test';

export function healthRoutes(app: FastifyInstance, node: NodeContext): void {
  const b = node.broker;

  const alarms = async (_req: unknown, reply: import('fastify').FastifyReply) => {
    const list = b.localAlarms();
    if (list.length === 0) return { status: 'ok' };
    return reply
      .code(503)
      .send({ status: 'failed', reason: 'There are alarms in effect in the cluster', alarms: list });
  };
  app.get('/health/checks/alarms', alarms);
  app.get('/health/checks/local-alarms', alarms);
  // Every vhost of a single node is running; there are no mirrors or quorum members to lose.
  for (const path of ['virtual-hosts', 'node-is-quorum-critical', 'node-is-mirror-sync-critical']) {
    app.get(`/health/checks/${path}`, async () => ({ status: 'ok' }));
  }
  app.get<{ Params: { port: string } }>('/health/checks/port-listener/:port', async (req, reply) => {
    const ports = [...new Set(node.listeners().map((l) => l.port))];
    const port = Number(req.params.port);
    if (ports.includes(port)) return { status: 'ok', port };
    return reply.code(503).send({ status: 'failed', reason: 'No active listener', missing: port, ports });
  });
  app.get<{ Params: { protocol: string } }>(
    '/health/checks/protocol-listener/:protocol',
    async (req, reply) => {
      const protocols = [...new Set(node.listeners().map((l) => l.protocol))];
      const p = req.params.protocol;
      if (protocols.includes(p)) return { status: 'ok', protocol: p };
      return reply.code(503).send({ status: 'failed', reason: 'No active listener', missing: p, protocols });
    },
  );

  // Declares the queue "aliveness-test", publishes a message to it and gets it back (RabbitMQ's test).
  app.get<{ Params: { vhost: string } }>('/aliveness-test/:vhost', async (req, reply) => {
    requireVhost(b, req.principal, req.params.vhost);
    const v = b.vhost(req.params.vhost);
    const access = new ChannelAccess(b.access, req.principal.user.name, v.name);
    access.queueDeclare(v, ALIVENESS_QUEUE, false, {});
    access.write('exchange', '');
    access.read('queue', ALIVENESS_QUEUE);
    const q = v.declareQueue(
      {
        name: ALIVENESS_QUEUE,
        passive: false,
        durable: false,
        exclusive: false,
        autoDelete: false,
        arguments: {},
      },
      null,
    );
    publishMessage(
      v,
      v.defaultExchange,
      ALIVENESS_QUEUE,
      Message.from('', ALIVENESS_QUEUE, {}, Buffer.from('test_message')),
    );
    const entry = q.headReady() ? q.get(true) : undefined;
    if (entry?.msg?.body.toString() !== 'test_message') {
      return reply.code(503).send({ status: 'failed', reason: 'aliveness test message was not received' });
    }
    return { status: 'ok' };
  });
}
