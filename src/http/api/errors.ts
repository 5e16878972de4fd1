/**
 * HTTP errors in RabbitMQ's shape, `{"error": "...", "reason": "..."}`, and the mapping from the
 * core's errors (AMQP replies, auth, policy and definitions errors) to status codes, so an operation
 * refused over AMQP is refused over HTTP for the same reason and with the same text.
 */
import { AuthError } from '../../auth/auth-error.js';
import { PolicyError } from '../../core/policy-error.js';
import { DefinitionsError } from '../../definitions/error.js';
import { AmqpError, ReplyCode } from '../../protocol/errors.js';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly error: string,
    readonly reason: string,
    /** extra response headers (WWW-Authenticate on 401) */
    readonly headers: Record<string, string> = {},
  ) {
    super(reason);
  }
}

export const badRequest = (reason: string): ApiError => new ApiError(400, 'bad_request', reason);
export const notFound = (): ApiError => new ApiError(404, 'Object Not Found', 'Not Found');
export const notAuthorised = (reason: string): ApiError =>
  new ApiError(401, 'not_authorized', reason, { 'www-authenticate': 'Basic realm="RabbitMQ Management"' });
/** PUT of a queue or exchange into a vhost that does not exist. */
export const vhostNotFound = (): ApiError => new ApiError(404, 'not_found', 'vhost_not_found');

/** The HTTP form of whatever a handler threw. */
export function toApiError(e: unknown): ApiError | undefined {
  if (e instanceof ApiError) return e;
  if (e instanceof AmqpError) {
    // An operation's own not-found (a binding's missing source) carries its text, as RabbitMQ's does.
    if (e.code === ReplyCode.NotFound) return new ApiError(404, 'not_found', e.text);
    // RabbitMQ answers every access refusal with its generic text.
    if (e.code === ReplyCode.AccessRefused) return new ApiError(401, 'not_authorised', 'Access refused.');
    return badRequest(e.text);
  }
  if (e instanceof AuthError) {
    if (e.kind === 'no_such_user' || e.kind === 'no_such_vhost') return notFound();
    return badRequest(e.message);
  }
  if (e instanceof PolicyError) {
    if (e.kind === 'not_found' || e.kind === 'no_such_vhost') return notFound();
    return badRequest(e.message);
  }
  if (e instanceof DefinitionsError) return badRequest(e.message);
  return undefined;
}
