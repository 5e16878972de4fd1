/**
 * Broker objects as RabbitMQ's management API writes them: the same field names, the same nesting
 * (`message_stats.publish_details.rate`, `connection_details`, `channel_details`), the same types.
 * Fields that only make sense for Erlang (reductions, garbage_collection, backing_queue_status) are
 * left out; docs/management-api.md lists them.
 */
import type { Broker, ChannelInfo, ConnectionInfo } from '../../core/broker.js';
import type { Consumer } from '../../core/consumer.js';
import type { Exchange } from '../../core/exchange/exchange.js';
import { DelayedExchange } from '../../core/exchange/delayed.js';
import type { Queue } from '../../core/queue/queue.js';
import type { VHost } from '../../core/vhost.js';
import type { Destination } from '../../core/binding.js';
import type { FieldTable } from '../../protocol/field-types.js';
import { tableToJson } from '../../definitions/field-json.js';
import type { ChannelCounters, QueueCounters } from '../../stats/counters.js';
import { connectionTraffic } from '../../stats/sampler.js';
import { queueTotals, vhostMessageStats, vhostTraffic } from '../../stats/totals.js';
import type { NodeContext } from '../context.js';

export type Json = Record<string, unknown>;
type Rates = Readonly<Record<string, number>>;

const details = (rate: number | undefined): { rate: number } => ({ rate: rate ?? 0 });

/** A counter and its `_details` under a snake_case name. */
function put(out: Json, name: string, value: number, rate: number | undefined): void {
  out[name] = value;
  out[`${name}_details`] = details(rate);
}

const CHANNEL_STATS: [keyof ChannelCounters, string][] = [
  ['publish', 'publish'],
  ['confirm', 'confirm'],
  ['returnUnroutable', 'return_unroutable'],
  ['dropUnroutable', 'drop_unroutable'],
  ['get', 'get'],
  ['getNoAck', 'get_no_ack'],
  ['deliver', 'deliver'],
  ['deliverNoAck', 'deliver_no_ack'],
  ['redeliver', 'redeliver'],
  ['ack', 'ack'],
  ['getEmpty', 'get_empty'],
];

const QUEUE_STATS: [keyof QueueCounters, string][] = [
  ['publish', 'publish'],
  ['get', 'get'],
  ['getNoAck', 'get_no_ack'],
  ['deliver', 'deliver'],
  ['deliverNoAck', 'deliver_no_ack'],
  ['redeliver', 'redeliver'],
  ['ack', 'ack'],
  ['getEmpty', 'get_empty'],
];

const DELIVER_GET = ['deliver', 'deliverNoAck', 'get', 'getNoAck'] as const;

/** message_stats of a channel (or a vhost's or the node's channels): RabbitMQ's fields and rates. */
export function channelMessageStats(c: ChannelCounters, rates: Rates): Json {
  return messageStats(c as unknown as Record<string, number>, rates, CHANNEL_STATS);
}

export function queueMessageStats(c: QueueCounters, rates: Rates): Json {
  return messageStats(c as unknown as Record<string, number>, rates, QUEUE_STATS);
}

function messageStats(c: Record<string, number>, rates: Rates, fields: [string, string][]): Json {
  const out: Json = {};
  for (const [k, name] of fields) put(out, name, c[k] ?? 0, rates[k]);
  let total = 0;
  let rate = 0;
  for (const k of DELIVER_GET) {
    total += c[k] ?? 0;
    rate += rates[k] ?? 0;
  }
  put(out, 'deliver_get', total, Math.round(rate * 10) / 10);
  return out;
}

export function exchangeMessageStats(e: Exchange, rates: Rates): Json {
  const out: Json = {};
  put(out, 'publish_in', e.stats.publishIn, rates['publishIn']);
  put(out, 'publish_out', e.stats.publishOut, rates['publishOut']);
  return out;
}

/** RabbitMQ's timestamp format for idle_since: 2024-01-31T12:00:00.000+00:00 */
function timestamp(ms: number): string {
  return new Date(ms).toISOString().replace('Z', '+00:00');
}

function args(t: FieldTable): Json {
  return tableToJson(t);
}

// ---------- exchanges, queues, bindings ----------

export function exchangeJson(node: NodeContext, e: Exchange): Json {
  return {
    arguments: args(e.arguments),
    auto_delete: e.autoDelete,
    durable: e.durable,
    internal: e.internal,
    message_stats: exchangeMessageStats(e, node.stats.rates(e)),
    name: e.name,
    type: e instanceof DelayedExchange ? 'x-delayed-message' : e.type,
    user_who_performed_action: 'rmq-internal',
    vhost: e.vhost,
    ...(e.policy ? { policy: e.policy.name } : {}),
  };
}

