/**
 * The checks on connection.open and channel.open, in RabbitMQ's order and with its texts (all 530
 * NOT_ALLOWED, closing the connection): the vhost must exist, be under its max-connections limit, the
 * user under theirs, and the user must have permissions in the vhost; a new channel must keep the
 * user under max-channels, counted over all of the user's connections.
 */
import type { Broker } from '../core/broker.js';
import type { VHost } from '../core/vhost.js';
import { notAllowed } from '../protocol/errors.js';
import { checkVhostAccess } from './access-check.js';
import { effectiveLimit, reached } from './limits.js';

/** Returns the vhost `user` may open a connection to, or throws 530. */
export function checkConnectionOpen(broker: Broker, user: string, vhostName: string): VHost {
  const vhost = broker.vhosts.get(vhostName);
  if (!vhost) throw notAllowed(`vhost ${vhostName} not found`);
  const vhostLimit = vhost.limits['max-connections'];
  if (reached(vhostLimit, broker.connectionsOfVhost(vhostName).size)) {
    throw notAllowed(
      `access to vhost '${vhostName}' refused for user '${user}': connection limit (${vhostLimit}) is reached`,
    );
  }
  // The user's current limits, not the ones it had at login: an operator may have changed them.
  const userLimit = broker.users.get(user)?.limits['max-connections'];
  if (reached(userLimit, broker.connectionsOfUser(user).size)) {
    throw notAllowed(
      `connection refused for user '${user}': user connection limit (${userLimit}) is reached`,
    );
  }
  checkVhostAccess(broker.access, user, vhostName);
  return vhost;
}

/** Throws 530 when one more channel would take `user` past max-channels. */
export function checkChannelOpen(broker: Broker, user: string): void {
  const limit = broker.users.get(user)?.limits['max-channels'];
  if (effectiveLimit(limit) === undefined) return;
  if (reached(limit, broker.channelsOfUser(user))) {
    throw notAllowed(
      `number of channels opened for user '${user}' has reached the maximum allowed user limit of (${limit})`,
    );
  }
}
