/**
 * The metrics rabbitmq_prometheus exposes, under its names and types (read from the 3.10 plugin's
 * collectors and rabbit_global_counters): totals, churn, the global message counters (label
 * protocol="amqp091", delivery ones also queue_type), queue, channel and connection metrics, node
 * resources, alarms, build and identity info. Two registries per broker:
 *
 * - aggregated (/metrics): queue, channel and connection metrics summed over all objects, no labels
 *   (RabbitMQ's default, prometheus.return_per_object_metrics = false)
 * - per object (/metrics/per-object): the same names, one series per queue (vhost, queue labels),
 *   channel (channel label) and connection (channel label, as RabbitMQ labels connections)
 *
 * Every value is read from the broker at scrape time (a `collect` callback); nothing is counted here.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { Counter, Gauge, Registry } from 'prom-client';
import type { Broker, ChannelInfo, ConnectionInfo } from '../core/broker.js';
import type { Queue } from '../core/queue/queue.js';
import { VERSION } from '../version.js';
import { nodeMessageStats } from '../stats/totals.js';
import { channelName } from './api/format.js';
import type { NodeContext } from './context.js';

type Labels = Record<string, string>;
type Series = [Labels, number][];

interface Spec {
  name: string;
  help: string;
  type: 'counter' | 'gauge';
  labelNames?: string[];
  series: () => Series;
}

function metric(registry: Registry, s: Spec): void {
  const config = {
    name: `rabbitmq_${s.name}`,
    help: s.help,
    labelNames: s.labelNames ?? [],
    registers: [registry],
  };
  if (s.type === 'gauge') {
    new Gauge({
      ...config,
      collect() {
        this.reset();
        for (const [labels, v] of s.series()) this.set(labels, v);
      },
    });
  } else {
    new Counter({
      ...config,
      collect() {
        this.reset();
        for (const [labels, v] of s.series()) this.inc(labels, Math.max(0, v));
      },
    });
  }
}

const one = (v: number): Series => [[{}, v]];

/** Queue, channel and connection metrics: summed (aggregated) or one series per object. */
interface ObjectMetric<T> {
  name: string;
  help: string;
  type: 'counter' | 'gauge';
  value: (o: T) => number;
}

const QUEUE_METRICS: ObjectMetric<Queue>[] = [
  {
    name: 'queue_messages_ready',
    type: 'gauge',
    help: 'Messages ready to be delivered to consumers',
    value: (q) => q.messageCount,
  },
  {
    name: 'queue_messages_unacked',
    type: 'gauge',
    help: 'Messages delivered to consumers but not yet acknowledged',
    value: (q) => q.unackedCount,
  },
  {
    name: 'queue_messages',
    type: 'gauge',
    help: 'Sum of ready and unacknowledged messages - total queue depth',
    value: (q) => q.messageCount + q.unackedCount,
  },
  { name: 'queue_consumers', type: 'gauge', help: 'Consumers on a queue', value: (q) => q.consumerCount },
  {
    name: 'queue_messages_bytes',
    type: 'gauge',
    help: 'Size in bytes of ready and unacknowledged messages',
    value: (q) => q.messageBytes + q.unackedBytes,
  },
  {
    name: 'queue_messages_ready_bytes',
    type: 'gauge',
    help: 'Size in bytes of ready messages',
    value: (q) => q.messageBytes,
  },
  {
    name: 'queue_messages_unacked_bytes',
    type: 'gauge',
    help: 'Size in bytes of all unacknowledged messages',
    value: (q) => q.unackedBytes,
  },
  {
    name: 'queue_messages_ram',
    type: 'gauge',
    help: 'Ready and unacknowledged messages stored in memory',
    value: (q) => q.messageCount - q.pagedCount + q.unackedCount,
  },
  {
    name: 'queue_messages_ready_ram',
    type: 'gauge',
    help: 'Ready messages stored in memory',
    value: (q) => q.messageCount - q.pagedCount,
  },
  {
    name: 'queue_messages_unacked_ram',
    type: 'gauge',
    help: 'Unacknowledged messages stored in memory',
    value: (q) => q.unackedCount,
  },
  {
    name: 'queue_messages_paged_out',
    type: 'gauge',
    help: 'Messages paged out to disk',
    value: (q) => q.pagedCount,
  },
  {
    name: 'queue_messages_paged_out_bytes',
    type: 'gauge',
    help: 'Size in bytes of messages paged out to disk',
    value: (q) => q.pagedBytes,
  },
  {
    name: 'queue_messages_published_total',
    type: 'counter',
    help: 'Total number of messages published to queues',
    value: (q) => q.stats.publish,
  },
];

