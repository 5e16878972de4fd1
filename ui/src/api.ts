/**
 * The management HTTP API (RabbitMQ's paths and JSON shapes), called with HTTP basic credentials kept
 * in sessionStorage as RabbitMQ's own UI does.
 */

const AUTH_KEY = 'warren.auth';

export interface Session {
  user: string;
  tags: string[];
  /** base64 user:password for the Authorization header */
  token: string;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

let session: Session | undefined = loadSession();
let onUnauthorized: () => void = () => {};

function loadSession(): Session | undefined {
  try {
    const raw = sessionStorage.getItem(AUTH_KEY);
    if (!raw) return undefined;
    const s = JSON.parse(raw) as Session;
    return typeof s.token === 'string' && typeof s.user === 'string' ? s : undefined;
  } catch {
    return undefined;
  }
}

export function currentSession(): Session | undefined {
  return session;
}

export function setUnauthorizedHandler(fn: () => void): void {
  onUnauthorized = fn;
}

function basicToken(user: string, password: string): string {
  const bytes = new TextEncoder().encode(`${user}:${password}`);
  let bin = '';
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin);
}

/** RabbitMQ's whoami gives tags as an array (3.9+) or a comma-separated string (older). */
export function parseTags(tags: unknown): string[] {
  if (Array.isArray(tags)) return tags.map(String).filter((t) => t !== '');
  if (typeof tags === 'string')
    return tags
      .split(',')
      .map((t) => t.trim())
      .filter((t) => t !== '');
  return [];
}

export async function login(user: string, password: string): Promise<Session> {
  const token = basicToken(user, password);
  const who = await request<{ name: string; tags: unknown }>('GET', '/whoami', undefined, token, false);
  const s: Session = { user: who.name, tags: parseTags(who.tags), token };
  session = s;
  sessionStorage.setItem(AUTH_KEY, JSON.stringify(s));
  return s;
}

export function logout(): void {
  session = undefined;
  sessionStorage.removeItem(AUTH_KEY);
}

export function isAdmin(s: Session | undefined): boolean {
  return !!s && s.tags.includes('administrator');
}

export function canSeePolicies(s: Session | undefined): boolean {
  return !!s && (s.tags.includes('administrator') || s.tags.includes('policymaker'));
}

/** Path segment: '/' → %2F, and names with any character in them. */
export const enc = (s: string): string => encodeURIComponent(s);

/** The default exchange is addressed as amq.default in URLs. */
export const exchangeSegment = (name: string): string => enc(name === '' ? 'amq.default' : name);

async function request<T>(
  method: string,
  path: string,
  body: unknown,
  token: string | undefined,
  reportUnauthorized: boolean,
  headers: Record<string, string> = {},
): Promise<T> {
  const init: RequestInit = {
    method,
    credentials: 'omit',
    headers: {
      ...(token ? { authorization: `Basic ${token}` } : {}),
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      ...headers,
    },
  };
  if (body !== undefined) init.body = JSON.stringify(body);
  let res: Response;
  try {
    res = await fetch(`api${path}`, init);
  } catch (e) {
    throw new ApiError(0, `cannot reach the broker: ${(e as Error).message}`);
  }
  const text = await res.text();
  let data: unknown = undefined;
  if (text !== '') {
    try {
      data = JSON.parse(text);
    } catch {
      data = text;
    }
  }
  if (!res.ok) {
    const d = data as { reason?: unknown; error?: unknown } | string | undefined;
    let reason: string;
    if (d && typeof d === 'object') reason = String(d.reason ?? d.error ?? res.statusText);
    else reason = typeof d === 'string' && d !== '' ? d : `${res.status} ${res.statusText}`;
    if (res.status === 401 && reportUnauthorized) onUnauthorized();
    throw new ApiError(res.status, reason);
  }
  return data as T;
}

