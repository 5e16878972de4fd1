/**
 * The management API compatibility harness, shared by the recorder (test/fixtures/record-api-fields.ts,
 * run against the reference RabbitMQ) and the test (api-fields.test.ts, run against Warren and, when
 * it is reachable, the reference too): the same state is created on a broker over AMQP and HTTP, the
 * same endpoints are read, and the JSON field names of each answer are collected.
 *
 * Field names are dotted paths: `message_stats.publish_details.rate`; a list answer is reduced to the
 * item the state created (by name), arrays inside an item to their first element (`[]`).
 */
import amqp from 'amqplib';
import type { Channel, ChannelModel } from 'amqplib';

export interface Target {
  /** http://host:port, no trailing slash */
  http: string;
  amqp: string;
  user: string;
  password: string;
}

/** Names of what the state creates; unique per run so a shared reference is left as found. */
export interface StateNames {
  queue: string;
  exchange: string;
  user: string;
  vhost: string;
  policy: string;
  consumerTag: string;
  connectionName: string;
}

export function stateNames(suffix: string): StateNames {
  return {
    queue: `compat-q-${suffix}`,
    exchange: `compat-x-${suffix}`,
    user: `compat-u-${suffix}`,
    vhost: `compat-v-${suffix}`,
    policy: `compat-p-${suffix}`,
    consumerTag: `compat-c-${suffix}`,
    connectionName: `compat-conn-${suffix}`,
  };
}

export function basic(t: Target): string {
  return `Basic ${Buffer.from(`${t.user}:${t.password}`).toString('base64')}`;
}

