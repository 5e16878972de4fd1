/**
 * A user of the internal user database: name, password hash (RabbitMQ's format, password.ts), tags
 * and limits. Tags are free strings; RabbitMQ gives meaning to `administrator`, `monitoring`,
 * `policymaker`, `management` (management UI/API access) and `impersonator` (may publish with another
 * user's user_id), and keeps any other tag as it is.
 */
import { invalid } from './auth-error.js';
import type { HashingAlgorithm } from './password.js';
import type { UserLimits } from './limits.js';

export interface User {
  readonly name: string;
  /** salt ++ digest; empty when the user has no password (EXTERNAL login only) */
  passwordHash: Buffer;
  hashingAlgorithm: HashingAlgorithm;
  tags: string[];
  limits: UserLimits;
}

export const KNOWN_TAGS = ['administrator', 'monitoring', 'policymaker', 'management', 'impersonator'];

/**
 * Tags as RabbitMQ accepts them: a list of strings, or one comma-separated string (rabbitmqctl's
 * `set_user_tags` arguments, definitions exported by RabbitMQ before 3.9, the HTTP API). Blank
 * entries are dropped and duplicates kept once.
 */
export function parseTags(value: unknown): string[] {
  const list = typeof value === 'string' ? value.split(',') : value;
  if (!Array.isArray(list) || !list.every((t): t is string => typeof t === 'string')) {
    throw invalid('tags should be a list of strings or a comma-separated string');
  }
  return [...new Set(list.map((t) => t.trim()).filter((t) => t !== ''))];
}

export function checkUserName(name: unknown): string {
  if (typeof name !== 'string' || name === '') throw invalid('user cannot be an empty string');
  return name;
}
