/**
 * The management HTTP server: RabbitMQ's management API under /api (routes in api/, one file per
 * resource) and the web UI's static files at / (built by Vite into dist/ui). Built with fastify on the
 * first request (listener.ts); every route validates its body with a JSON schema, and every error
 * leaves in RabbitMQ's shape, `{"error": "...", "reason": "..."}`.
 */
import { existsSync } from 'node:fs';
import type { Server } from 'node:http';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import Fastify, { type FastifyError, type FastifyInstance } from 'fastify';
import type { RequestHandler } from './listener.js';
import type { NodeContext } from './context.js';
import { registerApi } from './api/index.js';
import { ApiError, toApiError } from './api/errors.js';

/** dist/src/http/management-app.js -> dist/ui/ */
export const UI_ROOT = fileURLToPath(new URL('../../ui/', import.meta.url));

/** RabbitMQ's management.http.max_body_size default is 20 MB; definitions files can be large. */
const BODY_LIMIT = 20 * 1024 * 1024;

export async function managementHandler(server: Server, node: NodeContext): Promise<RequestHandler> {
  let handler: RequestHandler | undefined;
  const app = Fastify({
    serverFactory: (h) => {
      handler = h as RequestHandler;
      return server;
    },
    logger: false,
    bodyLimit: BODY_LIMIT,
    routerOptions: { ignoreTrailingSlash: true, ignoreDuplicateSlashes: true },
    ajv: { customOptions: { coerceTypes: false, removeAdditional: false, allErrors: false } },
    // Errors before routing (a malformed percent-encoding in the URL) in RabbitMQ's shape too.
    frameworkErrors: (err, _req, reply) => {
      void sendApiError(reply, new ApiError(400, 'bad_request', err.message));
    },
  });
  setErrorHandling(app, node);
  parseBodiesAsJson(app);
  registerUi(app);
  await app.register(
    (api, _opts, done) => {
      registerApi(api, node);
      done();
    },
    { prefix: '/api' },
  );
  await app.ready();
  if (!handler) throw new Error('fastify did not take the server');
  return handler;
}

function setErrorHandling(app: FastifyInstance, node: NodeContext): void {
  app.setNotFoundHandler((_req, reply) => {
    void reply.code(404).send({ error: 'Object Not Found', reason: 'Not Found' });
  });
  app.setErrorHandler((err: FastifyError, req, reply) => {
    const api = toApiError(err);
    if (api) return sendApiError(reply, api);
    if (err.validation) {
      const where = err.validationContext ?? 'body';
      return sendApiError(
        reply,
        new ApiError(400, 'bad_request', `${where}${err.message.replace(/^[a-z]+/, '')}`),
      );
    }
    const status = err.statusCode ?? 500;
    if (status >= 400 && status < 500) {
      return sendApiError(reply, new ApiError(status, 'bad_request', err.message));
    }
    node.log.error({ err, url: req.url, method: req.method }, 'management API handler failed');
    return sendApiError(reply, new ApiError(500, 'internal_server_error', err.message));
  });
}

export function sendApiError(
  reply: import('fastify').FastifyReply,
  e: ApiError,
): import('fastify').FastifyReply {
  void reply.code(e.status).headers(e.headers);
  // RabbitMQ answers a request without credentials with an empty body.
  if (e.error === '') return reply.send('');
  return reply.send({ error: e.error, reason: e.reason });
}

/**
 * Bodies are JSON whatever their content type says (RabbitMQ reads `curl -d` bodies too); an empty
 * body is `{}`; anything but a JSON object is RabbitMQ's 400 "not_json".
 */
function parseBodiesAsJson(app: FastifyInstance): void {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'string' }, (_req, text, done) => {
    const s = (text as string).trim();
    if (s === '') return done(null, {});
    let v: unknown;
    try {
      v = JSON.parse(s);
    } catch {
      return done(new ApiError(400, 'bad_request', 'not_json'), undefined);
    }
    if (v === null || typeof v !== 'object' || Array.isArray(v)) {
      return done(new ApiError(400, 'bad_request', 'not_json'), undefined);
    }
    done(null, v);
  });
}

function registerUi(app: FastifyInstance): void {
  if (existsSync(UI_ROOT)) {
    void app.register(fastifyStatic, { root: UI_ROOT, prefix: '/', index: 'index.html' });
    return;
  }
  app.get('/', (_req, reply) => {
    void reply
      .code(404)
      .type('text/plain; charset=utf-8')
      .send(
        `Warren's web UI was not built: ${UI_ROOT} is missing. Build it (the UI's Vite build writes dist/ui), or use the API under /api.\n`,
      );
  });
}