const CHANNEL_METRICS: ObjectMetric<ChannelInfo>[] = [
  { name: 'channel_consumers', type: 'gauge', help: 'Consumers on a channel', value: (c) => c.consumerCount },
  {
    name: 'channel_messages_unacked',
    type: 'gauge',
    help: 'Delivered but not yet acknowledged messages',
    value: (c) => c.unackedCount,
  },
  {
    name: 'channel_messages_unconfirmed',
    type: 'gauge',
    help: 'Published but not yet confirmed messages',
    value: (c) => c.unconfirmedCount,
  },
  {
    name: 'channel_messages_uncommitted',
    type: 'gauge',
    help: 'Messages received in a transaction but not yet committed',
    value: () => 0,
  },
  {
    name: 'channel_acks_uncommitted',
    type: 'gauge',
    help: 'Message acknowledgements in a transaction not yet committed',
    value: () => 0,
  },
  {
    name: 'consumer_prefetch',
    type: 'gauge',
    help: 'Limit of unacknowledged messages for each consumer',
    value: (c) => c.consumerPrefetch,
  },
  {
    name: 'channel_prefetch',
    type: 'gauge',
    help: 'Total limit of unacknowledged messages for all consumers on a channel',
    value: (c) => c.globalPrefetch,
  },
  {
    name: 'channel_messages_published_total',
    type: 'counter',
    help: 'Total number of messages published into an exchange on a channel',
    value: (c) => c.stats.publish,
  },
  {
    name: 'channel_messages_confirmed_total',
    type: 'counter',
    help: 'Total number of messages published into an exchange and confirmed on the channel',
    value: (c) => c.stats.confirm,
  },
  {
    name: 'channel_messages_unroutable_returned_total',
    type: 'counter',
    help: 'Total number of messages published as mandatory into an exchange and returned to the publisher as unroutable',
    value: (c) => c.stats.returnUnroutable,
  },
  {
    name: 'channel_messages_unroutable_dropped_total',
    type: 'counter',
    help: 'Total number of messages published as non-mandatory into an exchange and dropped as unroutable',
    value: (c) => c.stats.dropUnroutable,
  },
  {
    name: 'channel_get_ack_total',
    type: 'counter',
    help: 'Total number of messages fetched with basic.get in manual acknowledgement mode',
    value: (c) => c.stats.get,
  },
  {
    name: 'channel_get_total',
    type: 'counter',
    help: 'Total number of messages fetched with basic.get in automatic acknowledgement mode',
    value: (c) => c.stats.getNoAck,
  },
  {
    name: 'channel_messages_delivered_ack_total',
    type: 'counter',
    help: 'Total number of messages delivered to consumers in manual acknowledgement mode',
    value: (c) => c.stats.deliver,
  },
  {
    name: 'channel_messages_delivered_total',
    type: 'counter',
    help: 'Total number of messages delivered to consumers in automatic acknowledgement mode',
    value: (c) => c.stats.deliverNoAck,
  },
  {
    name: 'channel_messages_redelivered_total',
    type: 'counter',
    help: 'Total number of messages redelivered to consumers',
    value: (c) => c.stats.redeliver,
  },
  {
    name: 'channel_messages_acked_total',
    type: 'counter',
    help: 'Total number of messages acknowledged by consumers',
    value: (c) => c.stats.ack,
  },
  {
    name: 'channel_get_empty_total',
    type: 'counter',
    help: 'Total number of times basic.get operations fetched no message',
    value: (c) => c.stats.getEmpty,
  },
];

