/** The server-properties table of connection.start: what clients log and feature-detect on. */
import type { FieldTable } from '../protocol/field-types.js';
import { VERSION } from '../version.js';

export const CAPABILITIES: FieldTable = {
  publisher_confirms: true,
  exchange_exchange_bindings: true,
  'basic.nack': true,
  consumer_cancel_notify: true,
  'connection.blocked': true,
  consumer_priorities: true,
  authentication_failure_close: true,
  per_consumer_qos: true,
  direct_reply_to: true,
};

export function serverProperties(clusterName: string): FieldTable {
  return {
    product: 'Warren',
    version: VERSION,
    platform: `Node.js ${process.version}`,
    cluster_name: clusterName,
    copyright: 'Copyright (c) the Warren authors',
    information: 'Licensed under the MIT licence. An AMQP 0-9-1 broker that behaves like RabbitMQ.',
    capabilities: CAPABILITIES,
  };
}
