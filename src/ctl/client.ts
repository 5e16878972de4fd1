/**
 * The one way warrenctl talks to a broker: RabbitMQ's management HTTP API with basic auth. Transport
 * failures and the statuses every verb treats alike (401, 403) become CtlErrors with operator-facing text
 * here; other 4xx/5xx come back as ApiError for the verb to word (only it knows what "404" was about).
 */
import { ApiError, CtlError, EXIT } from './errors.js';

export interface ClientOptions {
  /** management base URL, e.g. http://localhost:15672 (a path prefix is kept: http://h/rabbit → /rabbit/api) */
  url: string;
  username: string;
  password: string;
  /** per-request bound */
  timeoutMs: number;
}

/** `/api/queues/%2F/q` from ['queues', '/', 'q']: every segment is encoded, `/` included. */
export function apiPath(...segments: string[]): string {
  return '/' + segments.map((s) => encodeURIComponent(s)).join('/');
}

const ENTITIES: Record<string, string> = {
  '&lt;': '<',
  '&gt;': '>',
  '&amp;': '&',
  '&quot;': '"',
  '&#39;': "'",
};

/** RabbitMQ HTML-escapes its error reasons; a terminal wants them plain. */
function unescape(s: string): string {
  return s.replace(/&(lt|gt|amp|quot|#39);/g, (m) => ENTITIES[m] ?? m);
}

/** fetch fails with TypeError('fetch failed'); the socket's code (ECONNREFUSED, ...) is in its causes. */
function networkCause(err: unknown): { code?: string; message: string } {
  let e: unknown = err;
  let message = (err as Error).message;
  for (let i = 0; i < 4 && e && typeof e === 'object'; i++) {
    const o = e as { code?: unknown; cause?: unknown; errors?: unknown[]; message?: unknown };
    if (typeof o.message === 'string' && o.message) message = o.message;
    if (typeof o.code === 'string') return { code: o.code, message };
    e = o.cause ?? o.errors?.[0];
  }
  return { message };
}

const NETWORK_TEXT: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset',
  ENOTFOUND: 'host not found',
  EAI_AGAIN: 'host name lookup failed',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  ETIMEDOUT: 'connection timed out',
};

export class ApiClient {
  readonly baseUrl: string;
  readonly username: string;
  private readonly auth: string;

  constructor(private readonly options: ClientOptions) {
    const u = new URL(options.url);
    // fetch refuses URLs with credentials; they are only defaults for --username/--password anyway.
    u.username = '';
    u.password = '';
    this.baseUrl = u.origin + u.pathname.replace(/\/+$/, '');
    this.username = options.username;
    this.auth = 'Basic ' + Buffer.from(`${options.username}:${options.password}`).toString('base64');
  }

  get<T>(path: string): Promise<T> {
    return this.request('GET', path) as Promise<T>;
  }

  put(path: string, body: unknown): Promise<unknown> {
    return this.request('PUT', path, body);
  }

  post(path: string, body: unknown): Promise<unknown> {
    return this.request('POST', path, body);
  }

  delete(path: string, headers: Record<string, string> = {}): Promise<unknown> {
    return this.request('DELETE', path, undefined, headers);
  }

  /** `path` starts after /api, e.g. `/overview`. Resolves with the parsed JSON body, or undefined for none. */
  async request(
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<unknown> {
    const url = `${this.baseUrl}/api${path}`;
    let res: Response;
    try {
      res = await fetch(url, {
        method,
        headers: {
          // No Accept header: RabbitMQ answers 406 to one on resources without a body (queue contents).
          authorization: this.auth,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          ...headers,
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal: AbortSignal.timeout(this.options.timeoutMs),
        redirect: 'error',
      });
    } catch (err) {
      throw this.transportError(err);
    }
    const text = await res.text().catch(() => '');
    if (res.ok) return text === '' ? undefined : parseJson(text, url);
    if (res.status === 401)
      throw new CtlError(
        `the broker at ${this.baseUrl} refused the credentials of user '${this.username}' (HTTP 401)`,
        EXIT.NO_PERM,
      );
    const reason = reasonOf(text);
    if (res.status === 403)
      throw new CtlError(
        `user '${this.username}' is not allowed to do this (HTTP 403${reason ? `: ${reason}` : ''})`,
        EXIT.NO_PERM,
      );
    throw new ApiError(res.status, reason, method, path);
  }

  private transportError(err: unknown): CtlError {
    const name = (err as { name?: string } | null)?.name;
    if (name === 'TimeoutError' || name === 'AbortError')
      return new CtlError(
        `the broker at ${this.baseUrl} did not answer within ${this.options.timeoutMs / 1000} seconds`,
        EXIT.TEMP_FAIL,
      );
    const { code, message } = networkCause(err);
    const what = (code && NETWORK_TEXT[code]) ?? code ?? message;
    return new CtlError(`could not reach the broker at ${this.baseUrl}: ${what}`, EXIT.UNAVAILABLE);
  }
}

function parseJson(text: string, url: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new CtlError(`${url} did not answer with JSON: ${text.slice(0, 200)}`, EXIT.SOFTWARE);
  }
}

function reasonOf(text: string): string {
  try {
    const o = JSON.parse(text) as { reason?: unknown; error?: unknown };
    const r = typeof o.reason === 'string' ? o.reason : typeof o.error === 'string' ? o.error : '';
    return unescape(r).trim();
  } catch {
    return text.trim().slice(0, 200);
  }
}

/** Runs `call`; a 404 from it becomes `notFound` instead. */
export async function orNotFound<T>(call: Promise<T>, notFound: () => CtlError): Promise<T> {
  try {
    return await call;
  } catch (e) {
    if (e instanceof ApiError && e.status === 404) throw notFound();
    throw e;
  }
}
