/**
 * What the user, vhost and permission operations throw. Like PolicyError these are operator
 * operations (core API, CLI, HTTP API, definitions import), so the error carries a kind each surface
 * maps to its own status (HTTP 404 for `no_such_user`...) and RabbitMQ's message text.
 */
export type AuthErrorKind = 'invalid' | 'no_such_user' | 'user_exists' | 'no_such_vhost';

export class AuthError extends Error {
  readonly kind: AuthErrorKind;

  constructor(kind: AuthErrorKind, message: string) {
    super(message);
    this.name = 'AuthError';
    this.kind = kind;
  }
}

export const invalid = (message: string): AuthError => new AuthError('invalid', message);

export const noSuchUser = (name: string): AuthError =>
  new AuthError('no_such_user', `User "${name}" does not exist`);

export const noSuchVhost = (name: string): AuthError =>
  new AuthError('no_such_vhost', `Virtual host '${name}' does not exist`);
