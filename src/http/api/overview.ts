/**
 * /api/overview, /api/whoami, /api/nodes, /api/extensions, /api/auth, /api/cluster-name: the node
 * and its totals. Users tagged only `management` or `policymaker` see totals over the vhosts they may
 * use; `monitoring` and `administrator` see the whole node (RabbitMQ's rule).
 */
import { availableParallelism } from 'node:os';
import { readdirSync } from 'node:fs';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { VERSION } from '../../version.js';
import { DEFAULT_MECHANISMS } from '../../amqp/sasl.js';
import type { VHost } from '../../core/vhost.js';
import { addCounters, ChannelCounters } from '../../stats/counters.js';
import { queueTotals, vhostMessageStats } from '../../stats/totals.js';
import type { NodeContext } from '../context.js';
import { requireAdministrator, requireMonitor } from './auth.js';
import { channelMessageStats, type Json } from './format.js';
import { notFound } from './errors.js';
import { listReply, objectReply } from './listing.js';
import { visibleConnections, visibleVhosts } from './visibility.js';

const EXCHANGE_TYPES = [
  ['direct', 'AMQP direct exchange, as per the AMQP specification'],
  ['fanout', 'AMQP fanout exchange, as per the AMQP specification'],
  ['headers', 'AMQP headers exchange, as per the AMQP specification'],
  ['topic', 'AMQP topic exchange, as per the AMQP specification'],
  ['x-delayed-message', 'Delayed Message Exchange'],
].map(([name, description]) => ({ name, description, enabled: true }));

export function overviewRoutes(app: FastifyInstance, node: NodeContext): void {
  app.get('/overview', async (req) => objectReply(req, overview(node, req)));
  app.get('/whoami', async (req) => ({ name: req.principal.user.name, tags: req.principal.user.tags }));
  app.get('/extensions', async () => []);
  // The UI's login page asks how to log in; Warren has basic auth only (no OAuth 2 / UAA).
  app.get('/auth', async () => ({
    enable_uaa: false,
    oauth_enabled: false,
    uaa_client_id: '',
    uaa_location: '',
  }));
  app.get('/cluster-name', async () => ({ name: node.broker.clusterName }));
  app.put<{ Body: { name: string } }>(
    '/cluster-name',
    {
      schema: {
        body: {
          type: 'object',
          required: ['name'],
          properties: { name: { type: 'string', minLength: 1 } },
        },
      },
    },
    async (req, reply) => {
      requireAdministrator(req.principal);
      node.broker.clusterName = req.body.name;
      return reply.code(204).send();
    },
  );
  app.get('/nodes', async (req) => {
    requireMonitor(req.principal);
    return listReply(req, [nodeJson(node)]);
  });
  app.get<{ Params: { name: string } }>('/nodes/:name', async (req) => {
    requireMonitor(req.principal);
    if (req.params.name !== node.broker.clusterName) throw notFound();
    return objectReply(req, nodeJson(node));
  });
}

