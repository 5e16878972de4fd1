/**
 * Reads a definitions document into checked, typed items before anything is changed, so a malformed
 * file is refused as a whole with an error naming the item. Defaults follow RabbitMQ's importer:
 * queues and exchanges durable unless they say otherwise, not auto-delete, not internal, no
 * arguments (an empty list `[]`, as old exports write it, is no arguments too).
 */
import type { FieldTable } from '../protocol/field-types.js';
import { DefinitionsError } from './error.js';
import { jsonToTable } from './field-json.js';
import type { JsonObject, JsonValue } from './json-types.js';

export interface QueueItem {
  label: string;
  vhost: string;
  name: string;
  durable: boolean;
  autoDelete: boolean;
  arguments: FieldTable;
}

export interface ExchangeItem {
  label: string;
  vhost: string;
  name: string;
  type: string;
  durable: boolean;
  autoDelete: boolean;
  internal: boolean;
  arguments: FieldTable;
}

export interface BindingItem {
  label: string;
  vhost: string;
  source: string;
  destination: string;
  destinationKind: 'queue' | 'exchange';
  routingKey: string;
  arguments: FieldTable;
}

export interface ParameterItem {
  label: string;
  vhost: string;
  component: string;
  name: string;
  value: JsonValue;
}

export interface GlobalParameterItem {
  label: string;
  name: string;
  value: JsonValue;
}

/** A section handed on as it is (users, vhosts, permissions: read by their own converters). */
export interface RawItem {
  label: string;
  json: JsonObject;
}

export interface DefinitionsDocument {
  /** rabbitmq_version (or rabbit_version) of the file, when it says */
  version: string | undefined;
  users: RawItem[];
  vhosts: RawItem[];
  permissions: RawItem[];
  topicPermissions: RawItem[];
  policies: RawItem[];
  parameters: ParameterItem[];
  globalParameters: GlobalParameterItem[];
  queues: QueueItem[];
  exchanges: ExchangeItem[];
  bindings: BindingItem[];
}

type Section =
  | 'users'
  | 'vhosts'
  | 'permissions'
  | 'topic_permissions'
  | 'parameters'
  | 'global_parameters'
  | 'policies'
  | 'queues'
  | 'exchanges'
  | 'bindings';

/**
 * Checks the shape of a document. `vhost` fills in the vhost of items that lack one (a document
 * exported from a single vhost); without it such items are refused, as RabbitMQ refuses them.
 */
export function readDefinitions(json: unknown, vhost?: string): DefinitionsDocument {
  if (!isObject(json)) throw new DefinitionsError('definitions should be a JSON object');
  const section = (name: Section): RawItem[] => {
    const list = json[name];
    if (list === undefined || list === null) return [];
    if (!Array.isArray(list)) throw new DefinitionsError(`${name} should be a list`);
    return list.map((item, i) => {
      if (!isObject(item)) throw new DefinitionsError(`${name}[${i}] should be an object`);
      return { label: labelOf(name, i, item), json: item };
    });
  };
  const f = (item: RawItem): Fields => new Fields(item, vhost);
  const version = json['rabbitmq_version'] ?? json['rabbit_version'];
  return {
    version: typeof version === 'string' ? version : undefined,
    users: section('users'),
    vhosts: section('vhosts'),
    permissions: section('permissions'),
    topicPermissions: section('topic_permissions'),
    policies: section('policies').map((p) => ({ ...p, json: withVhost(p.json, vhost) })),
    parameters: section('parameters').map((p) => {
      const r = f(p);
      return {
        label: p.label,
        vhost: r.vhost(),
        component: r.string('component'),
        name: r.string('name'),
        value: r.any('value'),
      };
    }),
    globalParameters: section('global_parameters').map((p) => {
      const r = f(p);
      return { label: p.label, name: r.string('name'), value: r.any('value') };
    }),
    queues: section('queues').map((q) => {
      const r = f(q);
      return {
        label: q.label,
        vhost: r.vhost(),
        name: r.string('name'),
        durable: r.boolean('durable', true),
        autoDelete: r.boolean('auto_delete', false),
        arguments: r.table('arguments'),
      };
    }),
    exchanges: section('exchanges').map((e) => {
      const r = f(e);
      return {
        label: e.label,
        vhost: r.vhost(),
        name: r.string('name'),
        type: r.string('type'),
        durable: r.boolean('durable', true),
        autoDelete: r.boolean('auto_delete', false),
        internal: r.boolean('internal', false),
        arguments: r.table('arguments'),
      };
    }),
    bindings: section('bindings').map((b) => {
      const r = f(b);
      const kind = r.string('destination_type');
      if (kind !== 'queue' && kind !== 'exchange') {
        throw new DefinitionsError(
          `${b.label}: destination_type should be "queue" or "exchange", not "${kind}"`,
        );
      }
      return {
        label: b.label,
        vhost: r.vhost(),
        source: r.string('source'),
        destination: r.string('destination'),
        destinationKind: kind,
        routingKey: r.string('routing_key', ''),
        arguments: r.table('arguments'),
      };
    }),
  };
}

function isObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function withVhost(json: JsonObject, vhost: string | undefined): JsonObject {
  return json['vhost'] === undefined && vhost !== undefined ? { ...json, vhost } : json;
}

/** `queues[3] ('orders' in vhost '/')`: position always, name and vhost when they are strings. */
function labelOf(section: string, i: number, item: JsonObject): string {
  const name = section === 'bindings' ? undefined : (item['name'] ?? item['user']);
  const v = item['vhost'];
  const parts: string[] = [];
  if (typeof name === 'string') parts.push(`'${name}'`);
  if (
    section === 'bindings' &&
    typeof item['source'] === 'string' &&
    typeof item['destination'] === 'string'
  ) {
    parts.push(`'${item['source']}' -> '${item['destination']}'`);
  }
  if (typeof v === 'string') parts.push(`in vhost '${v}'`);
  return parts.length > 0 ? `${section}[${i}] (${parts.join(' ')})` : `${section}[${i}]`;
}

/** Typed access to one item's fields, with errors naming the item. */
class Fields {
  constructor(
    private readonly item: RawItem,
    private readonly defaultVhost: string | undefined,
  ) {}

  private fail(detail: string): never {
    throw new DefinitionsError(`${this.item.label}: ${detail}`);
  }

  any(key: string): JsonValue {
    const v = this.item.json[key];
    if (v === undefined) this.fail(`${key} is missing`);
    return v;
  }

  string(key: string, fallback?: string): string {
    const v = this.item.json[key];
    if (v === undefined && fallback !== undefined) return fallback;
    if (typeof v !== 'string') this.fail(`${key} should be a string, not ${describe(v)}`);
    return v;
  }

  boolean(key: string, fallback: boolean): boolean {
    const v = this.item.json[key];
    if (v === undefined || v === null) return fallback;
    if (typeof v !== 'boolean') this.fail(`${key} should be true or false, not ${describe(v)}`);
    return v;
  }

  table(key: string): FieldTable {
    const v = this.item.json[key];
    if (v === undefined || v === null || (Array.isArray(v) && v.length === 0)) return {};
    if (!isObject(v)) this.fail(`${key} should be an object, not ${describe(v)}`);
    return jsonToTable(v);
  }

  vhost(): string {
    if (this.item.json['vhost'] === undefined && this.defaultVhost !== undefined) return this.defaultVhost;
    if (this.item.json['vhost'] === undefined) {
      this.fail(
        'vhost is missing (a file exported from a single virtual host can only be imported into one named vhost)',
      );
    }
    return this.string('vhost');
  }
}

function describe(v: unknown): string {
  if (v === undefined) return 'missing';
  return JSON.stringify(v);
}
