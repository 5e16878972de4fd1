/**
 * The permission checks, with RabbitMQ 3.13's reply texts. The AMQP channel calls these at the same
 * points RabbitMQ's channel does (see channel.ts), and the HTTP API calls them for the same operations,
 * so both surfaces refuse alike. Every refusal is 403 ACCESS_REFUSED, except vhost access on
 * connection.open, which is 530 NOT_ALLOWED.
 *
 * RabbitMQ checks the default exchange under the name `amq.default`, so a pattern must match that
 * name to allow publishing to "".
 */
import { AmqpError, accessRefused, notAllowed } from '../protocol/errors.js';
import type { AccessControl } from './access-control.js';
import type { Access } from './permissions.js';

export type ResourceKind = 'queue' | 'exchange';

/** The name a resource is checked under: "" (the default exchange) is `amq.default`. */
export function checkedName(kind: ResourceKind, name: string): string {
  return kind === 'exchange' && name === '' ? 'amq.default' : name;
}

/** Throws 403 unless `user`'s `access` permission in `vhost` matches the resource's name. */
export function checkResource(
  ac: AccessControl,
  user: string,
  vhost: string,
  access: Access,
  kind: ResourceKind,
  name: string,
): void {
  const n = checkedName(kind, name);
  if (ac.permissions.allows(user, vhost, access, n)) return;
  throw accessRefused(`${access} access to ${kind} '${n}' in vhost '${vhost}' refused for user '${user}'`);
}

/**
 * Throws 403 unless the routing key is allowed by the user's topic permission on a topic exchange.
 * Only exchanges of type `topic` are checked, and a user without a topic permission on the exchange
 * may use any routing key (RabbitMQ's rules).
 */
export function checkTopic(
  ac: AccessControl,
  user: string,
  vhost: string,
  access: 'write' | 'read',
  exchange: { name: string; type: string },
  routingKey: string,
): void {
  if (exchange.type !== 'topic') return;
  const re = ac.permissions.topicPattern(user, vhost, exchange.name, access);
  if (re === undefined || re.test(routingKey)) return;
  throw topicRefused(user, vhost, access, exchange.name, routingKey);
}

export function topicRefused(
  user: string,
  vhost: string,
  access: 'write' | 'read',
  exchange: string,
  routingKey: string,
): AmqpError {
  return accessRefused(
    `${access} access to topic '${routingKey}' in exchange '${exchange}' in vhost '${vhost}' refused for user '${user}'`,
  );
}

/** Whether a user may open connections to a vhost: any permissions there at all (RabbitMQ's rule). */
export function mayAccessVhost(ac: AccessControl, user: string, vhost: string): boolean {
  return ac.permissions.get(user, vhost) !== undefined;
}

/** connection.open's vhost access check: 530 with RabbitMQ's text. */
export function checkVhostAccess(ac: AccessControl, user: string, vhost: string): void {
  if (!mayAccessVhost(ac, user, vhost)) {
    throw notAllowed(`access to vhost '${vhost}' refused for user '${user}'`);
  }
}
