/**
 * Plumbing for the management API tests: a real HTTP client (fetch) against a Warren started on
 * port 0, whose management and Prometheus listeners then take free ports too.
 */
import { Warren, type WarrenOptions } from '../../src/index.js';

export interface Reply {
  status: number;
  headers: Headers;
  text: string;
  /** the body parsed as JSON; undefined when empty or not JSON */
  json: unknown;
}

export interface Call {
  user?: string;
  password?: string;
  /** an object is sent as JSON; a string as is */
  body?: unknown;
  headers?: Record<string, string>;
  /** no Authorization header at all */
  anonymous?: boolean;
}

export async function startWarren(options: Partial<WarrenOptions> = {}): Promise<Warren> {
  return Warren.start({ host: '127.0.0.1', port: 0, logLevel: 'silent', ...options });
}

export function basicAuth(user: string, password: string): string {
  return `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
}

/** `path` is under /api (give it with its leading slash). */
export async function api(w: Warren, method: string, path: string, c: Call = {}): Promise<Reply> {
  const headers: Record<string, string> = { ...c.headers };
  if (!c.anonymous) headers['authorization'] = basicAuth(c.user ?? 'guest', c.password ?? 'guest');
  let body: string | undefined;
  if (c.body !== undefined) {
    body = typeof c.body === 'string' ? c.body : JSON.stringify(c.body);
    headers['content-type'] ??= 'application/json';
  }
  const res = await fetch(`${w.managementUrl}/api${path}`, {
    method,
    headers,
    ...(body !== undefined && { body }),
  });
  const text = await res.text();
  let json: unknown;
  try {
    json = text === '' ? undefined : JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, text, json };
}

/** GET that must answer 200; returns the parsed body. */
export async function get<T = Record<string, unknown>>(w: Warren, path: string, c: Call = {}): Promise<T> {
  const r = await api(w, 'GET', path, c);
  if (r.status !== 200) throw new Error(`GET ${path}: ${r.status} ${r.text}`);
  return r.json as T;
}

export type Obj = Record<string, unknown>;
export const enc = encodeURIComponent;
