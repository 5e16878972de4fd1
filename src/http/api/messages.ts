/**
 * Messages through HTTP, as RabbitMQ's management API moves them: POST .../publish (body given as a
 * string or base64, properties in snake_case) and POST .../get (fetch, then ack or requeue or reject,
 * payload as a string when it is valid UTF-8 or as base64).
 */
import type { Broker, User } from '../../core/broker.js';
import { Message } from '../../core/message.js';
import { publishMessage } from '../../core/publish.js';
import type { Queue, QueueEntry } from '../../core/queue/queue.js';
import type { VHost } from '../../core/vhost.js';
import { tableToJson } from '../../definitions/field-json.js';
import type { BasicProperties } from '../../protocol/generated/methods.js';
import { validateExpiration } from '../../amqp/publish-checks.js';
import { ChannelAccess } from '../../auth/channel-access.js';
import { badRequest } from './errors.js';
import { toTable } from './schemas.js';
import type { Json } from './format.js';

export interface PublishBody {
  routing_key: string;
  properties: Record<string, unknown>;
  payload: string;
  payload_encoding: 'string' | 'base64';
}

const STRING_PROPS: [string, keyof BasicProperties][] = [
  ['content_type', 'contentType'],
  ['content_encoding', 'contentEncoding'],
  ['correlation_id', 'correlationId'],
  ['reply_to', 'replyTo'],
  ['expiration', 'expiration'],
  ['message_id', 'messageId'],
  ['type', 'type'],
  ['user_id', 'userId'],
  ['app_id', 'appId'],
  ['cluster_id', 'reserved'],
];

function basicProperties(p: Record<string, unknown>): BasicProperties {
  const out: BasicProperties = {};
  const o = out as Record<string, unknown>;
  for (const [json, key] of STRING_PROPS) {
    const v = p[json];
    if (v === undefined) continue;
    if (typeof v !== 'string') throw badRequest(`properties.${json} should be a string`);
    o[key] = v;
  }
  for (const [json, key, max] of [
    ['delivery_mode', 'deliveryMode', 255],
    ['priority', 'priority', 255],
    ['timestamp', 'timestamp', Number.MAX_SAFE_INTEGER],
  ] as const) {
    const v = p[json];
    if (v === undefined) continue;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > max) {
      throw badRequest(`properties.${json} should be an integer`);
    }
    o[key] = v;
  }
  const h = p['headers'];
  if (h !== undefined) {
    if (h === null || typeof h !== 'object' || Array.isArray(h))
      throw badRequest('properties.headers should be an object');
    out.headers = toTable(h as Record<string, unknown>);
  }
  return out;
}

/** POST /api/exchanges/v/e/publish: the AMQP publish checks, then the same routing; `routed` as RabbitMQ. */
export async function publishFromHttp(
  broker: Broker,
  user: User,
  vhost: VHost,
  exchangeName: string,
  b: PublishBody,
  maxMessageSize: number,
): Promise<{ routed: boolean }> {
  const access = new ChannelAccess(broker.access, user.name, vhost.name);
  const name = exchangeName === 'amq.default' ? '' : exchangeName;
  const grant = access.publish(name);
  const ex = vhost.exchange(name);
  if (ex.internal) throw badRequest(`cannot publish to internal exchange '${name}' in vhost '${vhost.name}'`);
  access.publishTopic(grant, ex, b.routing_key);
  const body =
    b.payload_encoding === 'base64' ? Buffer.from(b.payload, 'base64') : Buffer.from(b.payload, 'utf8');
  if (body.length > maxMessageSize) {
    throw badRequest(`message size ${body.length} is larger than configured max size ${maxMessageSize}`);
  }
  const props = basicProperties(b.properties);
  if (props.userId !== undefined && props.userId !== user.name && !user.tags.includes('impersonator')) {
    throw badRequest(`user_id property set to '${props.userId}' but authenticated user was '${user.name}'`);
  }
  if (props.expiration !== undefined) validateExpiration(props.expiration);
  const routed = publishMessage(vhost, ex, b.routing_key, Message.from(name, b.routing_key, props, body));
  // As a confirm would: answer once a persistent message is on disk.
  const store = broker.store;
  if (routed?.ref && store) await new Promise<void>((resolve) => store.whenSynced(resolve));
  return { routed: routed !== undefined };
}

export type AckMode =
  'ack_requeue_true' | 'ack_requeue_false' | 'reject_requeue_true' | 'reject_requeue_false';

export interface GetBody {
  count: number;
  ackmode: AckMode;
  encoding: 'auto' | 'base64';
  truncate?: number;
}

/** POST /api/queues/v/q/get: up to `count` messages, then each requeued, acked or rejected. */
export async function getFromHttp(q: Queue, b: GetBody): Promise<Json[]> {
  const out: Json[] = [];
  const taken: QueueEntry[] = [];
  try {
    for (let i = 0; i < b.count; i++) {
      if (!q.headReady()) await new Promise<void>((resolve) => q.whenHeadReady(resolve));
      if (q.deleted) break;
      const entry = q.get(false);
      const msg = entry?.msg;
      if (!entry || !msg) break;
      taken.push(entry);
      out.push(messageJson(msg, entry.redelivered, q.messageCount, b));
    }
  } finally {
    settle(q, taken, b.ackmode);
  }
  return out;
}

function settle(q: Queue, entries: QueueEntry[], mode: AckMode): void {
  if (entries.length === 0) return;
  if (mode === 'ack_requeue_true' || mode === 'reject_requeue_true') q.requeue(entries);
  else if (mode === 'ack_requeue_false') for (const e of entries) q.settle(e);
  else for (const e of entries) q.rejected(e);
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

function messageJson(msg: Message, redelivered: boolean, remaining: number, b: GetBody): Json {
  let body = msg.body;
  if (b.truncate !== undefined && body.length > b.truncate) body = body.subarray(0, b.truncate);
  let payload: string;
  let encoding = 'base64';
  if (b.encoding === 'auto') {
    try {
      payload = utf8.decode(body);
      encoding = 'string';
    } catch {
      payload = body.toString('base64');
    }
  } else payload = body.toString('base64');
  return {
    payload_bytes: msg.body.length,
    redelivered,
    exchange: msg.exchange,
    routing_key: msg.routingKey,
    message_count: remaining,
    properties: propertiesJson(msg.properties),
    payload,
    payload_encoding: encoding,
  };
}

/** Properties in snake_case; RabbitMQ writes `[]` (an empty Erlang list) when there are none. */
function propertiesJson(p: BasicProperties): Json | [] {
  const out: Json = {};
  for (const [json, key] of STRING_PROPS) if (p[key] !== undefined) out[json] = p[key];
  if (p.deliveryMode !== undefined) out['delivery_mode'] = p.deliveryMode;
  if (p.priority !== undefined) out['priority'] = p.priority;
  if (p.timestamp !== undefined) out['timestamp'] = p.timestamp;
  if (p.headers !== undefined) out['headers'] = tableToJson(p.headers);
  return Object.keys(out).length === 0 ? [] : out;
}
