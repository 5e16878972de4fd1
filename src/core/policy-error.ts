/**
 * What the policy operations throw. These are operator operations (CLI, HTTP API, definitions
 * import), not AMQP methods, so the error is not an AMQP reply but carries a kind each surface maps
 * to its own status (HTTP 400 for `invalid`, 404 for `not_found`...) and RabbitMQ's message text.
 */
export type PolicyErrorKind = 'invalid' | 'not_found' | 'no_such_vhost';

export class PolicyError extends Error {
  readonly kind: PolicyErrorKind;

  constructor(kind: PolicyErrorKind, message: string) {
    super(message);
    this.name = 'PolicyError';
    this.kind = kind;
  }
}

export const invalidPolicy = (message: string): PolicyError => new PolicyError('invalid', message);