function overview(node: NodeContext, req: FastifyRequest): Json {
  const b = node.broker;
  const p = req.principal;
  const whole = p.monitoring;
  const vhosts = whole ? [...b.vhosts.values()] : visibleVhosts(b, p);
  const counters = whole ? undefined : new ChannelCounters();
  const rates: Record<string, number> = whole ? { ...node.stats.rates(b) } : {};
  if (counters) {
    for (const v of vhosts) {
      addCounters(counters, vhostMessageStats(b, v));
      for (const [k, r] of Object.entries(node.stats.rates(v))) rates[k] = (rates[k] ?? 0) + r;
    }
  }
  const stats = counters ?? nodeTotals(node, vhosts);
  const q = queueTotals(vhosts);
  const connections = visibleConnections(b, p);
  let channels = 0;
  for (const c of connections) channels += c.channelCount;
  let queues = 0;
  let consumers = 0;
  let exchanges = 0;
  for (const v of vhosts) {
    queues += v.queues.size;
    exchanges += v.exchanges.size;
    for (const qu of v.queues.values()) consumers += qu.consumerCount;
  }
  const churn = b.churn;
  const churnRates = node.stats.rates(churn);
  const churnJson: Json = {};
  for (const [k, name] of CHURN) {
    churnJson[name] = churn[k];
    churnJson[`${name}_details`] = { rate: churnRates[k] ?? 0 };
  }
  return {
    management_version: VERSION,
    rates_mode: 'basic',
    sample_retention_policies: { global: [600, 3600, 28800, 86400], basic: [600, 3600], detailed: [600] },
    exchange_types: EXCHANGE_TYPES,
    product_version: VERSION,
    product_name: 'Warren',
    rabbitmq_version: VERSION,
    cluster_name: b.clusterName,
    erlang_version: process.versions.node,
    erlang_full_version: `Node.js ${process.version}`,
    release_series_support_status: 'supported',
    disable_stats: false,
    enable_queue_totals: false,
    message_stats: channelMessageStats(stats, rates),
    churn_rates: churnJson,
    queue_totals: {
      messages: q.messages,
      messages_details: { rate: rates['messages'] ?? 0 },
      messages_ready: q.messagesReady,
      messages_ready_details: { rate: rates['messagesReady'] ?? 0 },
      messages_unacknowledged: q.messagesUnacknowledged,
      messages_unacknowledged_details: { rate: rates['messagesUnacknowledged'] ?? 0 },
    },
    object_totals: { channels, connections: connections.length, consumers, exchanges, queues },
    statistics_db_event_queue: 0,
    node: b.clusterName,
    listeners: node.listeners().map((l) => ({ node: b.clusterName, ...l, socket_opts: {} })),
    contexts: contexts(node),
  };
}

function nodeTotals(node: NodeContext, vhosts: VHost[]): ChannelCounters {
  const total = new ChannelCounters();
  for (const v of vhosts) addCounters(total, vhostMessageStats(node.broker, v));
  return total;
}

const CHURN: [keyof import('../../stats/counters.js').ChurnCounters, string][] = [
  ['channelClosed', 'channel_closed'],
  ['channelCreated', 'channel_created'],
  ['connectionClosed', 'connection_closed'],
  ['connectionCreated', 'connection_created'],
  ['queueCreated', 'queue_created'],
  ['queueDeclared', 'queue_declared'],
  ['queueDeleted', 'queue_deleted'],
];

function contexts(node: NodeContext): Json[] {
  return node
    .listeners()
    .filter((l) => l.protocol === 'http')
    .slice(0, 1)
    .map((l) => ({
      node: node.broker.clusterName,
      description: 'RabbitMQ Management',
      path: '/',
      ip: l.ip_address,
      port: String(l.port),
    }));
}

function fdUsed(): number | undefined {
  try {
    return readdirSync('/proc/self/fd').length;
  } catch {
    return undefined;
  }
}

function nodeJson(node: NodeContext): Json {
  const b = node.broker;
  const s = b.alarms.status();
  const churn = b.churn;
  const churnRates = node.stats.rates(churn);
  const out: Json = {
    name: b.clusterName,
    type: 'disc',
    running: true,
    being_drained: false,
    os_pid: String(process.pid),
    partitions: [],
    cluster_links: [],
    uptime: Date.now() - node.startedAt,
    processors: availableParallelism(),
    rates_mode: 'basic',
    net_ticktime: 60,
    mem_used: s.memUsed || process.memoryUsage().rss,
    mem_limit: s.memLimit,
    mem_alarm: s.alarms.includes('memory'),
    mem_calculation_strategy: 'rss',
    disk_free: s.diskFree ?? 0,
    disk_free_limit: s.diskFreeLimit,
    disk_free_alarm: s.alarms.includes('disk'),
    fd_used: fdUsed() ?? 0,
    sockets_used: b.connections.size,
    db_dir: node.dataDir ?? '',
    exchange_types: EXCHANGE_TYPES,
    auth_mechanisms: DEFAULT_MECHANISMS.map((name) => ({ name, description: '', enabled: true })),
    enabled_plugins: ['rabbitmq_management', 'rabbitmq_prometheus'],
    contexts: contexts(node),
    applications: [{ name: 'warren', description: 'Warren', version: VERSION }],
    log_files: [],
    config_files: [],
  };
  for (const [k, name] of CHURN) {
    out[name] = churn[k];
    out[`${name}_details`] = { rate: churnRates[k] ?? 0 };
  }
  return out;
}
