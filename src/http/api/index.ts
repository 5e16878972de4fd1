/** Every management API route, one file per resource; `app` is already prefixed with /api. */
import type { FastifyInstance } from 'fastify';
import type { NodeContext } from '../context.js';
import { authHook } from './request.js';
import { bindingRoutes } from './bindings.js';
import { connectionRoutes } from './connections.js';
import { definitionRoutes } from './definitions.js';
import { exchangeRoutes } from './exchanges.js';
import { healthRoutes } from './health.js';
import { overviewRoutes } from './overview.js';
import { policyRoutes } from './policies.js';
import { queueRoutes } from './queues.js';
import { userRoutes } from './users.js';
import { vhostRoutes } from './vhosts.js';

export function registerApi(app: FastifyInstance, node: NodeContext): void {
  app.addHook('onRequest', authHook(node));
  // A body-less PUT/POST/DELETE is `{}` to the schemas, as RabbitMQ treats it.
  app.addHook('preValidation', async (req) => {
    if (req.body === undefined && req.method !== 'GET' && req.method !== 'HEAD') req.body = {};
  });
  overviewRoutes(app, node);
  connectionRoutes(app, node);
  exchangeRoutes(app, node);
  queueRoutes(app, node);
  bindingRoutes(app, node);
  vhostRoutes(app, node);
  policyRoutes(app, node);
  healthRoutes(app, node);
  // Administrator-only groups, each with its own preHandler check.
  void app.register(async (admin) => userRoutes(admin, node));
  void app.register(async (admin) => definitionRoutes(admin, node));
}
