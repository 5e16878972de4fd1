/**
 * Declares what a run needs (exchange, queues, bindings) before the clients start, and deletes it
 * afterwards. Requests are pipelined, a few hundred at a time, since a topic scenario binds 10,000
 * keys and one round trip each would take seconds.
 */
import { PerfConnection } from './connection.js';
import type { PerfOptions } from './options.js';
import type { RunPlan } from './plan.js';
import type { Method } from '../protocol/generated/methods.js';

const PIPELINE = 500;

async function pipelined(conn: PerfConnection, requests: [Method, Method['kind']][]): Promise<void> {
  for (let i = 0; i < requests.length; i += PIPELINE) {
    await Promise.all(requests.slice(i, i + PIPELINE).map(([m, expect]) => conn.call(1, m, expect)));
  }
}

/** exchanges a client may not declare or delete: the default one and RabbitMQ's amq.* */
function predeclared(exchange: string): boolean {
  return exchange === '' || exchange.startsWith('amq.');
}

export async function declareTopology(url: string, o: PerfOptions, plan: RunPlan): Promise<void> {
  const conn = await PerfConnection.open(url, { heartbeat: 0, name: 'warren perf: topology' });
  try {
    if (!predeclared(o.exchange))
      await conn.call(
        1,
        {
          kind: 'exchange.declare',
          exchange: o.exchange,
          type: o.exchangeType,
          passive: false,
          durable: o.persistent,
          autoDelete: false,
          internal: false,
          noWait: false,
          arguments: {},
        },
        'exchange.declare-ok',
      );
    await pipelined(
      conn,
      plan.queues.map((queue) => [
        {
          kind: 'queue.declare',
          queue,
          passive: false,
          durable: o.persistent,
          exclusive: false,
          autoDelete: false,
          noWait: false,
          arguments: o.queueArguments,
        },
        'queue.declare-ok',
      ]),
    );
    await pipelined(
      conn,
      plan.bindings.map((b) => [
        {
          kind: 'queue.bind',
          queue: b.queue,
          exchange: o.exchange,
          routingKey: b.routingKey,
          noWait: false,
          arguments: {},
        },
        'queue.bind-ok',
      ]),
    );
  } finally {
    await conn.close();
  }
}

export async function deleteTopology(url: string, o: PerfOptions, plan: RunPlan): Promise<void> {
  if (plan.queues.length === 0) return;
  const conn = await PerfConnection.open(url, { heartbeat: 0, name: 'warren perf: cleanup' });
  try {
    await pipelined(
      conn,
      plan.queues.map((queue) => [
        { kind: 'queue.delete', queue, ifUnused: false, ifEmpty: false, noWait: false },
        'queue.delete-ok',
      ]),
    );
    if (!predeclared(o.exchange))
      await conn.call(
        1,
        { kind: 'exchange.delete', exchange: o.exchange, ifUnused: false, noWait: false },
        'exchange.delete-ok',
      );
  } finally {
    await conn.close();
  }
}

/** Messages ready in a queue (queue.declare passive), or undefined if it cannot be asked. */
export async function queueDepth(url: string, queue: string): Promise<number | undefined> {
  const conn = await PerfConnection.open(url, { heartbeat: 0, name: 'warren perf: depth' }).catch(
    () => undefined,
  );
  if (!conn) return undefined;
  try {
    const ok = await conn.call(
      1,
      {
        kind: 'queue.declare',
        queue,
        passive: true,
        durable: false,
        exclusive: false,
        autoDelete: false,
        noWait: false,
        arguments: {},
      },
      'queue.declare-ok',
    );
    return ok.kind === 'queue.declare-ok' ? ok.messageCount : undefined;
  } catch {
    return undefined;
  } finally {
    await conn.close();
  }
}
