/**
 * HTTP basic auth against Warren's users, with RabbitMQ's management tags:
 *
 * - no management tag (`management`, `policymaker`, `monitoring`, `administrator`): 401 for everything
 * - `management`: its own connections and channels; queues, exchanges and bindings of the vhosts it
 *   has permissions in; writes checked against those permissions, as over AMQP
 * - `policymaker`: also policies (and parameters) of those vhosts
 * - `monitoring`: also every connection and channel, every vhost in listings, the node
 * - `administrator`: everything (users, permissions, vhosts, definitions, all vhosts' objects)
 *
 * Status codes and texts are those RabbitMQ 3.10 answers (checked against the reference): 401 for
 * every refusal, `not_authorized`/"Login failed" for bad credentials and `not_authorised` (sic) for
 * a missing tag or vhost access.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { isLoopback } from '../../amqp/connection.js';
import type { Broker, User } from '../../core/broker.js';
import { ApiError, notAuthorised } from './errors.js';

export interface Principal {
  readonly user: User;
  readonly administrator: boolean;
  readonly monitoring: boolean;
  readonly policymaker: boolean;
}

const MANAGEMENT_TAGS = ['management', 'policymaker', 'monitoring', 'administrator'];

const challenge = { 'www-authenticate': 'Basic realm="RabbitMQ Management"' };
const refused = (reason: string): ApiError => new ApiError(401, 'not_authorised', reason, challenge);

/** The user a request's Authorization header names, checked; throws 401 as RabbitMQ answers. */
export function authenticate(broker: Broker, headers: IncomingHttpHeaders, peer: string): Principal {
  const h = headers.authorization;
  const m = h === undefined ? null : /^Basic\s+(\S+)\s*$/i.exec(h);
  // No credentials at all: RabbitMQ answers 401 with an empty body and the challenge.
  if (!m) throw new ApiError(401, '', '', challenge);
  const decoded = Buffer.from(m[1] as string, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  const name = colon < 0 ? decoded : decoded.slice(0, colon);
  const password = colon < 0 ? '' : decoded.slice(colon + 1);
  const user = broker.authenticate(name, password);
  if (!user) throw notAuthorised('Login failed');
  if (broker.isLoopbackOnly(user.name) && !isLoopback(peer)) {
    throw notAuthorised('User can only log in via localhost');
  }
  if (!user.tags.some((t) => MANAGEMENT_TAGS.includes(t))) throw refused('Not management user');
  const administrator = user.tags.includes('administrator');
  return {
    user,
    administrator,
    monitoring: administrator || user.tags.includes('monitoring'),
    policymaker: administrator || user.tags.includes('policymaker'),
  };
}

export function requireAdministrator(p: Principal): void {
  if (!p.administrator) throw refused('Not administrator user');
}

export function requireMonitor(p: Principal): void {
  if (!p.monitoring) throw refused('Not monitor user');
}

export function requirePolicymaker(p: Principal): void {
  if (!p.policymaker) throw refused('User not authorised to access object');
}

/** Whether the user may see a vhost's queues, exchanges and bindings (administrators see all). */
export function mayAccessVhost(broker: Broker, p: Principal, vhost: string): boolean {
  return p.administrator || broker.canAccessVhost(p.user.name, vhost);
}

/** 401 unless the user may use the vhost; 404 first when it does not exist (RabbitMQ's order). */
export function requireVhost(broker: Broker, p: Principal, vhost: string): void {
  if (!broker.vhosts.has(vhost)) throw new ApiError(404, 'Object Not Found', 'Not Found');
  if (!mayAccessVhost(broker, p, vhost)) throw refused('User not authorised to access virtual host');
}

/** Whether the user sees every connection and channel, or only its own. */
export function seesAllConnections(p: Principal): boolean {
  return p.monitoring;
}
