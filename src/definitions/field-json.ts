/**
 * Queue, exchange and binding arguments between AMQP field tables and JSON, as RabbitMQ converts them
 * (rabbit_misc:amqp_table / to_amqp_table): strings, numbers, booleans, arrays and nested tables map
 * directly; binary strings become text, timestamps seconds, decimals numbers.
 */
import { type FieldTable, type FieldValue, isDecimal, isTyped } from '../protocol/field-types.js';
import type { JsonObject, JsonValue } from './json-types.js';

export function tableToJson(table: FieldTable): JsonObject {
  const out: JsonObject = {};
  for (const [k, v] of Object.entries(table)) if (v !== undefined) out[k] = valueToJson(v);
  return out;
}

function valueToJson(v: FieldValue): JsonValue {
  if (v === null || v === undefined) return null;
  if (typeof v === 'bigint') return Number(v);
  if (Buffer.isBuffer(v)) return v.toString('utf8');
  if (v instanceof Date) return Math.floor(v.getTime() / 1000);
  if (Array.isArray(v)) return v.map(valueToJson);
  if (isDecimal(v)) return v.value / 10 ** v.scale;
  if (isTyped(v)) return Number(v.value);
  if (typeof v === 'object') return tableToJson(v);
  return v;
}

/** The reverse; the caller has checked that `json` is an object. */
export function jsonToTable(json: JsonObject): FieldTable {
  const out: FieldTable = {};
  for (const [k, v] of Object.entries(json)) out[k] = jsonToValue(v);
  return out;
}

function jsonToValue(v: JsonValue): FieldValue {
  if (Array.isArray(v)) return v.map(jsonToValue);
  if (v !== null && typeof v === 'object') return jsonToTable(v);
  return v;
}
