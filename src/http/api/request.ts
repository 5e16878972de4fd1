/**
 * What every API route shares: the authenticated principal on the request, and helpers to read the
 * path's vhost and the query string's flags.
 */
import type { FastifyRequest, onRequestAsyncHookHandler } from 'fastify';
import type { NodeContext } from '../context.js';
import { authenticate, type Principal } from './auth.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** the user the request authenticated as (every /api route but /api/auth) */
    principal: Principal;
  }
}

/** Paths that answer without credentials, as in RabbitMQ (the UI's login page reads /api/auth). */
const OPEN = new Set(['/api/auth']);

export function authHook(node: NodeContext): onRequestAsyncHookHandler {
  return async (req) => {
    if (OPEN.has(req.routeOptions.url ?? '')) return;
    req.principal = authenticate(node.broker, req.headers, req.socket.remoteAddress ?? '');
  };
}

/** Route params, already percent-decoded by the router (`%2F` is the vhost "/"). */
export type Params<K extends string> = Record<K, string>;

export function params<K extends string>(req: FastifyRequest): Params<K> {
  return req.params as Params<K>;
}

export function query(req: FastifyRequest): Record<string, string | undefined> {
  return req.query as Record<string, string | undefined>;
}