const CONNECTION_METRICS: ObjectMetric<ConnectionInfo>[] = [
  {
    name: 'connection_incoming_bytes_total',
    type: 'counter',
    help: 'Total number of bytes received on a connection',
    value: (c) => c.bytesIn,
  },
  {
    name: 'connection_outgoing_bytes_total',
    type: 'counter',
    help: 'Total number of bytes sent on a connection',
    value: (c) => c.bytesOut,
  },
  {
    name: 'connection_incoming_packets_total',
    type: 'counter',
    help: 'Total number of packets received on a connection',
    value: (c) => c.reads,
  },
  {
    name: 'connection_outgoing_packets_total',
    type: 'counter',
    help: 'Total number of packets sent on a connection',
    value: (c) => c.writes,
  },
  {
    name: 'connection_pending_packets',
    type: 'gauge',
    help: 'Number of packets waiting to be sent on a connection',
    value: (c) => (c.sendPending > 0 ? 1 : 0),
  },
  {
    name: 'connection_channels',
    type: 'gauge',
    help: 'Channels on a connection',
    value: (c) => c.channelCount,
  },
];

function queues(b: Broker): { q: Queue; labels: Labels }[] {
  return [...b.vhosts.values()].flatMap((v) =>
    [...v.queues.values()].map((q) => ({ q, labels: { vhost: v.name, queue: q.name } })),
  );
}

function channels(b: Broker): { ch: ChannelInfo; labels: Labels }[] {
  return [...b.connections.values()].flatMap((c) =>
    [...c.channelInfos()].map((ch) => ({ ch, labels: { channel: channelName(c, ch) } })),
  );
}

function sum<T>(items: T[], f: (t: T) => number): number {
  let n = 0;
  for (const i of items) n += f(i);
  return n;
}

function objectMetrics(registry: Registry, node: NodeContext, perObject: boolean): void {
  const b = node.broker;
  for (const m of QUEUE_METRICS) {
    metric(registry, {
      ...m,
      ...(perObject && { labelNames: ['vhost', 'queue'] }),
      series: () => {
        const list = queues(b);
        return perObject
          ? list.map(({ q, labels }) => [labels, m.value(q)])
          : one(sum(list, ({ q }) => m.value(q)));
      },
    });
  }
  for (const m of CHANNEL_METRICS) {
    metric(registry, {
      ...m,
      ...(perObject && { labelNames: ['channel'] }),
      series: () => {
        const list = channels(b);
        return perObject
          ? list.map(({ ch, labels }) => [labels, m.value(ch)])
          : one(sum(list, ({ ch }) => m.value(ch)));
      },
    });
  }
  for (const m of CONNECTION_METRICS) {
    metric(registry, {
      ...m,
      ...(perObject && { labelNames: ['channel'] }),
      series: () => {
        const list = [...b.connections.values()];
        return perObject ? list.map((c) => [{ channel: c.name }, m.value(c)]) : one(sum(list, m.value));
      },
    });
  }
}

const AMQP = { protocol: 'amqp091' };
const CLASSIC = { protocol: 'amqp091', queue_type: 'rabbit_classic_queue' };