export function queueJson(node: NodeContext, q: Queue, withConsumers = false): Json {
  const r = node.stats.rates(q);
  const ready = q.messageCount;
  const unacked = q.unackedCount;
  const paged = q.pagedCount;
  const pagedBytes = q.pagedBytes;
  const consumers = q.consumers;
  const exclusiveConsumer = consumers.find((c) => c.exclusive);
  const active = q.settings.singleActiveConsumer ? q.activeConsumer : undefined;
  const out: Json = {
    arguments: args(q.arguments),
    auto_delete: q.autoDelete,
    consumer_capacity: consumers.length > 0 ? 1 : 0,
    consumer_utilisation: consumers.length > 0 ? 1 : 0,
    consumers: consumers.length,
    durable: q.durable,
    effective_policy_definition: q.policy
      ? { ...(node.broker.vhosts.get(q.vhost)?.policy(q.policy)?.definition ?? {}) }
      : {},
    exclusive: q.exclusiveOwner !== null,
    exclusive_consumer_tag: exclusiveConsumer?.tag ?? null,
    head_message_timestamp: null,
    idle_since: timestamp(q.lastUsedAt),
    memory: q.messageBytes - pagedBytes,
    message_bytes: q.messageBytes + q.unackedBytes,
    message_bytes_paged_out: pagedBytes,
    message_bytes_ram: q.messageBytes - pagedBytes + q.unackedBytes,
    message_bytes_ready: q.messageBytes,
    message_bytes_unacknowledged: q.unackedBytes,
    message_stats: queueMessageStats(q.stats, r),
    messages: ready + unacked,
    messages_details: details(r['messages']),
    messages_paged_out: paged,
    messages_ram: ready - paged + unacked,
    messages_ready: ready,
    messages_ready_details: details(r['messagesReady']),
    messages_ready_ram: ready - paged,
    messages_unacknowledged: unacked,
    messages_unacknowledged_details: details(r['messagesUnacknowledged']),
    messages_unacknowledged_ram: unacked,
    name: q.name,
    node: node.broker.clusterName,
    operator_policy: null,
    policy: q.policy ?? null,
    recoverable_slaves: null,
    single_active_consumer_tag: active?.tag ?? null,
    state: 'running',
    type: 'classic',
    vhost: q.vhost,
  };
  if (withConsumers) out['consumer_details'] = consumers.map((c) => consumerJson(node, q, c));
  return out;
}

export interface BindingView {
  vhost: string;
  source: string;
  destination: Destination;
  routingKey: string;
  arguments: FieldTable;
}

/**
 * properties_key, RabbitMQ's name for a binding in URLs: the routing key (`~` for an empty one)
 * when there are no arguments, else the key, `~` and a hash of the arguments.
 */
export function propertiesKey(routingKey: string, a: FieldTable): string {
  const key = routingKey === '' ? '~' : encodeKey(routingKey);
  if (Object.keys(a).length === 0) return key;
  return `${key}~${argsHash(a)}`;
}

/** The key quoted for a path segment; `~` too, since it separates the key from the arguments' hash. */
function encodeKey(k: string): string {
  return encodeURIComponent(k).replace(/~/g, '%7E');
}

/** A short, stable digest of the arguments (RabbitMQ uses an Erlang term hash; any stable one works). */
function argsHash(a: FieldTable): string {
  const text = JSON.stringify(sortKeys(tableToJson(a)));
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return Buffer.from(h.toString(16).padStart(8, '0'), 'hex').toString('base64url');
}

function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v === null || typeof v !== 'object') return v;
  return Object.fromEntries(
    Object.keys(v as Json)
      .sort()
      .map((k) => [k, sortKeys((v as Json)[k])]),
  );
}

export function bindingJson(b: BindingView): Json {
  return {
    source: b.source,
    vhost: b.vhost,
    destination: b.destination.name,
    destination_type: b.destination.destinationKind,
    routing_key: b.routingKey,
    arguments: args(b.arguments),
    properties_key: propertiesKey(b.routingKey, b.arguments),
  };
}

/** Every binding of a vhost, the default exchange's implicit ones first (RabbitMQ's order). */
export function vhostBindings(v: VHost): BindingView[] {
  return [...v.allBindings()].map((b) => ({ vhost: v.name, ...b }));
}

// ---------- connections, channels, consumers ----------

