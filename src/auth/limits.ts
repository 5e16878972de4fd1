/**
 * Vhost limits (`set_vhost_limits`: max-connections, max-queues) and user limits (`set_user_limits`:
 * max-connections, max-channels), validated with RabbitMQ's texts. A negative value means "no limit"
 * and is kept as given (RabbitMQ lists it back); 0 means none allowed.
 *
 * RabbitMQ replaces a vhost's limits as a whole on every set, but merges user limits into the ones
 * the user already has; Broker.setVhostLimits / setUserLimits follow that.
 */
import { erlangProplist, erlangTerm } from '../core/policy-term.js';
import { invalid } from './auth-error.js';

export interface VhostLimits {
  'max-connections'?: number;
  'max-queues'?: number;
}

export interface UserLimits {
  'max-connections'?: number;
  'max-channels'?: number;
}

export const VHOST_LIMIT_KEYS = ['max-connections', 'max-queues'] as const;
export const USER_LIMIT_KEYS = ['max-connections', 'max-channels'] as const;

function validate<K extends string>(
  value: unknown,
  keys: readonly K[],
  where: string,
): Partial<Record<K, number>> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw invalid(`limits should be a JSON object, actually was ${erlangTerm(value)}`);
  }
  const entries = Object.entries(value as Record<string, unknown>);
  const unknown = entries.filter(([k]) => !(keys as readonly string[]).includes(k));
  if (unknown.length > 0) throw invalid(`Unrecognised terms ${erlangProplist(unknown)} in ${where}`);
  const out: Partial<Record<K, number>> = {};
  for (const [k, v] of entries) {
    if (typeof v !== 'number' || !Number.isInteger(v)) {
      throw invalid(`${k} should be a number, actually was ${erlangTerm(v)}`);
    }
    out[k as K] = v;
  }
  return out;
}

/** Validates a `set_vhost_limits` definition; throws AuthError('invalid'). */
export function validateVhostLimits(value: unknown): VhostLimits {
  return validate(value, VHOST_LIMIT_KEYS, 'limits');
}

/** Validates a `set_user_limits` definition; throws AuthError('invalid'). */
export function validateUserLimits(value: unknown): UserLimits {
  return validate(value, USER_LIMIT_KEYS, 'user-limits');
}

/** The effective limit: undefined when unset or negative (no limit). */
export function effectiveLimit(value: number | undefined): number | undefined {
  return value === undefined || value < 0 ? undefined : value;
}

/** Whether `current` more of something may not grow by one under `limit` (RabbitMQ: 0 = none allowed). */
export function reached(limit: number | undefined, current: number): boolean {
  const l = effectiveLimit(limit);
  return l !== undefined && current >= l;
}