function nodeMetrics(registry: Registry, node: NodeContext): void {
  const b = node.broker;
  const allQueues = (): Queue[] => [...b.vhosts.values()].flatMap((v) => [...v.queues.values()]);
  const gauge = (name: string, help: string, value: () => number): void =>
    metric(registry, { name, help, type: 'gauge', series: () => one(value()) });
  const counter = (name: string, help: string, value: () => number): void =>
    metric(registry, { name, help, type: 'counter', series: () => one(value()) });

  gauge('connections', 'Connections currently open', () => b.connections.size);
  gauge('channels', 'Channels currently open', () => sum([...b.connections.values()], (c) => c.channelCount));
  gauge('consumers', 'Consumers currently connected', () => sum(allQueues(), (q) => q.consumerCount));
  gauge('queues', 'Queues available', () => allQueues().length);

  const churn = b.churn;
  counter('connections_opened_total', 'Total number of connections opened', () => churn.connectionCreated);
  counter(
    'connections_closed_total',
    'Total number of connections closed or terminated',
    () => churn.connectionClosed,
  );
  counter('channels_opened_total', 'Total number of channels opened', () => churn.channelCreated);
  counter('channels_closed_total', 'Total number of channels closed', () => churn.channelClosed);
  counter('queues_declared_total', 'Total number of queues declared', () => churn.queueDeclared);
  counter('queues_created_total', 'Total number of queues created', () => churn.queueCreated);
  counter('queues_deleted_total', 'Total number of queues deleted', () => churn.queueDeleted);

  // rabbit_global_counters: node-wide, closed channels included, so they only ever grow.
  const global = (
    name: string,
    help: string,
    labels: Labels,
    value: (s: ReturnType<typeof nodeMessageStats>) => number,
  ) =>
    metric(registry, {
      name: `global_${name}`,
      help,
      type: 'counter',
      labelNames: Object.keys(labels),
      series: () => [[labels, value(nodeMessageStats(b))]],
    });
  global(
    'messages_received_total',
    'Total number of messages received from publishers',
    AMQP,
    (s) => s.publish,
  );
  global(
    'messages_received_confirm_total',
    'Total number of messages received from publishers expecting confirmations',
    AMQP,
    (s) => s.receivedConfirm,
  );
  global(
    'messages_routed_total',
    'Total number of messages routed to queues or streams',
    AMQP,
    (s) => s.routed,
  );
  global(
    'messages_unroutable_dropped_total',
    'Total number of messages published as non-mandatory into an exchange and dropped as unroutable',
    AMQP,
    (s) => s.dropUnroutable,
  );
  global(
    'messages_unroutable_returned_total',
    'Total number of messages published as mandatory into an exchange and returned to the publisher as unroutable',
    AMQP,
    (s) => s.returnUnroutable,
  );
  global(
    'messages_confirmed_total',
    'Total number of messages confirmed to publishers',
    AMQP,
    (s) => s.confirm,
  );
  global(
    'messages_delivered_total',
    'Total number of messages delivered to consumers',
    CLASSIC,
    (s) => s.deliver + s.deliverNoAck + s.get + s.getNoAck,
  );
  global(
    'messages_delivered_consume_manual_ack_total',
    'Total number of messages delivered to consumers using basic.consume with manual acknowledgment',
    CLASSIC,
    (s) => s.deliver,
  );
  global(
    'messages_delivered_consume_auto_ack_total',
    'Total number of messages delivered to consumers using basic.consume with automatic acknowledgment',
    CLASSIC,
    (s) => s.deliverNoAck,
  );
  global(
    'messages_delivered_get_manual_ack_total',
    'Total number of messages delivered to consumers using basic.get with manual acknowledgment',
    CLASSIC,
    (s) => s.get,
  );
  global(
    'messages_delivered_get_auto_ack_total',
    'Total number of messages delivered to consumers using basic.get with automatic acknowledgment',
    CLASSIC,
    (s) => s.getNoAck,
  );
  global(
    'messages_get_empty_total',
    'Total number of times basic.get operations fetched no message',
    CLASSIC,
    (s) => s.getEmpty,
  );
  global(
    'messages_redelivered_total',
    'Total number of messages redelivered to consumers',
    CLASSIC,
    (s) => s.redeliver,
  );
  global(
    'messages_acknowledged_total',
    'Total number of messages acknowledged by consumers',
    CLASSIC,
    (s) => s.ack,
  );
  metric(registry, {
    name: 'global_publishers',
    help: 'Current number of publishers',
    type: 'gauge',
    labelNames: ['protocol'],
    series: () => [
      [
        AMQP,
        sum([...b.connections.values()], (c) =>
          sum([...c.channelInfos()], (ch) => (ch.stats.publish > 0 ? 1 : 0)),
        ),
      ],
    ],
  });
  metric(registry, {
    name: 'global_consumers',
    help: 'Current number of consumers',
    type: 'gauge',
    labelNames: ['protocol'],
    series: () => [[AMQP, sum(allQueues(), (q) => q.consumerCount)]],
  });

  const status = () => b.alarms.status();
  gauge('process_open_fds', 'Open file descriptors', () => openFds());
  gauge('process_open_tcp_sockets', 'Open TCP sockets', () => b.connections.size);
  gauge('process_resident_memory_bytes', 'Memory used in bytes', () => process.memoryUsage().rss);
  gauge('disk_space_available_bytes', 'Disk space available in bytes', () => status().diskFree ?? 0);
  gauge('process_max_fds', 'Open file descriptors limit', () => maxFds());
  gauge('resident_memory_limit_bytes', 'Memory high watermark in bytes', () => status().memLimit);
  gauge(
    'disk_space_available_limit_bytes',
    'Free disk space low watermark in bytes',
    () => status().diskFreeLimit,
  );
  gauge('alarms_memory_used_watermark', 'is 1 if VM memory watermark alarm is in effect', () =>
    status().alarms.includes('memory') ? 1 : 0,
  );
  gauge('alarms_free_disk_space_watermark', 'is 1 if free disk space watermark alarm is in effect', () =>
    status().alarms.includes('disk') ? 1 : 0,
  );
  gauge('alarms_file_descriptor_limit', 'is 1 if file descriptor limit alarm is in effect', () => 0);

  metric(registry, {
    name: 'build_info',
    help: 'RabbitMQ & Erlang/OTP version info',
    type: 'gauge',
    labelNames: [
      'rabbitmq_version',
      'prometheus_plugin_version',
      'prometheus_client_version',
      'erlang_version',
      'product_name',
      'product_version',
    ],
    series: () => [
      [
        {
          rabbitmq_version: VERSION,
          prometheus_plugin_version: VERSION,
          prometheus_client_version: 'prom-client',
          erlang_version: process.versions.node,
          product_name: 'Warren',
          product_version: VERSION,
        },
        1,
      ],
    ],
  });
  metric(registry, {
    name: 'identity_info',
    help: 'RabbitMQ node & cluster identity info',
    type: 'gauge',
    labelNames: ['rabbitmq_node', 'rabbitmq_cluster', 'rabbitmq_cluster_permanent_id'],
    series: () => [
      [
        {
          rabbitmq_node: b.clusterName,
          rabbitmq_cluster: b.clusterName,
          rabbitmq_cluster_permanent_id: `warren-${b.clusterName}`,
        },
        1,
      ],
    ],
  });
}

function openFds(): number {
  try {
    return readdirSync('/proc/self/fd').length;
  } catch {
    return 0;
  }
}

function maxFds(): number {
  try {
    const m = /^Max open files\s+(\d+)/m.exec(readFileSync('/proc/self/limits', 'utf8'));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

/** The two registries of one broker: /metrics (aggregated) and /metrics/per-object. */
export function brokerRegistries(node: NodeContext): { aggregated: Registry; perObject: Registry } {
  const aggregated = new Registry();
  const perObject = new Registry();
  nodeMetrics(aggregated, node);
  objectMetrics(aggregated, node, false);
  nodeMetrics(perObject, node);
  objectMetrics(perObject, node, true);
  return { aggregated, perObject };
}
