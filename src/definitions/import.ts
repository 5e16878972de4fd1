/**
 * importDefinitions: applies a RabbitMQ definitions document to a broker, creating what is missing,
 * in RabbitMQ's order: vhosts, users, permissions and topic permissions, exchanges, global
 * parameters, policies, vhost parameters, queues, bindings. Everything goes through the core API
 * (VHost.declareExchange/declareQueue/bind, Broker.setPolicy, the access-control API), so every rule
 * of a declare applies and durable things are stored.
 *
 * As in RabbitMQ: an exchange or queue that exists is left as it is (no equivalence check), policies
 * and parameters are set (replacing one of the same name), users are put (password hash, tags and
 * limits replaced). The document is read and checked as a whole first (read.ts, check.ts, and the
 * auth sections' own checks), so a malformed file or a reference to nothing changes nothing.
 */
import type { Broker } from '../core/broker.js';
import { policyFromJson } from '../core/policy-json.js';
import { applyAuthSections, checkAuthSections } from './auth-sections.js';
import { checkDefinitions, wrap } from './check.js';
import { DefinitionsError } from './error.js';
import { applyParameters, checkParameters } from './parameters.js';
import { readDefinitions } from './read.js';

export interface ImportResult {
  /** how many of each were created (exchanges, queues) or set (the rest) */
  counts: {
    vhosts: number;
    users: number;
    permissions: number;
    topicPermissions: number;
    exchanges: number;
    queues: number;
    bindings: number;
    policies: number;
    parameters: number;
    globalParameters: number;
  };
  /** items left out on purpose (amq.* names, default-exchange bindings, ...), one line each */
  skipped: string[];
}

export interface ImportOptions {
  /** the vhost for items that name none (a document exported from one vhost) */
  vhost?: string;
}

export function importDefinitions(broker: Broker, json: unknown, options: ImportOptions = {}): ImportResult {
  const doc = readDefinitions(json, options.vhost);
  const auth = checkAuthSections(broker, doc);
  const plan = checkDefinitions(broker, doc, auth.newVhosts);
  const params = checkParameters(doc, plan.skipped);

  const counts = applyAuthSections(broker, auth);
  const result: ImportResult = {
    counts: {
      ...counts,
      exchanges: 0,
      queues: 0,
      bindings: 0,
      policies: 0,
      parameters: 0,
      globalParameters: 0,
    },
    skipped: plan.skipped,
  };

  for (const e of plan.exchanges) {
    const v = broker.vhost(e.vhost);
    if (v.exchanges.has(e.name)) continue;
    wrap(e.label, () =>
      v.declareExchange({
        name: e.name,
        type: e.type,
        passive: false,
        durable: e.durable,
        autoDelete: e.autoDelete,
        internal: e.internal,
        arguments: e.arguments,
      }),
    );
    result.counts.exchanges++;
  }

  result.counts.globalParameters = applyParameters(broker, params.global);
  for (const p of doc.policies) {
    wrap(p.label, () => {
      const { vhost, input } = policyFromJson(p.json);
      broker.setPolicy(vhost, input);
    });
    result.counts.policies++;
  }
  result.counts.parameters = applyParameters(broker, params.vhost);

  for (const q of plan.queues) {
    const v = broker.vhost(q.vhost);
    if (v.queues.has(q.name)) continue;
    wrap(q.label, () =>
      v.declareQueue(
        {
          name: q.name,
          passive: false,
          durable: q.durable,
          exclusive: false,
          autoDelete: q.autoDelete,
          arguments: q.arguments,
        },
        null,
      ),
    );
    result.counts.queues++;
  }

  for (const b of plan.bindings) {
    const v = broker.vhost(b.vhost);
    const destination =
      b.destinationKind === 'queue' ? v.queues.get(b.destination) : v.exchanges.get(b.destination);
    // check.ts made sure it exists or is in the file; an auto-delete one may have gone meanwhile.
    if (!destination)
      throw new DefinitionsError(`${b.label}: ${b.destinationKind} '${b.destination}' is gone`);
    wrap(b.label, () => v.bind(b.source, destination, b.routingKey, b.arguments));
    result.counts.bindings++;
  }
  return result;
}
