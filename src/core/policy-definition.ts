/**
 * A policy's definition: which keys RabbitMQ 3.13 (without plugins) recognises, the values it accepts
 * for each, and its error texts. Only keys it knows are accepted; the ones Warren has no use for
 * (classic mirroring on a single node, queue-mode/queue-version of RabbitMQ's own storage, quorum and
 * stream tuning) are validated and stored all the same, so definitions exported from RabbitMQ import
 * unchanged, and they are ignored when applied. What Warren acts on is listed in docs/policies.md.
 */
import { invalidPolicy } from './policy-error.js';
import { erlangProplist, erlangTerm } from './policy-term.js';
import type { PolicyDefinition } from './queue/settings.js';

/** Returns RabbitMQ's error text for a bad value, or undefined when the value is fine. */
type Check = (v: unknown) => string | undefined;

const isInt = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v);

const intAtLeast =
  (min: number, what: string): Check =>
  (v) =>
    isInt(v) && v >= min ? undefined : `${erlangTerm(v)} is not a valid ${what}`;

const oneOf =
  (values: readonly (string | number)[], what: string): Check =>
  (v) =>
    values.includes(v as string | number) ? undefined : `${erlangTerm(v)} is not a valid ${what}`;

const str =
  (what: string): Check =>
  (v) =>
    typeof v === 'string' ? undefined : `${erlangTerm(v)} is not a valid ${what}`;

/** A stream's max-age: a positive count and one unit letter, e.g. `7D`, `12h`. */
const maxAge: Check = (v) =>
  typeof v === 'string' && /^[0-9]+[YMDhms]$/.test(v) && parseInt(v, 10) > 0
    ? undefined
    : `${erlangTerm(v)} is not a valid max age`;

/** Keys validated one by one (rabbit_policies, rabbit_queue_location_validator, rabbit_quorum_queue). */
const CHECKS: Record<string, Check> = {
  'alternate-exchange': str('alternate exchange name'),
  'consumer-timeout': intAtLeast(0, 'consumer timeout'),
  'dead-letter-exchange': str('dead letter exchange name'),
  'dead-letter-routing-key': str('dead letter routing key'),
  'dead-letter-strategy': oneOf(['at-most-once', 'at-least-once'], 'dead letter strategy'),
  'message-ttl': intAtLeast(0, 'message TTL'),
  expires: intAtLeast(1, 'queue expiry'),
  'max-length': intAtLeast(0, 'maximum length'),
  'max-length-bytes': intAtLeast(0, 'maximum length in bytes'),
  // RabbitMQ's text for both in-memory limits says "bytes"; kept as it is.
  'max-in-memory-length': intAtLeast(0, 'maximum memory in bytes'),
  'max-in-memory-bytes': intAtLeast(0, 'maximum memory in bytes'),
  'queue-mode': oneOf(['default', 'lazy'], 'queue-mode value'),
  'queue-version': oneOf([1, 2], 'queue-version value'),
  overflow: oneOf(['drop-head', 'reject-publish', 'reject-publish-dlx'], 'overflow value'),
  'delivery-limit': intAtLeast(0, 'delivery limit'),
  'max-age': maxAge,
  'stream-max-segment-size-bytes': (v) =>
    isInt(v) && v >= 0 && v <= 3_000_000_000 ? undefined : `${erlangTerm(v)} is not a valid segment size`,
  'stream-filter-size-bytes': (v) =>
    isInt(v) && v >= 16 && v <= 255
      ? undefined
      : `${erlangTerm(v)} is not a valid filter size. Valid range is 16-255`,
  'queue-leader-locator': oneOf(
    ['client-local', 'balanced', 'random', 'least-leaders'],
    'queue leader locator value',
  ),
  'initial-cluster-size': intAtLeast(0, 'cluster size'),
  'target-group-size': (v) =>
    isInt(v) && v > 0 ? undefined : `${erlangTerm(v)} is not a valid qq target count value`,
  'queue-master-locator': (v) =>
    ['client-local', 'min-masters', 'random'].includes(v as string)
      ? undefined
      : `${erlangTerm(v)} invalid queue-master-locator value`,
};

/** Classic queue mirroring's keys, which RabbitMQ validates together (rabbit_mirror_queue_misc). */
const HA_KEYS = [
  'ha-mode',
  'ha-params',
  'ha-sync-mode',
  'ha-sync-batch-size',
  'ha-promote-on-shutdown',
  'ha-promote-on-failure',
];

