/**
 * RabbitMQ's definitions JSON, as `rabbitmqctl export_definitions` and `GET /api/definitions` write
 * it. Every section is optional on import; export writes them all. Users, vhosts and permissions
 * have their own converters (src/auth/definitions-json.ts); policies theirs (src/core/policy-json.ts).
 */
import type { PolicyJson } from '../core/policy-json.js';

export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: JsonValue };

export interface QueueJson {
  name: string;
  vhost: string;
  durable: boolean;
  auto_delete: boolean;
  arguments: JsonObject;
  /** written by RabbitMQ 3.8+; import reads the type from `arguments` (x-queue-type), as RabbitMQ does */
  type?: string;
}

export interface ExchangeJson {
  name: string;
  vhost: string;
  type: string;
  durable: boolean;
  auto_delete: boolean;
  /** RabbitMQ reads it when present (and leaves internal exchanges out of its export) */
  internal?: boolean;
  arguments: JsonObject;
}

export interface BindingJson {
  source: string;
  vhost: string;
  destination: string;
  destination_type: 'queue' | 'exchange';
  routing_key: string;
  arguments: JsonObject;
}

/** A runtime parameter (`set_parameter`): vhost limits are component `vhost-limits`, name `limits`. */
export interface ParameterJson {
  vhost: string;
  component: string;
  name: string;
  value: JsonValue;
}

export interface GlobalParameterJson {
  name: string;
  value: JsonValue;
}

export interface DefinitionsJson {
  rabbit_version?: string;
  rabbitmq_version?: string;
  product_name?: string;
  product_version?: string;
  users?: JsonObject[];
  vhosts?: JsonObject[];
  permissions?: JsonObject[];
  topic_permissions?: JsonObject[];
  parameters?: ParameterJson[];
  global_parameters?: GlobalParameterJson[];
  policies?: PolicyJson[];
  queues?: QueueJson[];
  exchanges?: ExchangeJson[];
  bindings?: BindingJson[];
}
