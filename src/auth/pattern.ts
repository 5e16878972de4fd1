/**
 * Permission patterns: RabbitMQ matches a resource name against each regular expression with PCRE,
 * unanchored, and reads an empty pattern as `^$` (which no real resource name matches, so "" grants
 * nothing). Warren compiles them as JavaScript regular expressions; the subset people write (anchors,
 * classes, alternation, `\.`) behaves the same, and a leading PCRE option group such as `(?i)` is
 * translated to flags, as for policy patterns.
 */
import { invalid } from './auth-error.js';

/** Compiles a permission pattern; throws AuthError('invalid') with RabbitMQ's text when it is not one. */
export function compilePermission(pattern: string): RegExp {
  if (pattern === '') return /^$/;
  let source = pattern;
  let flags = '';
  const opts = /^\(\?([ims]+)\)/.exec(pattern);
  if (opts?.[1]) {
    flags = [...new Set(opts[1])].join('');
    source = pattern.slice(opts[0].length);
  }
  try {
    return new RegExp(source, flags);
  } catch (e) {
    const reason = e instanceof Error ? e.message : String(e);
    throw invalid(`regular expression '${pattern}' is invalid: ${reason}`);
  }
}

/** Checks that a value from JSON is a pattern string, and that it compiles. */
export function permissionPattern(value: unknown, what: string): string {
  if (typeof value !== 'string') throw invalid(`${what} should be a string`);
  compilePermission(value);
  return value;
}
