/**
 * Policies in RabbitMQ's definitions JSON shape (`export_definitions`, `GET /api/policies`):
 * `{vhost, name, pattern, apply-to, definition, priority}`. Import accepts what RabbitMQ writes and
 * leaves the value checks to validatePolicy, so an imported policy is held to the same rules.
 */
import { invalidPolicy } from './policy-error.js';
import type { ApplyTo, Policy, PolicyInput } from './policy.js';
import { erlangTerm } from './policy-term.js';

export interface PolicyJson {
  vhost: string;
  name: string;
  pattern: string;
  'apply-to': ApplyTo;
  definition: Record<string, unknown>;
  priority: number;
}

export function policyToJson(p: Policy): PolicyJson {
  return {
    vhost: p.vhost,
    name: p.name,
    pattern: p.pattern,
    'apply-to': p.applyTo,
    definition: JSON.parse(JSON.stringify(p.definition)) as Record<string, unknown>,
    priority: p.priority,
  };
}

/** Reads one entry of a definitions file's `policies` array: its vhost and the input to set. */
export function policyFromJson(json: unknown): { vhost: string; input: PolicyInput } {
  if (json === null || typeof json !== 'object' || Array.isArray(json)) {
    throw invalidPolicy(`policy should be an object, actually was ${erlangTerm(json)}`);
  }
  const j = json as Record<string, unknown>;
  for (const key of ['vhost', 'name']) {
    if (typeof j[key] !== 'string')
      throw invalidPolicy(`policy ${key} should be a string, actually was ${erlangTerm(j[key])}`);
  }
  return {
    vhost: j['vhost'] as string,
    input: {
      name: j['name'] as string,
      pattern: j['pattern'],
      definition: j['definition'],
      applyTo: j['apply-to'],
      priority: j['priority'],
    },
  };
}
