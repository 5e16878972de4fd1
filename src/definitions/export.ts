/**
 * exportDefinitions: the broker's definitions in RabbitMQ's JSON, as `rabbitmqctl export_definitions`
 * writes it, so the file imports into RabbitMQ as well as into Warren.
 *
 * Left out, as RabbitMQ leaves them out: exclusive queues (they die with their connection), the
 * default and amq.* exchanges (every vhost has them), bindings of the default exchange (implicit).
 * One difference: RabbitMQ leaves out internal exchanges too, yet keeps the bindings that use them,
 * so its own file cannot be imported back; Warren exports them, with `"internal": true`, which
 * RabbitMQ's importer reads. `internal` is always written, as RabbitMQ writes it.
 */
import type { Broker } from '../core/broker.js';
import { policyToJson } from '../core/policy-json.js';
import { VERSION } from '../version.js';
import { exportAuthSections } from './auth-sections.js';
import { tableToJson } from './field-json.js';
import type { BindingJson, DefinitionsJson, ExchangeJson, QueueJson } from './json-types.js';

/** The RabbitMQ release whose behaviour Warren follows; RabbitMQ's importer reads it as the file's origin. */
export const RABBITMQ_VERSION = '3.13.7';

export function exportDefinitions(broker: Broker): DefinitionsJson {
  const queues: QueueJson[] = [];
  const exchanges: ExchangeJson[] = [];
  const bindings: BindingJson[] = [];
  for (const v of broker.vhosts.values()) {
    for (const e of v.exchanges.values()) {
      if (e.name === '') continue; // its bindings are implicit
      if (!e.name.startsWith('amq.')) {
        exchanges.push({
          name: e.name,
          vhost: v.name,
          type: e.type,
          durable: e.durable,
          auto_delete: e.autoDelete,
          internal: e.internal,
          arguments: tableToJson(e.arguments),
        });
      }
      // Bindings of amq.* exchanges are the application's, and exported as RabbitMQ does.
      for (const b of e.bindings) {
        bindings.push({
          source: e.name,
          vhost: v.name,
          destination: b.destination.name,
          destination_type: b.destination.destinationKind,
          routing_key: b.routingKey,
          arguments: tableToJson(b.arguments),
        });
      }
    }
    for (const q of v.queues.values()) {
      if (q.exclusiveOwner !== null) continue;
      const type = q.arguments['x-queue-type'];
      queues.push({
        name: q.name,
        vhost: v.name,
        durable: q.durable,
        auto_delete: q.autoDelete,
        arguments: tableToJson(q.arguments),
        type: type === 'quorum' || type === 'stream' ? type : 'classic',
      });
    }
  }
  const auth = exportAuthSections(broker);
  return {
    rabbit_version: RABBITMQ_VERSION,
    rabbitmq_version: RABBITMQ_VERSION,
    product_name: 'Warren',
    product_version: VERSION,
    users: auth.users,
    vhosts: auth.vhosts,
    permissions: auth.permissions,
    topic_permissions: auth.topicPermissions,
    parameters: auth.parameters,
    global_parameters: [{ name: 'cluster_name', value: broker.clusterName }],
    policies: broker.policies().map(policyToJson),
    queues,
    exchanges,
    bindings,
  };
}
