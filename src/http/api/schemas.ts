/**
 * JSON schema pieces for request bodies. RabbitMQ's API is lenient where tools rely on it: booleans
 * may come as "true"/"false" strings, tags as a list or a comma-separated string, and a PUT without a
 * body means `{}`. Everything else of the wrong type is a 400 before a handler runs.
 */
import type { FieldTable } from '../../protocol/field-types.js';
import { jsonToTable } from '../../definitions/field-json.js';

export const bool = { anyOf: [{ type: 'boolean' }, { type: 'string', enum: ['true', 'false'] }] } as const;
export const str = { type: 'string' } as const;
export const obj = { type: 'object' } as const;
export const tags = { anyOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' } }] } as const;
export const nonNegativeInt = { type: 'integer', minimum: 0 } as const;

export type Bool = boolean | 'true' | 'false';

export function toBool(v: Bool | undefined, fallback: boolean): boolean {
  return v === undefined ? fallback : v === true || v === 'true';
}

export function toTable(v: Record<string, unknown> | undefined): FieldTable {
  return v === undefined ? {} : jsonToTable(v as Parameters<typeof jsonToTable>[0]);
}

/** A route schema with only a body: an object with these properties. */
export function body(
  properties: Record<string, unknown>,
  required: string[] = [],
): { schema: { body: object } } {
  return { schema: { body: { type: 'object', properties, required } } };
}
