/**
 * Queue and exchange arguments: RabbitMQ's validation of the `x-` queue arguments it knows, and the
 * equivalence check on redeclare, with its reply texts.
 */
import { preconditionFailed } from '../protocol/errors.js';
import type { FieldTable } from '../protocol/field-types.js';
import { fieldTypeName } from '../protocol/reader.js';
import { canonicalArgs } from './binding.js';

const INTEGER_TYPES = new Set([
  'byte',
  'unsignedbyte',
  'short',
  'unsignedshort',
  'signedint',
  'unsignedint',
  'long',
]);

type Check = (v: number) => string | undefined;
const nonNegative: Check = (v) => (v < 0 ? `{value_negative,${v}}` : undefined);
const positive: Check = (v) => (v < 0 ? `{value_negative,${v}}` : v === 0 ? `{value_zero,${v}}` : undefined);
const atMost255: Check = (v) =>
  v < 0 ? `{value_negative,${v}}` : v > 255 ? `{max_value_exceeded,${v}}` : undefined;

/** Integer-valued arguments and their range checks. */
const INTEGER_ARGS: Record<string, Check> = {
  'x-message-ttl': nonNegative,
  'x-expires': positive,
  'x-max-length': nonNegative,
  'x-max-length-bytes': nonNegative,
  'x-max-priority': atMost255,
  'x-delivery-limit': nonNegative,
  'x-consumer-timeout': nonNegative,
};

/** String-valued arguments: a value of another wire type is refused by name. */
const STRING_ARGS = new Set([
  'x-dead-letter-exchange',
  'x-dead-letter-routing-key',
  'x-overflow',
  'x-queue-mode',
  'x-queue-type',
]);

const OVERFLOW = new Set(['drop-head', 'reject-publish', 'reject-publish-dlx']);

/** Throws 406 with RabbitMQ's text for a known x- argument with a bad type or value. */
export function validateQueueArguments(where: string, args: FieldTable): void {
  if (args['x-dead-letter-routing-key'] !== undefined && args['x-dead-letter-exchange'] === undefined) {
    throw preconditionFailed(
      `invalid arg 'x-dead-letter-routing-key' for ${where}: routing_key_but_no_dlx_defined`,
    );
  }
  for (const key of Object.keys(args)) {
    const v = args[key];
    const type = fieldTypeName(args, key);
    const invalid = (detail: string): Error =>
      preconditionFailed(`invalid arg '${key}' for ${where}: ${detail}`);
    const check = INTEGER_ARGS[key];
    if (check) {
      if (!INTEGER_TYPES.has(type) || typeof v !== 'number') throw invalid(`"expected integer, got ${type}"`);
      const problem = check(v);
      if (problem) throw invalid(problem);
      continue;
    }
    // RabbitMQ words the dead-letter exchange's type error differently from the other strings.
    if (key === 'x-dead-letter-exchange' && type !== 'longstr') {
      throw preconditionFailed(`invalid type '${type}' for arg '${key}' in ${where}`);
    }
    if (STRING_ARGS.has(key) && type !== 'longstr') throw invalid(`{unacceptable_type,${type}}`);
    if (key === 'x-overflow' && !OVERFLOW.has(String(v))) throw invalid('invalid_overflow');
    if (key === 'x-single-active-consumer' && type !== 'bool') throw invalid(`{unacceptable_type,${type}}`);
  }
}

/** basic.consume arguments: `x-priority` must be an integer (RabbitMQ's text). */
export function validateConsumeArguments(where: string, args: FieldTable): void {
  if (args['x-priority'] === undefined) return;
  const type = fieldTypeName(args, 'x-priority');
  if (!INTEGER_TYPES.has(type)) {
    throw preconditionFailed(`invalid arg 'x-priority' for ${where}: "expected integer, got ${type}"`);
  }
}

function describe(table: FieldTable, key: string): string {
  const v = table[key];
  if (v === undefined) return 'none';
  return `the value '${String(v)}' of type '${fieldTypeName(table, key)}'`;
}

/** Redeclare check: the named arguments must be equal on both sides (RabbitMQ's texts). */
export function checkArgumentsEquivalent(
  where: string,
  received: FieldTable,
  current: FieldTable,
  keys: string[],
): void {
  for (const key of keys) {
    const r = received[key];
    const c = current[key];
    if (canonicalArgs({ v: r ?? null }) === canonicalArgs({ v: c ?? null })) continue;
    const text =
      r !== undefined && c !== undefined
        ? `received '${String(r)}' but current is '${String(c)}'`
        : `received ${describe(received, key)} but current is ${describe(current, key)}`;
    throw preconditionFailed(`inequivalent arg '${key}' for ${where}: ${text}`);
  }
}
