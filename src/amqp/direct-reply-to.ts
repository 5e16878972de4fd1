/**
 * Direct reply-to, RabbitMQ's `amq.rabbitmq.reply-to` pseudo-queue. An RPC client consumes from it
 * (no-ack only, one such consumer per channel) and publishes requests with `reply_to` set to its name;
 * the broker rewrites that to `amq.rabbitmq.reply-to.<token>`, and a reply published to the default
 * exchange with the token as routing key goes straight to the client's consumer, bypassing any queue.
 *
 * The token is 128 random bits, new for every reply consumer, looked up in one registry per broker:
 * like RabbitMQ's (channel id plus a random key), it can be used from any connection or vhost that
 * learnt it, cannot be guessed, and is dead once its consumer is cancelled or its channel closes.
 * Replies to a dead token are dropped. A reply never counts as routed: a mandatory one comes back as
 * basic.return 312 even though it was delivered, and confirms ack it at once (RabbitMQ does the same).
 */
import { randomBytes } from 'node:crypto';
import type { Broker } from '../core/broker.js';
import { REPLY_TO_PREFIX, type ReplySink } from '../core/exchange/default.js';
import { Message } from '../core/message.js';
import type { VHost } from '../core/vhost.js';
import { notFound, preconditionFailed } from '../protocol/errors.js';

/** The pseudo-queue's name, as consumed from and as given in `reply_to`. */
export const REPLY_QUEUE = 'amq.rabbitmq.reply-to';

/** The channel side of a reply consumer. */
export interface ReplyTarget {
  /** sends one reply as basic.deliver to the consumer `consumerTag` */
  deliverReply(consumerTag: string, msg: Message): void;
}

/** One channel's direct reply-to consumer. */
export class ReplyConsumer {
  readonly tag: string;
  /** the `reply_to` value requests carry: `amq.rabbitmq.reply-to.<token>` */
  readonly address: string;
  private readonly target: ReplyTarget;
  private readonly registry: DirectReplyTo;
  /** messages already delivered: one message naming the token twice (CC) arrives once */
  private readonly seen = new WeakSet<Message>();

  constructor(registry: DirectReplyTo, target: ReplyTarget, tag: string, address: string) {
    this.registry = registry;
    this.target = target;
    this.tag = tag;
    this.address = address;
  }

  deliver(msg: Message): void {
    if (this.seen.has(msg)) return;
    this.seen.add(msg);
    this.target.deliverReply(this.tag, msg);
  }

  /** basic.cancel or channel close: the token stops working. */
  stop(): void {
    this.registry.remove(this);
  }
}

/** The live reply consumers of one broker, by address. */
export class DirectReplyTo implements ReplySink {
  private readonly broker: Broker;
  private readonly consumers = new Map<string, ReplyConsumer>();

  constructor(broker: Broker) {
    this.broker = broker;
  }

  /** Lets the default exchange of `vhost` hand replies to this registry. */
  attach(vhost: VHost): void {
    vhost.defaultExchange.replies = this;
  }

  add(target: ReplyTarget, tag: string): ReplyConsumer {
    // Vhosts created since their connections opened (e.g. for the HTTP API) must deliver replies too.
    for (const v of this.broker.vhosts.values()) this.attach(v);
    const address = REPLY_TO_PREFIX + randomBytes(16).toString('base64url');
    const c = new ReplyConsumer(this, target, tag, address);
    this.consumers.set(address, c);
    return c;
  }

  remove(c: ReplyConsumer): void {
    if (this.consumers.get(c.address) === c) this.consumers.delete(c.address);
  }

  deliverReply(routingKey: string, msg: Message): void {
    this.consumers.get(routingKey)?.deliver(msg);
  }

  /**
   * queue.declare of a name starting `amq.rabbitmq.reply-to` (passive or not, whatever its flags, as in
   * RabbitMQ): the bare name always exists, a token while its consumer lives; anything else is a 404.
   * Returns the name to report in declare-ok.
   */
  declare(vhostName: string, requested: string): string {
    // RabbitMQ strips CR and LF from the name before looking at it.
    const name = requested.replace(/[\r\n]/g, '');
    if (name === REPLY_QUEUE || this.consumers.has(name)) return name;
    throw notFound(`no queue '${name}' in vhost '${vhostName}'`);
  }
}

const registries = new WeakMap<Broker, DirectReplyTo>();

/** The broker's registry of reply consumers (created on first use). */
export function directReplyTo(broker: Broker): DirectReplyTo {
  let r = registries.get(broker);
  if (!r) {
    r = new DirectReplyTo(broker);
    registries.set(broker, r);
  }
  return r;
}

/** Whether queue.declare of `name` is about direct reply-to (see DirectReplyTo.declare). */
export function isReplyQueueName(name: string): boolean {
  return name.startsWith(REPLY_QUEUE);
}

/**
 * basic.consume from `amq.rabbitmq.reply-to`: RabbitMQ's checks, in its order (consumer-tag reuse is
 * checked by the caller before this). Returns the new consumer.
 */
export function startReplyConsumer(
  broker: Broker,
  current: ReplyConsumer | undefined,
  target: ReplyTarget,
  tag: string,
  noAck: boolean,
): ReplyConsumer {
  if (!noAck) throw preconditionFailed('reply consumer cannot acknowledge');
  if (current) throw preconditionFailed('reply consumer already set');
  return directReplyTo(broker).add(target, tag);
}

/**
 * A publish whose `reply_to` is `amq.rabbitmq.reply-to`: the same message with the channel's reply
 * address in its place, or a 406 when the channel has no reply consumer.
 */
export function withReplyAddress(msg: Message, consumer: ReplyConsumer | undefined): Message {
  if (!consumer) throw preconditionFailed('fast reply consumer does not exist');
  return Message.from(
    msg.exchange,
    msg.routingKey,
    { ...msg.properties, replyTo: consumer.address },
    msg.body,
  );
}
