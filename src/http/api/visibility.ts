/** What a user may see, by RabbitMQ's rules (auth.ts has the tag model). */
import type { Broker, ConnectionInfo } from '../../core/broker.js';
import type { VHost } from '../../core/vhost.js';
import { mayAccessVhost, seesAllConnections, type Principal } from './auth.js';

/** Vhosts whose queues, exchanges, bindings and consumers the user sees. */
export function visibleVhosts(broker: Broker, p: Principal): VHost[] {
  return [...broker.vhosts.values()].filter((v) => mayAccessVhost(broker, p, v.name));
}

/** Every connection for `monitoring` and `administrator`; the user's own otherwise. */
export function visibleConnections(broker: Broker, p: Principal): ConnectionInfo[] {
  const all = [...broker.connections.values()];
  return seesAllConnections(p) ? all : all.filter((c) => c.userName === p.user.name);
}