function call<T>(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<T> {
  return request<T>(method, path, body, session?.token, true, headers);
}

export const api = {
  get: <T>(path: string) => call<T>('GET', path),
  put: (path: string, body: unknown) => call<unknown>('PUT', path, body),
  post: <T = unknown>(path: string, body: unknown) => call<T>('POST', path, body),
  del: (path: string, headers?: Record<string, string>) => call<unknown>('DELETE', path, undefined, headers),
};

// --- Shapes (the fields the UI reads; everything optional that a broker may leave out) ---

export interface Rate {
  rate?: number;
}

export interface MessageStats {
  publish?: number;
  publish_details?: Rate;
  publish_in_details?: Rate;
  publish_out_details?: Rate;
  confirm_details?: Rate;
  deliver_get?: number;
  deliver_get_details?: Rate;
  deliver_details?: Rate;
  deliver_no_ack_details?: Rate;
  get_details?: Rate;
  get_no_ack_details?: Rate;
  get_empty_details?: Rate;
  redeliver_details?: Rate;
  ack_details?: Rate;
  return_unroutable_details?: Rate;
  drop_unroutable_details?: Rate;
}

export interface QueueTotals {
  messages?: number;
  messages_ready?: number;
  messages_unacknowledged?: number;
}

export interface Overview {
  management_version?: string;
  rabbitmq_version?: string;
  product_name?: string;
  product_version?: string;
  cluster_name?: string;
  node?: string;
  message_stats?: MessageStats;
  queue_totals?: QueueTotals;
  object_totals?: {
    connections?: number;
    channels?: number;
    exchanges?: number;
    queues?: number;
    consumers?: number;
  };
  listeners?: { protocol: string; ip_address: string; port: number }[];
  exchange_types?: { name: string }[];
}

export interface NodeInfo {
  name: string;
  running?: boolean;
  type?: string;
  uptime?: number;
  mem_used?: number;
  mem_limit?: number;
  mem_alarm?: boolean;
  disk_free?: number;
  disk_free_limit?: number;
  disk_free_alarm?: boolean;
  fd_used?: number;
  fd_total?: number;
  sockets_used?: number;
  sockets_total?: number;
  proc_used?: number;
  proc_total?: number;
}

export interface Queue {
  name: string;
  vhost: string;
  type?: string;
  durable?: boolean;
  auto_delete?: boolean;
  exclusive?: boolean;
  arguments?: Record<string, unknown>;
  policy?: string | null;
  effective_policy_definition?: Record<string, unknown> | null;
  state?: string;
  consumers?: number;
  consumer_utilisation?: number | null;
  consumer_capacity?: number | null;
  messages?: number;
  messages_ready?: number;
  messages_unacknowledged?: number;
  message_bytes?: number;
  memory?: number;
  idle_since?: string;
  message_stats?: MessageStats;
  consumer_details?: ConsumerDetail[];
  exclusive_consumer_tag?: string | null;
  single_active_consumer_tag?: string | null;
}

export interface ConsumerDetail {
  consumer_tag: string;
  ack_required?: boolean;
  exclusive?: boolean;
  prefetch_count?: number;
  active?: boolean;
  activity_status?: string;
  arguments?: Record<string, unknown>;
  queue?: { name: string; vhost: string };
  channel_details?: { name?: string; connection_name?: string; peer_host?: string; peer_port?: number };
}

export interface Exchange {
  name: string;
  vhost: string;
  type: string;
  durable?: boolean;
  auto_delete?: boolean;
  internal?: boolean;
  arguments?: Record<string, unknown>;
  policy?: string | null;
  message_stats?: MessageStats;
}

export interface Binding {
  source: string;
  vhost: string;
  destination: string;
  destination_type: 'queue' | 'exchange';
  routing_key: string;
  arguments?: Record<string, unknown>;
  properties_key?: string;
}

export interface Connection {
  name: string;
  vhost?: string;
  user?: string;
  state?: string;
  ssl?: boolean;
  protocol?: string;
  auth_mechanism?: string;
  channels?: number;
  channel_max?: number;
  frame_max?: number;
  timeout?: number;
  host?: string;
  port?: number;
  peer_host?: string;
  peer_port?: number;
  connected_at?: number;
  client_properties?: Record<string, unknown>;
  recv_oct?: number;
  send_oct?: number;
  recv_oct_details?: Rate;
  send_oct_details?: Rate;
  type?: string;
}

export interface Channel {
  name: string;
  number?: number;
  vhost?: string;
  user?: string;
  state?: string;
  confirm?: boolean;
  transactional?: boolean;
  consumer_count?: number;
  messages_unacknowledged?: number;
  messages_unconfirmed?: number;
  messages_uncommitted?: number;
  acks_uncommitted?: number;
  prefetch_count?: number;
  global_prefetch_count?: number;
  connection_details?: { name?: string; peer_host?: string; peer_port?: number };
  message_stats?: MessageStats;
}

export interface User {
  name: string;
  tags?: unknown;
  password_hash?: string;
  hashing_algorithm?: string;
  limits?: Record<string, number>;
}

export interface Vhost {
  name: string;
  description?: string;
  tags?: unknown;
  default_queue_type?: string;
  tracing?: boolean;
  messages?: number;
  messages_ready?: number;
  messages_unacknowledged?: number;
  message_stats?: MessageStats;
  recv_oct_details?: Rate;
  send_oct_details?: Rate;
}

export interface Permission {
  user: string;
  vhost: string;
  configure: string;
  write: string;
  read: string;
}

export interface TopicPermission {
  user: string;
  vhost: string;
  exchange: string;
  write: string;
  read: string;
}

export interface Policy {
  vhost: string;
  name: string;
  pattern: string;
  'apply-to': string;
  definition: Record<string, unknown>;
  priority: number;
}

export interface GotMessage {
  payload: string;
  payload_bytes?: number;
  payload_encoding: string;
  redelivered?: boolean;
  exchange?: string;
  routing_key?: string;
  message_count?: number;
  properties?: Record<string, unknown>;
}

/** A page of a list, as RabbitMQ answers ?pagination=true. */
export interface Paged<T> {
  items: T[];
  page: number;
  page_count: number;
  page_size: number;
  filtered_count: number;
  item_count: number;
  total_count: number;
}
