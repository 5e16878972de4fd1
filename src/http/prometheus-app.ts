/**
 * The Prometheus listener (RabbitMQ's rabbitmq_prometheus on 15692): GET /metrics (aggregated),
 * GET /metrics/per-object (one series per queue, channel, connection), both with the Node.js
 * process metrics of prom-client's collectDefaultMetrics. A plain node:http handler: one path, no
 * body, nothing for a framework to do.
 */
import { collectDefaultMetrics, Registry } from 'prom-client';
import type { RequestHandler } from './listener.js';
import type { NodeContext } from './context.js';
import { brokerRegistries } from './prometheus-metrics.js';

/**
 * Process metrics are per process, not per broker: one registry for every broker in it (several
 * collectDefaultMetrics calls would each start their own event-loop monitor).
 */
let processRegistry: Registry | undefined;

function processMetrics(): Registry {
  if (!processRegistry) {
    processRegistry = new Registry();
    collectDefaultMetrics({ register: processRegistry });
  }
  return processRegistry;
}

export async function prometheusHandler(node: NodeContext): Promise<RequestHandler> {
  const { aggregated, perObject } = brokerRegistries(node);
  const proc = processMetrics();
  return (req, res) => {
    const path = (req.url ?? '').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end();
      return;
    }
    const registry =
      path === '/metrics' ? aggregated : path === '/metrics/per-object' ? perObject : undefined;
    if (!registry) {
      res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('Not Found: try /metrics\n');
      return;
    }
    Promise.all([registry.metrics(), proc.metrics()]).then(
      ([broker, processText]) => {
        res.writeHead(200, { 'content-type': registry.contentType });
        res.end(req.method === 'HEAD' ? undefined : `${broker}\n${processText}`);
      },
      (err: unknown) => {
        node.log.error({ err }, 'Prometheus scrape failed');
        res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' }).end('scrape failed\n');
      },
    );
  };
}
