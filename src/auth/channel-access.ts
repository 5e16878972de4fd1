/**
 * One channel's view of its user's permissions in its vhost: the checks channel.ts calls, and a cache
 * for the one on the hot path. basic.publish needs write permission on the exchange and, on a topic
 * exchange, topic write permission on the routing key; doing the regex match on every message would
 * cost throughput, so the first publish to an exchange checks and remembers the outcome (and the
 * exchange's topic pattern, if the user has one). Later publishes to it cost one Map lookup and one
 * integer compare. Any change to users or permissions bumps AccessControl.version, which empties the
 * cache, so a revoked permission takes effect on the next publish (RabbitMQ keeps its per-channel
 * cache until the channel closes).
 */
import type { VHost } from '../core/vhost.js';
import type { FieldTable } from '../protocol/field-types.js';
import type { AccessControl } from './access-control.js';
import { checkResource, checkTopic, type ResourceKind, topicRefused } from './access-check.js';

/** What a successful publish check on one exchange leaves behind. */
interface PublishGrant {
  /** the user's topic write pattern on this exchange; undefined = any routing key */
  readonly topicWrite: RegExp | undefined;
}

/** Exchanges remembered per channel; past this the cache starts over (a bound, not a tuning knob). */
const MAX_GRANTS = 256;

export class ChannelAccess {
  private readonly ac: AccessControl;
  private readonly user: string;
  private readonly vhost: string;
  private readonly grants = new Map<string, PublishGrant>();
  private version = -1;

  constructor(ac: AccessControl, user: string, vhost: string) {
    this.ac = ac;
    this.user = user;
    this.vhost = vhost;
  }

  configure(kind: ResourceKind, name: string): void {
    checkResource(this.ac, this.user, this.vhost, 'configure', kind, name);
  }

  write(kind: ResourceKind, name: string): void {
    checkResource(this.ac, this.user, this.vhost, 'write', kind, name);
  }

  read(kind: ResourceKind, name: string): void {
    checkResource(this.ac, this.user, this.vhost, 'read', kind, name);
  }

  /**
   * exchange.declare, not passive (a passive declare needs no permission): configure on the
   * exchange; when it is created with an alternate exchange, read on it and write on the AE too.
   * The default exchange and reserved `amq.` names are left for the vhost to refuse, since RabbitMQ
   * refuses those before looking at permissions.
   */
  exchangeDeclare(vhost: VHost, name: string, args: FieldTable): void {
    if (name === '') return;
    this.configure('exchange', name);
    const ae = args['alternate-exchange'];
    if (typeof ae === 'string' && !vhost.exchanges.has(name) && !name.startsWith('amq.')) {
      this.read('exchange', name);
      this.write('exchange', ae);
    }
  }

  /**
   * queue.declare, not passive: configure on the queue (server-named ones under their generated
   * name); when it is created with a dead-letter exchange, read on the queue and write on the DLX.
   */
  queueDeclare(vhost: VHost, name: string, serverNamed: boolean, args: FieldTable): void {
    const exists = vhost.queues.has(name);
    if (!exists && !serverNamed && name.startsWith('amq.')) return; // refused for the reserved prefix
    this.configure('queue', name);
    const dlx = args['x-dead-letter-exchange'];
    if (!exists && typeof dlx === 'string') {
      this.read('queue', name);
      this.write('exchange', dlx);
    }
  }

  /**
   * queue.bind/unbind and exchange.bind/unbind: write on the destination, read on the source
   * exchange, and topic read permission on the routing key when the source is a topic exchange.
   * A binding involving the default exchange is left for the vhost to refuse.
   */
  bind(vhost: VHost, source: string, kind: ResourceKind, destination: string, routingKey: string): void {
    this.write(kind, destination);
    if (source === '' || (kind === 'exchange' && destination === '')) return;
    this.read('exchange', source);
    const ex = vhost.exchanges.get(source);
    if (ex) checkTopic(this.ac, this.user, this.vhost, 'read', ex, routingKey);
  }

  /** basic.publish, before the exchange is looked up: write permission on it (cached). */
  publish(exchange: string): PublishGrant {
    if (this.version !== this.ac.version) {
      this.grants.clear();
      this.version = this.ac.version;
    }
    let g = this.grants.get(exchange);
    if (g === undefined) {
      this.write('exchange', exchange);
      g = { topicWrite: this.ac.permissions.topicPattern(this.user, this.vhost, exchange, 'write') };
      if (this.grants.size >= MAX_GRANTS) this.grants.clear();
      this.grants.set(exchange, g);
    }
    return g;
  }

  /** basic.publish, once the exchange is known: topic write permission on the routing key. */
  publishTopic(grant: PublishGrant, exchange: { name: string; type: string }, routingKey: string): void {
    if (grant.topicWrite === undefined || exchange.type !== 'topic') return;
    if (!grant.topicWrite.test(routingKey)) {
      throw topicRefused(this.user, this.vhost, 'write', exchange.name, routingKey);
    }
  }
}
