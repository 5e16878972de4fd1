/**
 * Policies (RabbitMQ's `set_policy`): a name pattern, what kind of entity it applies to, a priority
 * and a definition of optional arguments. Of all the policies of a vhost whose pattern matches a
 * queue's or exchange's name, exactly one applies: the highest priority (no merging). This file holds
 * the validated shape and the matching rule; PolicySet keeps a vhost's policies, the vhost applies them.
 *
 * Patterns are JavaScript regular expressions, where RabbitMQ uses PCRE. The common subset (anchors,
 * classes, alternation, escapes such as `^amq\.`) behaves the same; a leading PCRE option group such
 * as `(?i)` is translated to the matching JavaScript flags. Like PCRE's re:run, a pattern matches
 * anywhere in the name unless anchored.
 */
import { invalidPolicy } from './policy-error.js';
import { applicableToQueue, type QueueKind, validateDefinition } from './policy-definition.js';
import { erlangTerm } from './policy-term.js';
import type { PolicyDefinition } from './queue/settings.js';

export type { PolicyDefinition } from './queue/settings.js';
export type { QueueKind } from './policy-definition.js';

export const APPLY_TO = ['all', 'queues', 'exchanges', 'classic_queues', 'quorum_queues', 'streams'] as const;
export type ApplyTo = (typeof APPLY_TO)[number];

/** A validated policy, as stored and listed. */
export interface Policy {
  readonly vhost: string;
  readonly name: string;
  readonly pattern: string;
  readonly applyTo: ApplyTo;
  readonly priority: number;
  readonly definition: PolicyDefinition;
}

/** What an operator supplies; `unknown` where the value comes from JSON and is checked here. */
export interface PolicyInput {
  name: string;
  pattern: unknown;
  definition: unknown;
  /** default 'all' */
  applyTo?: unknown;
  /** default 0 */
  priority?: unknown;
}

/** A policy with its pattern compiled, as the matcher uses it. */
export interface CompiledPolicy extends Policy {
  readonly regex: RegExp;
  /** the definition as canonical JSON: re-setting an identical policy changes nothing it applies to */
  readonly fingerprint: string;
}

/** What a policy is matched against. */
export type PolicyTarget =
  { kind: 'exchange'; name: string } | { kind: 'queue'; name: string; type: QueueKind };

/** Compiles a pattern, translating a leading PCRE option group; throws RabbitMQ's text when invalid. */
export function compilePattern(pattern: unknown): RegExp {
  if (typeof pattern !== 'string') {
    throw invalidPolicy(`pattern should be a binary but was ${erlangTerm(pattern)}`);
  }
  let source = pattern;
  let flags = '';
  const opts = /^\(\?([imsx]+)\)/.exec(pattern);
  if (opts?.[1] && !opts[1].includes('x')) {
    flags = [...new Set(opts[1])].join('');
    source = pattern.slice(opts[0].length);
  }
  try {
    return new RegExp(source, flags);
  } catch (e) {
    const reason = e instanceof Error ? e.message : String(e);
    throw invalidPolicy(`pattern should be regular expression but is invalid: ${reason}`);
  }
}

/** Validates operator input for a vhost; throws PolicyError('invalid') with RabbitMQ's texts. */
export function validatePolicy(vhost: string, input: PolicyInput): CompiledPolicy {
  if (typeof input.name !== 'string') throw invalidPolicy(`policy name should be a string`);
  for (const key of ['pattern', 'definition'] as const) {
    if (input[key] === undefined) throw invalidPolicy(`Key "${key}" not found in ${input.name}`);
  }
  const priority = input.priority ?? 0;
  if (typeof priority !== 'number' || !Number.isFinite(priority)) {
    throw invalidPolicy(`priority should be a number, actually was ${erlangTerm(priority)}`);
  }
  const regex = compilePattern(input.pattern);
  const applyTo = input.applyTo ?? 'all';
  if (!APPLY_TO.includes(applyTo as ApplyTo)) {
    throw invalidPolicy(
      `apply-to '${String(applyTo)}' unrecognised; should be one of: 'queues', 'classic_queues', 'quorum_queues', 'streams', 'exchanges', or 'all'`,
    );
  }
  const definition = validateDefinition(input.definition);
  return Object.freeze({
    vhost,
    name: input.name,
    pattern: input.pattern as string,
    applyTo: applyTo as ApplyTo,
    priority,
    definition,
    regex,
    fingerprint: JSON.stringify(
      Object.keys(definition)
        .sort()
        .map((k) => [k, definition[k]]),
    ),
  });
}

function appliesToKind(applyTo: ApplyTo, target: PolicyTarget): boolean {
  if (target.kind === 'exchange') return applyTo === 'exchanges' || applyTo === 'all';
  switch (applyTo) {
    case 'all':
    case 'queues':
      return true;
    case 'classic_queues':
      return target.type === 'classic';
    case 'quorum_queues':
      return target.type === 'quorum';
    case 'streams':
      return target.type === 'stream';
    case 'exchanges':
      return false;
  }
}

/** Whether a policy matches a target: kind, queue type applicability, then the name pattern. */
export function policyMatches(p: CompiledPolicy, target: PolicyTarget): boolean {
  if (!appliesToKind(p.applyTo, target)) return false;
  if (target.kind === 'queue' && !applicableToQueue(p.definition, target.type)) return false;
  return p.regex.test(target.name);
}

/**
 * Orders policies best first: higher priority wins. RabbitMQ leaves equal priorities to its table
 * order, which is unspecified; Warren picks the name that sorts first, so the choice is stable.
 */
export function comparePolicies(a: Policy, b: Policy): number {
  if (a.priority !== b.priority) return b.priority - a.priority;
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}

/** The queue type a queue's `x-queue-type` argument names; anything else counts as classic. */
export function queueKind(queueType: unknown): QueueKind {
  const t = Buffer.isBuffer(queueType) ? queueType.toString() : queueType;
  return t === 'quorum' || t === 'stream' ? t : 'classic';
}