export async function api(
  t: Target,
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; json: unknown }> {
  const res = await fetch(`${t.http}/api${path}`, {
    method,
    headers: {
      authorization: basic(t),
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  let json: unknown = undefined;
  try {
    json = text === '' ? undefined : JSON.parse(text);
  } catch {
    json = text;
  }
  return { status: res.status, json };
}

async function ok(t: Target, method: string, path: string, body?: unknown): Promise<unknown> {
  const r = await api(t, method, path, body);
  if (r.status >= 300) throw new Error(`${method} ${path}: ${r.status} ${JSON.stringify(r.json)}`);
  return r.json;
}

/** Live AMQP state, closed by `teardown`. */
export interface State {
  names: StateNames;
  connection: ChannelModel;
  channel: Channel;
}

/**
 * A vhost, a user with permissions, a policy, a durable exchange bound to a durable queue, a
 * connection with a consuming channel (prefetch 1, one message unacked) and two ready messages.
 */
export async function createState(t: Target, names: StateNames): Promise<State> {
  const v = encodeURIComponent(names.vhost);
  await ok(t, 'PUT', `/vhosts/${v}`, { description: 'compat', tags: 'a,b' });
  await ok(t, 'PUT', `/users/${names.user}`, { password: 'pw', tags: 'management' });
  await ok(t, 'PUT', `/permissions/${v}/${names.user}`, { configure: '.*', write: '.*', read: '.*' });
  await ok(t, 'PUT', `/permissions/${v}/${encodeURIComponent(t.user)}`, {
    configure: '.*',
    write: '.*',
    read: '.*',
  });
  await ok(t, 'PUT', `/topic-permissions/${v}/${names.user}`, {
    exchange: 'amq.topic',
    write: '.*',
    read: '.*',
  });
  await ok(t, 'PUT', `/policies/${v}/${names.policy}`, {
    pattern: '^compat-nothing',
    definition: { 'max-length': 10 },
    'apply-to': 'queues',
    priority: 1,
  });
  const url = new URL(t.amqp);
  url.pathname = `/${v}`;
  const connection = await amqp.connect(url.toString(), {
    clientProperties: { connection_name: names.connectionName },
  });
  const channel = await connection.createChannel();
  await channel.assertExchange(names.exchange, 'topic', { durable: true });
  await channel.assertQueue(names.queue, { durable: true, arguments: { 'x-max-priority': 3 } });
  await channel.bindQueue(names.queue, names.exchange, 'compat.#', { extra: 'yes' });
  for (let i = 0; i < 3; i++) channel.publish(names.exchange, 'compat.key', Buffer.from(`m${i}`));
  await channel.prefetch(1);
  // Wait until the messages are in the queue before consuming, so exactly one is unacked.
  for (let i = 0; i < 50; i++) {
    const q = (await api(t, 'GET', `/queues/${v}/${names.queue}`)).json as { messages?: number };
    if (q.messages === 3) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  await channel.consume(names.queue, () => undefined, { consumerTag: names.consumerTag });
  return { names, connection, channel };
}

export async function teardown(t: Target, s: State): Promise<void> {
  await s.connection.close().catch(() => undefined);
  const v = encodeURIComponent(s.names.vhost);
  await api(t, 'DELETE', `/users/${s.names.user}`);
  await api(t, 'DELETE', `/vhosts/${v}`);
}

/** One endpoint whose answer's field names are compared. */
export interface Endpoint {
  key: string;
  path: (n: StateNames, connection: string, channel: string) => string;
  /** for list answers: the item to take the fields of */
  pick?: (item: Record<string, unknown>, n: StateNames) => boolean;
}

const byName =
  (which: keyof StateNames) =>
  (item: Record<string, unknown>, n: StateNames): boolean =>
    item['name'] === n[which];

export const ENDPOINTS: Endpoint[] = [
  { key: 'overview', path: () => '/overview' },
  { key: 'whoami', path: () => '/whoami' },
  { key: 'nodes', path: () => '/nodes', pick: () => true },
  { key: 'connections', path: () => '/connections', pick: (i, n) => connectionNamed(i, n) },
  { key: 'connection', path: (_n, c) => `/connections/${encodeURIComponent(c)}` },
  {
    key: 'connection-channels',
    path: (_n, c) => `/connections/${encodeURIComponent(c)}/channels`,
    pick: () => true,
  },
  { key: 'channels', path: (n) => `/vhosts/${encodeURIComponent(n.vhost)}/channels`, pick: () => true },
  { key: 'channel', path: (_n, _c, ch) => `/channels/${encodeURIComponent(ch)}` },
  { key: 'consumers', path: (n) => `/consumers/${encodeURIComponent(n.vhost)}`, pick: () => true },
  { key: 'exchanges', path: (n) => `/exchanges/${encodeURIComponent(n.vhost)}`, pick: byName('exchange') },
  { key: 'exchange', path: (n) => `/exchanges/${encodeURIComponent(n.vhost)}/${n.exchange}` },
  {
    key: 'exchange-bindings-source',
    path: (n) => `/exchanges/${encodeURIComponent(n.vhost)}/${n.exchange}/bindings/source`,
    pick: () => true,
  },
  { key: 'queues', path: (n) => `/queues/${encodeURIComponent(n.vhost)}`, pick: byName('queue') },
  { key: 'queue', path: (n) => `/queues/${encodeURIComponent(n.vhost)}/${n.queue}` },
  {
    key: 'queue-bindings',
    path: (n) => `/queues/${encodeURIComponent(n.vhost)}/${n.queue}/bindings`,
    pick: (i) => i['source'] !== '',
  },
  {
    key: 'bindings',
    path: (n) => `/bindings/${encodeURIComponent(n.vhost)}`,
    pick: (i) => i['source'] !== '',
  },
  { key: 'vhosts', path: () => '/vhosts', pick: byName('vhost') },
  { key: 'vhost', path: (n) => `/vhosts/${encodeURIComponent(n.vhost)}` },
  {
    key: 'vhost-permissions',
    path: (n) => `/vhosts/${encodeURIComponent(n.vhost)}/permissions`,
    pick: () => true,
  },
  { key: 'users', path: () => '/users', pick: byName('user') },
  { key: 'user', path: (n) => `/users/${n.user}` },
  { key: 'permissions', path: () => '/permissions', pick: (i, n) => i['user'] === n.user },
  { key: 'topic-permissions', path: () => '/topic-permissions', pick: (i, n) => i['user'] === n.user },
  { key: 'policies', path: (n) => `/policies/${encodeURIComponent(n.vhost)}`, pick: byName('policy') },
  { key: 'policy', path: (n) => `/policies/${encodeURIComponent(n.vhost)}/${n.policy}` },
  { key: 'definitions', path: () => '/definitions' },
  { key: 'vhost-definitions', path: (n) => `/definitions/${encodeURIComponent(n.vhost)}` },
  { key: 'alarms', path: () => '/health/checks/alarms' },
  { key: 'aliveness-test', path: (n) => `/aliveness-test/${encodeURIComponent(n.vhost)}` },
  { key: 'queues-paged', path: (n) => `/queues/${encodeURIComponent(n.vhost)}?page=1&page_size=10` },
];

function connectionNamed(i: Record<string, unknown>, n: StateNames): boolean {
  const props = i['client_properties'] as Record<string, unknown> | undefined;
  return props?.['connection_name'] === n.connectionName;
}

/** Dotted field paths of a JSON value, objects to `depth` levels, arrays by their first element. */
export function fieldPaths(value: unknown, depth = 3, prefix = ''): string[] {
  if (depth === 0 || value === null || typeof value !== 'object') return [];
  if (Array.isArray(value)) {
    return value.length === 0 ? [] : fieldPaths(value[0], depth, `${prefix}[]`);
  }
  const out: string[] = [];
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    const p = prefix === '' ? k : `${prefix}.${k}`;
    out.push(p);
    // Free-form maps: their keys are data, not field names.
    if (FREE_FORM.has(k)) continue;
    out.push(...fieldPaths(v, depth - 1, p));
  }
  return out.sort();
}

const FREE_FORM = new Set([
  'arguments',
  'client_properties',
  'definition',
  'cluster_state',
  'capabilities',
  'exchange_types',
  'contexts',
  'socket_opts',
  'sample_retention_policies',
  'metadata',
  'limits',
  'applications',
  'auth_mechanisms',
  'config_files',
  'log_files',
  'enabled_plugins',
  'memory',
  'exchange_details',
  'queue_details',
  'global_parameters',
  'parameters',
  'backing_queue_status',
  'garbage_collection',
  'effective_policy_definition',
  'gc_queue_length',
  'state',
]);

/** The field paths of every endpoint on a target with the state in place. */
export async function collectFields(t: Target, s: State): Promise<Record<string, string[]>> {
  const n = s.names;
  const conns = (await ok(t, 'GET', '/connections')) as Record<string, unknown>[];
  const conn = conns.find((c) => connectionNamed(c, n));
  if (!conn) throw new Error('the state connection is not listed');
  const connName = conn['name'] as string;
  const chans = (await ok(t, 'GET', `/connections/${encodeURIComponent(connName)}/channels`)) as Record<
    string,
    unknown
  >[];
  const chanName = chans[0]?.['name'] as string;
  const out: Record<string, string[]> = {};
  for (const e of ENDPOINTS) {
    const json = await ok(t, 'GET', e.path(n, connName, chanName));
    let value: unknown = json;
    if (e.pick && Array.isArray(json)) {
      value = (json as Record<string, unknown>[]).find((i) => e.pick?.(i, n));
      if (value === undefined)
        throw new Error(`${e.key}: no item picked from ${JSON.stringify(json).slice(0, 300)}`);
    }
    out[e.key] = [...new Set(fieldPaths(value))];
  }
  return out;
}