function checkHa(def: Record<string, unknown>): string | undefined {
  const mode = def['ha-mode'];
  const params = def['ha-params'];
  const shown = (v: unknown): string => (v === undefined ? 'none' : erlangTerm(v));
  if (mode === undefined) {
    return 'ha-mode must be specified to specify ha-params, ha-sync-mode or ha-promote-on-shutdown';
  }
  if (mode === 'all') {
    if (params !== undefined) return 'ha-mode="all" does not take parameters';
  } else if (mode === 'exactly') {
    if (!isInt(params) || params <= 0) return `ha-mode="exactly" takes an integer, ${shown(params)} given`;
  } else if (mode === 'nodes') {
    if (!Array.isArray(params)) return `ha-mode="nodes" takes a list, ${shown(params)} given`;
    if (params.length === 0) return 'ha-mode="nodes" list must be non-empty';
    const bad = params.filter((n) => typeof n !== 'string');
    if (bad.length > 0) return `ha-mode="nodes" takes a list of strings, ${erlangTerm(bad)} was not a string`;
  } else {
    return `${erlangTerm(mode)} is not a valid ha-mode value`;
  }
  const sync = def['ha-sync-mode'];
  if (sync !== undefined && sync !== 'automatic' && sync !== 'manual') {
    return `ha-sync-mode must be "manual" or "automatic", got ${erlangTerm(sync)}`;
  }
  const batch = def['ha-sync-batch-size'];
  if (batch !== undefined && (!isInt(batch) || batch <= 0)) {
    return `ha-sync-batch-size takes an integer greater than 0, ${erlangTerm(batch)} given`;
  }
  for (const k of ['ha-promote-on-shutdown', 'ha-promote-on-failure']) {
    const v = def[k];
    if (v !== undefined && v !== 'always' && v !== 'when-synced') {
      return `${k} must be "always" or "when-synced", got ${erlangTerm(v)}`;
    }
  }
  return undefined;
}

/**
 * Validates a definition as RabbitMQ does and returns a frozen copy. Keys are checked in sorted
 * order (Erlang's map order), so with several bad values the same one is reported; unrecognised keys
 * are reported only when every recognised one is valid, as in RabbitMQ.
 */
export function validateDefinition(input: unknown): PolicyDefinition {
  if (input === null || typeof input !== 'object' || Array.isArray(input)) {
    if (Array.isArray(input) && input.length === 0) throw invalidPolicy('no policy provided');
    throw invalidPolicy(`definition must be a dictionary: ${erlangTerm(input)}`);
  }
  const def = input as Record<string, unknown>;
  const keys = Object.keys(def).sort();
  if (keys.length === 0) throw invalidPolicy('no policy provided');
  const unknown: [string, unknown][] = [];
  let haChecked = false;
  for (const k of keys) {
    const check = CHECKS[k];
    let problem: string | undefined;
    if (check) problem = check(def[k]);
    else if (HA_KEYS.includes(k)) {
      if (!haChecked) problem = checkHa(def);
      haChecked = true;
    } else unknown.push([k, def[k]]);
    if (problem !== undefined) throw invalidPolicy(problem);
  }
  if (unknown.length > 0) {
    throw invalidPolicy(`${erlangProplist(unknown)} are not recognised policy settings`);
  }
  // A deep copy through JSON: the definition is plain JSON data and must not change under us.
  return Object.freeze(JSON.parse(JSON.stringify(def)) as Record<string, unknown>);
}

/**
 * Keys that make a policy inapplicable to a queue of a given type (RabbitMQ's unsupported_policies):
 * such a policy is skipped for that queue and the next matching one is considered. Warren departs in
 * one place: `delivery-limit` applies to classic queues too, since Warren implements it for every queue.
 */
const NOT_FOR: Record<QueueKind, ReadonlySet<string>> = {
  classic: new Set([
    'max-age',
    'stream-max-segment-size-bytes',
    'queue-leader-locator',
    'initial-cluster-size',
    'dead-letter-strategy',
    'max-in-memory-length',
    'max-in-memory-bytes',
    'target-group-size',
  ]),
  quorum: new Set([
    'max-priority',
    'queue-mode',
    'single-active-consumer',
    ...HA_KEYS.filter((k) => k !== 'ha-sync-batch-size'),
    'queue-master-locator',
    'max-age',
    'stream-max-segment-size-bytes',
    'initial-cluster-size',
  ]),
  stream: new Set([
    'expires',
    'message-ttl',
    'dead-letter-exchange',
    'dead-letter-routing-key',
    'max-length',
    'max-in-memory-length',
    'max-in-memory-bytes',
    'max-priority',
    'overflow',
    'queue-mode',
    'single-active-consumer',
    'delivery-limit',
    ...HA_KEYS.filter((k) => k !== 'ha-sync-batch-size'),
    'queue-master-locator',
    'dead-letter-strategy',
    'target-group-size',
  ]),
};

/** The queue type a policy's apply-to and applicability look at (from `x-queue-type`). */
export type QueueKind = 'classic' | 'quorum' | 'stream';

export function applicableToQueue(def: PolicyDefinition, kind: QueueKind): boolean {
  const not = NOT_FOR[kind];
  return Object.keys(def).every((k) => !not.has(k));
}