export function connectionJson(node: NodeContext, c: ConnectionInfo): Json {
  const r = node.stats.rates(c);
  const t = connectionTraffic(c);
  const tls = c.tls;
  const props = args(c.clientProperties as FieldTable);
  const provided = props['connection_name'];
  return {
    auth_mechanism: c.mechanismName,
    channel_max: c.channelMax,
    channels: c.channelCount,
    client_properties: props,
    connected_at: c.connectedAt,
    frame_max: c.frameMax,
    host: c.localHost,
    name: c.name,
    node: node.broker.clusterName,
    peer_cert_issuer: tls?.peerCertIssuer ?? '',
    peer_cert_subject: tls?.peerCertSubject ?? '',
    peer_cert_validity: tls?.peerCertValidity ?? '',
    peer_host: c.peerHost,
    peer_port: c.peerPort,
    port: c.localPort,
    protocol: 'AMQP 0-9-1',
    recv_cnt: t['recvCnt'],
    recv_oct: t['recvOct'],
    recv_oct_details: details(r['recvOct']),
    send_cnt: t['sendCnt'],
    send_oct: t['sendOct'],
    send_oct_details: details(r['sendOct']),
    send_pend: c.sendPending,
    ssl: tls !== undefined,
    ssl_cipher: tls?.cipher ?? '',
    ssl_hash: tls?.hash ?? '',
    ssl_key_exchange: tls?.keyExchange ?? '',
    ssl_protocol: tls?.protocol ?? '',
    state: c.blockState ?? 'running',
    timeout: c.heartbeat,
    type: 'network',
    user: c.userName,
    ...(typeof provided === 'string' ? { user_provided_name: provided } : {}),
    user_who_performed_action: c.userName,
    vhost: c.vhostName,
  };
}

export function channelName(c: ConnectionInfo, ch: { id: number }): string {
  return `${c.name} (${ch.id})`;
}

export function channelJson(
  node: NodeContext,
  c: ConnectionInfo,
  ch: ChannelInfo,
  withDetails = false,
): Json {
  const out: Json = {
    acks_uncommitted: 0,
    confirm: ch.confirmMode,
    connection_details: { name: c.name, peer_host: c.peerHost, peer_port: c.peerPort },
    consumer_count: ch.consumerCount,
    global_prefetch_count: ch.globalPrefetch,
    message_stats: channelMessageStats(ch.stats, node.stats.rates(ch)),
    messages_unacknowledged: ch.unackedCount,
    messages_uncommitted: 0,
    messages_unconfirmed: ch.unconfirmedCount,
    name: channelName(c, ch),
    node: node.broker.clusterName,
    number: ch.id,
    pending_raft_commands: 0,
    prefetch_count: ch.consumerPrefetch,
    state: ch.closing ? 'closing' : 'running',
    transactional: ch.txMode,
    user: c.userName,
    user_who_performed_action: c.userName,
    vhost: c.vhostName,
  };
  if (withDetails) {
    const consumers: Json[] = [];
    const v = node.broker.vhosts.get(c.vhostName);
    for (const q of v?.queues.values() ?? []) {
      for (const cons of q.consumers) {
        if (cons.ownerId === c.id && cons.channelNumber === ch.id)
          consumers.push(consumerJson(node, q, cons));
      }
    }
    out['consumer_details'] = consumers;
  }
  return out;
}

export function consumerJson(node: NodeContext, q: Queue, c: Consumer): Json {
  const conn = node.broker.connections.get(c.ownerId);
  const single = q.settings.singleActiveConsumer;
  const active = !single || q.activeConsumer === c;
  return {
    arguments: c.arguments,
    ack_required: !c.noAck,
    active,
    activity_status: single ? (active ? 'single_active' : 'waiting') : 'up',
    channel_details: conn
      ? {
          connection_name: conn.name,
          name: channelName(conn, { id: c.channelNumber }),
          node: node.broker.clusterName,
          number: c.channelNumber,
          peer_host: conn.peerHost,
          peer_port: conn.peerPort,
          user: conn.userName,
        }
      : {},
    consumer_tag: c.tag,
    exclusive: c.exclusive,
    prefetch_count: c.prefetch,
    queue: { name: q.name, vhost: q.vhost },
  };
}

// ---------- vhosts ----------

export function vhostJson(node: NodeContext, v: VHost): Json {
  const b: Broker = node.broker;
  const r = node.stats.rates(v);
  const t = queueTotals([v]);
  const traffic = vhostTraffic(b, v.name);
  return {
    name: v.name,
    description: v.metadata.description,
    tags: v.metadata.tags,
    default_queue_type: v.metadata.defaultQueueType ?? 'undefined',
    metadata: {
      description: v.metadata.description,
      tags: v.metadata.tags,
      ...(v.metadata.defaultQueueType ? { default_queue_type: v.metadata.defaultQueueType } : {}),
    },
    tracing: false,
    cluster_state: { [b.clusterName]: 'running' },
    send_oct: traffic.sendOct,
    send_oct_details: details(r['sendOct']),
    recv_oct: traffic.recvOct,
    recv_oct_details: details(r['recvOct']),
    messages_ready: t.messagesReady,
    messages_ready_details: details(r['messagesReady']),
    messages_unacknowledged: t.messagesUnacknowledged,
    messages_unacknowledged_details: details(r['messagesUnacknowledged']),
    messages: t.messages,
    messages_details: details(r['messages']),
    message_stats: channelMessageStats(vhostMessageStats(b, v), r),
  };
}
