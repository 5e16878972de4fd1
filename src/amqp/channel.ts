/**
 * One AMQP channel: method dispatch, content assembly for publishes, consumers, acknowledgements,
 * confirms and transactions. Every incoming method goes through the one exhaustive switch in
 * `handle`; each case calls into the core (vhost, queue) and answers on the wire.
 *
 * Errors are thrown as AmqpError; the connection turns soft ones into channel.close and hard ones
 * into connection.close (see connection.ts).
 */
import { randomBytes } from 'node:crypto';
import { ChannelAccess } from '../auth/channel-access.js';
import { Message } from '../core/message.js';
import { POOLED_BODY_MIN, takeBody } from '../core/body-pool.js';
import type { Queue, QueueEntry } from '../core/queue/queue.js';
import { VHost } from '../core/vhost.js';
import type { Exchange } from '../core/exchange/exchange.js';
import type { MessageRef } from '../store/message-store.js';
import {
  AmqpError,
  accessRefused,
  channelError,
  commandInvalid,
  frameError,
  notFound,
  notImplemented,
  preconditionFailed,
  ReplyCode,
  unexpectedFrame,
} from '../protocol/errors.js';
import { decodeProperties, parseContentHeader } from '../protocol/content-header.js';
import * as M from '../protocol/generated/methods.js';
import { ChannelConsumer } from './channel-consumer.js';
import { publishMessage } from '../core/publish.js';
import { withDeliveryCount } from './delivery-count.js';
import {
  isReplyQueueName,
  REPLY_QUEUE,
  directReplyTo,
  startReplyConsumer,
  withReplyAddress,
  type ReplyConsumer,
  type ReplyTarget,
} from './direct-reply-to.js';
import { consumerTimedOut } from './consumer-timeout.js';
import { validateExpiration } from './publish-checks.js';
import { Confirms } from './confirms.js';
import { messageTooLarge } from './message-size.js';
import type { Session } from './session.js';
import { requeueAll, Unacked, type Delivery } from './unacked.js';
import { ChannelCounters } from '../stats/counters.js';
import type { ChannelInfo } from '../core/broker.js';

type State = 'open' | 'closing';

/** a multi-frame body's buffer holds at most this many times the bytes received so far (handleBody) */
const BODY_AHEAD = 8;

/**
 * The size of a multi-frame body's buffer once `received` of its `bodySize` bytes are in: sized by what
 * arrived, never by what the header merely announced, at most BODY_AHEAD times the bytes received so
 * far (a 1 MiB body in 128 KiB frames still gets its whole buffer at the first frame), growing by that
 * factor as more comes. Otherwise a client announcing 128 MiB on each of 2,047 channels and sending
 * ten bytes would make the broker allocate 256 GiB. A frame's payload is frame_max - 8 bytes, so eight
 * of them fall 64 bytes short of 1 MiB: a rest smaller than what arrived so far is taken at once rather
 * than by growing (and copying the whole body again) for its last few bytes.
 */
function bodyBufferSize(bodySize: number, received: number): number {
  const size = Math.min(bodySize, BODY_AHEAD * received);
  return bodySize - size < received ? bodySize : size;
}

/**
 * A body buffer of `size` bytes for `p`: from the body pool when it is the whole of a large body, so
 * that memory comes back for the next message once this one has been delivered (body-pool.ts).
 */
function allocateBody(p: PendingPublish, size: number): Buffer {
  p.pooled = size === p.bodySize && size >= POOLED_BODY_MIN;
  return p.pooled ? takeBody(size) : Buffer.allocUnsafe(size);
}

/** A publish whose content header and body frames are still arriving. */
interface PendingPublish {
  exchange: Exchange;
  routingKey: string;
  mandatory: boolean;
  properties: Buffer | undefined;
  decoded: M.BasicProperties | undefined;
  bodySize: number;
  /**
   * the body of a message that spans several body frames, allocated at its full size when the first
   * of them arrives and filled in place (one copy per byte); a single-frame body is used as is
   */
  body: Buffer | undefined;
  /** `body` is pool memory (body-pool.ts) */
  pooled: boolean;
  received: number;
}

/** Work held back by a transaction until tx.commit. */
type TxOp =
  | { kind: 'publish'; exchange: Exchange; routingKey: string; mandatory: boolean; msg: Message }
  | { kind: 'ack'; deliveries: Delivery[] }
  | { kind: 'reject'; deliveries: Delivery[]; requeue: boolean };

export class Channel implements ReplyTarget, ChannelInfo {
  readonly id: number;
  readonly session: Session;
  private state: State = 'open';
  private pending: PendingPublish | undefined;
  readonly consumers = new Map<string, ChannelConsumer>();
  readonly unacked: Unacked;
  private nextDeliveryTag = 1;
  /** basic.qos global=true: limit across the channel; 0 = none */
  private channelPrefetch = 0;
  /** basic.qos global=false: limit given to consumers created from now on */
  private consumerQos = 0;
  private flowActive = true;
  private lastQueue = '';
  /** publisher confirms, once confirm.select was seen */
  private confirms: Confirms | undefined;
  private tx: TxOp[] | undefined;
  /** frames held while a basic.get waits for its message to come back from disk (see get) */
  private parked: (() => void)[] | undefined;
  /** basic.consume from amq.rabbitmq.reply-to (direct-reply-to.ts); not one of `consumers` */
  private replyConsumer: ReplyConsumer | undefined;
  /** message_stats counters (src/stats) */
  readonly stats = new ChannelCounters();
  /** the user's permissions in this vhost, checked where RabbitMQ's channel checks them */
  private readonly access: ChannelAccess;

  constructor(id: number, session: Session) {
    this.id = id;
    this.session = session;
    this.access = new ChannelAccess(session.broker.access, session.user.name, session.vhost.name);
    this.unacked = new Unacked(session.consumerTimeoutMs, (ms) =>
      session.guard(id, () => this.close(consumerTimedOut(id, ms))),
    );
  }

  get closing(): boolean {
    return this.state === 'closing';
  }

  get confirmMode(): boolean {
    return this.confirms !== undefined;
  }

  get txMode(): boolean {
    return this.tx !== undefined;
  }

  get prefetchCount(): number {
    return this.channelPrefetch || this.consumerQos;
  }

  /** ChannelInfo, for listings */
  get consumerPrefetch(): number {
    return this.consumerQos;
  }

  get globalPrefetch(): number {
    return this.channelPrefetch;
  }

  get unackedCount(): number {
    return this.unacked.size;
  }

  get unconfirmedCount(): number {
    return this.confirms?.outstanding ?? 0;
  }

  get consumerCount(): number {
    return this.consumers.size + (this.replyConsumer ? 1 : 0);
  }

  // ---------- frames ----------

  /** Runs frames that arrived while parked, in order, until done or parked again. */
  private replay(frames: (() => void)[]): void {
    while (frames.length > 0) {
      if (this.parked) {
        this.parked.push(...frames);
        return;
      }
      const next = frames.shift() as () => void;
      this.session.guard(this.id, next);
    }
  }

  handleMethod(m: M.Method): void {
    if (this.parked) {
      this.parked.push(() => this.handleMethod(m));
      return;
    }
    if (this.state === 'closing') {
      // After we sent channel.close, only close/close-ok matter; everything else is dropped.
      if (m.kind === 'channel.close-ok') this.finish();
      else if (m.kind === 'channel.close') this.session.out.method(this.id, M.encodeChannelCloseOk, {});
      return;
    }
    if (this.pending) {
      throw unexpectedFrame(`expected content header for class 60, got non content header frame instead`);
    }
    this.handle(m);
  }

  handleHeader(payload: Buffer): void {
    if (this.parked) {
      this.parked.push(() => this.handleHeader(payload));
      return;
    }
    if (this.state === 'closing') return;
    const p = this.pending;
    if (!p) throw unexpectedFrame('expected method frame, got non method frame instead');
    if (p.properties !== undefined) {
      throw unexpectedFrame('expected content body, got non content body frame instead');
    }
    const h = parseContentHeader(payload);
    if (h.classId !== 60) throw frameError(`content header for class ${h.classId}, expected class 60`);
    // Decoded now so a malformed header is refused (501) rather than forwarded to consumers whose
    // clients could not parse it; the result is kept on the message for the checks that read it.
    p.decoded = decodeProperties(h.properties);
    if (h.bodySize > this.session.maxMessageSize) {
      this.pending = undefined;
      throw messageTooLarge(h.bodySize, this.session.maxMessageSize);
    }
    // The properties slice points into the read buffer: copy it, it outlives this frame.
    p.properties = Buffer.from(h.properties);
    p.bodySize = h.bodySize;
    if (h.bodySize === 0) this.completePublish(p, Buffer.alloc(0));
  }

  handleBody(payload: Buffer): void {
    if (this.parked) {
      this.parked.push(() => this.handleBody(payload));
      return;
    }
    if (this.state === 'closing') return;
    const p = this.pending;
    if (!p) throw unexpectedFrame('expected method frame, got non method frame instead');
    if (p.properties === undefined) {
      throw unexpectedFrame('expected content header for class 60, got non content header frame instead');
    }
    p.received += payload.length;
    if (p.received > p.bodySize) {
      throw frameError(`content body is larger than the ${p.bodySize} bytes its header announced`);
    }
    if (p.received === p.bodySize && p.body === undefined) {
      // Single body frame: keep the slice of the read buffer as the body (zero copy).
      this.completePublish(p, payload);
      return;
    }
    // Several frames: copy each into one body buffer (bodyBufferSize) rather than keeping copies of
    // the frames and joining them at the end (for 1 MiB bodies that halves the bytes copied).
    const at = p.received - payload.length;
    if (p.body === undefined || p.body.length < p.received) {
      const grown = allocateBody(p, bodyBufferSize(p.bodySize, p.received));
      if (p.body !== undefined) p.body.copy(grown, 0, 0, at);
      p.body = grown;
    }
    // A frame the parser gathered in place (bodyTarget) is there already.
    if (payload.buffer !== p.body.buffer || payload.byteOffset !== p.body.byteOffset + at) {
      payload.copy(p.body, at);
    }
    if (p.received === p.bodySize) this.completePublish(p, p.body);
  }

  /**
   * Where the parser may gather the next body frame, of `size` bytes, when it arrives split across
   * reads: its place in the body buffer, so its bytes are copied once from the read buffers, or read
   * there directly (socket-reader.ts). For a body's first frame this allocates the body buffer as
   * handleBody would once that frame is in: ahead of the frame's bytes, but for the one frame in flight
   * on the connection only, so a client stalling mid-frame holds at most BODY_AHEAD times frame_max.
   * Undefined when handleBody would refuse such a frame (or the buffer is too small for it: it then
   * grows in handleBody), and the frame arrives as usual.
   */
  bodyTarget(size: number): Buffer | undefined {
    const p = this.pending;
    if (this.parked || this.state === 'closing' || !p || p.properties === undefined) return undefined;
    if (p.received + size > p.bodySize) return undefined;
    if (p.body === undefined) {
      if (p.received !== 0) return undefined;
      p.body = allocateBody(p, bodyBufferSize(p.bodySize, size));
    }
    if (p.received + size > p.body.length) return undefined;
    return p.body.subarray(p.received, p.received + size);
  }

  // ---------- dispatch ----------

  private handle(m: M.Method): void {
    const out = this.session.out;
    const vhost = this.session.vhost;
    switch (m.kind) {
      case 'channel.open':
        throw channelError(`second 'channel.open' seen`);
      case 'channel.close':
        this.teardown();
        out.method(this.id, M.encodeChannelCloseOk, {});
        this.session.channelClosed(this.id);
        return;
      case 'channel.close-ok':
        return; // we never sent a close on an open channel: nothing to do
      case 'channel.flow':
        if (!m.active) throw notImplemented('active=false');
        this.flowActive = true;
        out.method(this.id, M.encodeChannelFlowOk, { active: true });
        return;
      case 'channel.flow-ok':
        return;

      case 'exchange.declare': {
        if (!m.passive) this.access.exchangeDeclare(vhost, m.exchange, m.arguments);
        vhost.declareExchange({
          name: m.exchange,
          type: m.type,
          passive: m.passive,
          durable: m.durable,
          autoDelete: m.autoDelete,
          internal: m.internal,
          arguments: m.arguments,
        });
        if (!m.noWait) out.method(this.id, M.encodeExchangeDeclareOk, {});
        return;
      }
      case 'exchange.delete':
        // The default and amq.* exchanges are refused by the vhost before permissions, as in RabbitMQ.
        if (m.exchange !== '' && !m.exchange.startsWith('amq.'))
          this.access.configure('exchange', m.exchange);
        vhost.deleteExchange(m.exchange, m.ifUnused);
        if (!m.noWait) out.method(this.id, M.encodeExchangeDeleteOk, {});
        return;
      case 'exchange.bind':
        this.access.bind(vhost, m.source, 'exchange', m.destination, m.routingKey);
        vhost.exchange(m.source);
        vhost.bind(m.source, vhost.exchange(m.destination), m.routingKey, m.arguments);
        if (!m.noWait) out.method(this.id, M.encodeExchangeBindOk, {});
        return;
      case 'exchange.unbind': {
        this.access.bind(vhost, m.source, 'exchange', m.destination, m.routingKey);
        const dest = vhost.exchanges.get(m.destination === 'amq.default' ? '' : m.destination);
        if (dest) vhost.unbind(m.source, dest, m.routingKey, m.arguments);
        if (!m.noWait) out.method(this.id, M.encodeExchangeUnbindOk, {});
        return;
      }

      case 'queue.declare': {
        if (isReplyQueueName(m.queue)) {
          const rq = directReplyTo(this.session.broker).declare(vhost.name, m.queue);
          this.lastQueue = rq;
          if (!m.noWait) {
            out.method(this.id, M.encodeQueueDeclareOk, { queue: rq, messageCount: 0, consumerCount: 1 });
          }
          return;
        }
        const name = m.queue === '' ? VHost.generateQueueName() : m.queue;
        if (!m.passive || m.queue === '') this.access.queueDeclare(vhost, name, m.queue === '', m.arguments);
        const q = vhost.declareQueue(
          {
            name,
            serverNamed: m.queue === '',
            passive: m.passive && m.queue !== '',
            durable: m.durable,
            exclusive: m.exclusive,
            autoDelete: m.autoDelete,
            arguments: m.arguments,
          },
          this.session,
        );
        this.lastQueue = q.name;
        if (!m.noWait) {
          out.method(this.id, M.encodeQueueDeclareOk, {
            queue: q.name,
            messageCount: q.messageCount,
            consumerCount: q.consumerCount,
          });
        }
        return;
      }
      case 'queue.bind': {
        const name = this.queueName(m.queue);
        const key = m.queue === '' && m.routingKey === '' ? name : m.routingKey;
        this.access.bind(vhost, m.exchange, 'queue', name, key);
        const q = vhost.queue(name, this.session);
        vhost.bind(m.exchange, q, key, m.arguments);
        if (!m.noWait) out.method(this.id, M.encodeQueueBindOk, {});
        return;
      }
      case 'queue.unbind': {
        // Unbinding a missing queue is not an error in RabbitMQ; another connection's exclusive one is.
        this.access.bind(vhost, m.exchange, 'queue', this.queueName(m.queue), m.routingKey);
        const q = vhost.queues.get(this.queueName(m.queue));
        if (q) vhost.unbind(m.exchange, vhost.queue(q.name, this.session), m.routingKey, m.arguments);
        out.method(this.id, M.encodeQueueUnbindOk, {});
        return;
      }
      case 'queue.purge': {
        this.access.read('queue', this.queueName(m.queue));
        const q = vhost.queue(this.queueName(m.queue), this.session);
        const n = q.purge();
        if (!m.noWait) out.method(this.id, M.encodeQueuePurgeOk, { messageCount: n });
        return;
      }
      case 'queue.delete': {
        this.access.configure('queue', this.queueName(m.queue));
        const n = vhost.deleteQueue(this.queueName(m.queue), this.session, m.ifUnused, m.ifEmpty);
        if (!m.noWait) out.method(this.id, M.encodeQueueDeleteOk, { messageCount: n });
        return;
      }

      case 'basic.qos':
        if (m.prefetchSize !== 0) throw notImplemented(`prefetch_size!=0 (${m.prefetchSize})`);
        if (m.global) this.channelPrefetch = m.prefetchCount;
        else this.consumerQos = m.prefetchCount;
        out.method(this.id, M.encodeBasicQosOk, {});
        // A larger window may let waiting messages through now.
        this.resume();
        return;
      case 'basic.consume':
        this.consume(m);
        return;
      case 'basic.cancel': {
        const c = this.consumers.get(m.consumerTag);
        if (this.replyConsumer?.tag === m.consumerTag) {
          // RabbitMQ looks at the reply consumer first, even if an ordinary one has the same tag.
          this.replyConsumer.stop();
          this.replyConsumer = undefined;
        } else if (c) {
          this.consumers.delete(m.consumerTag);
          c.queue.removeConsumer(c);
        }
        if (!m.noWait) out.method(this.id, M.encodeBasicCancelOk, { consumerTag: m.consumerTag });
        return;
      }
      case 'basic.publish': {
        if (m.immediate) throw notImplemented('immediate=true');
        // RabbitMQ's order: write permission (even on a missing exchange), lookup, internal, topic.
        const grant = this.access.publish(m.exchange);
        const ex = vhost.exchange(m.exchange);
        if (ex.internal) {
          throw accessRefused(`cannot publish to internal exchange '${m.exchange}' in vhost '${vhost.name}'`);
        }
        this.access.publishTopic(grant, ex, m.routingKey);
        this.pending = {
          exchange: ex,
          routingKey: m.routingKey,
          mandatory: m.mandatory,
          properties: undefined,
          decoded: undefined,
          bodySize: 0,
          body: undefined,
          pooled: false,
          received: 0,
        };
        return;
      }
      case 'basic.get':
        this.get(m.queue, m.noAck);
        return;
      case 'basic.ack': {
        const ds = this.unacked.take(m.deliveryTag, m.multiple);
        if (this.tx) this.tx.push({ kind: 'ack', deliveries: ds });
        else this.settle(ds);
        return;
      }
      case 'basic.reject': {
        const ds = this.unacked.take(m.deliveryTag, false);
        if (this.tx) this.tx.push({ kind: 'reject', deliveries: ds, requeue: m.requeue });
        else this.reject(ds, m.requeue);
        return;
      }
      case 'basic.nack': {
        const ds = this.unacked.take(m.deliveryTag, m.multiple);
        if (this.tx) this.tx.push({ kind: 'reject', deliveries: ds, requeue: m.requeue });
        else this.reject(ds, m.requeue);
        return;
      }
      case 'basic.recover-async':
      case 'basic.recover':
        if (!m.requeue) throw notImplemented('requeue=false');
        this.reject(this.unacked.drain(), true);
        if (m.kind === 'basic.recover') out.method(this.id, M.encodeBasicRecoverOk, {});
        return;

      case 'confirm.select':
        if (this.tx) throw preconditionFailed('cannot switch from tx to confirm mode');
        this.confirms ??= new Confirms((kind, seq, multiple) => {
          if (this.state !== 'open') return;
          const args = { deliveryTag: seq, multiple };
          if (kind === 'ack') this.session.out.method(this.id, M.encodeBasicAck, args);
          else this.session.out.method(this.id, M.encodeBasicNack, { ...args, requeue: false });
        }, this.stats);
        if (!m.nowait) out.method(this.id, M.encodeConfirmSelectOk, {});
        return;
      case 'tx.select':
        if (this.confirms) throw preconditionFailed('cannot switch from confirm to tx mode');
        this.tx ??= [];
        out.method(this.id, M.encodeTxSelectOk, {});
        return;
      case 'tx.commit':
        if (!this.tx) throw preconditionFailed('channel is not transactional');
        this.commit();
        out.method(this.id, M.encodeTxCommitOk, {});
        return;
      case 'tx.rollback':
        if (!this.tx) throw preconditionFailed('channel is not transactional');
        // Acks taken out of the unacked set go back to it: a rolled-back ack never happened.
        for (const op of this.tx) if (op.kind !== 'publish') this.unacked.restore(op.deliveries);
        this.tx = [];
        out.method(this.id, M.encodeTxRollbackOk, {});
        return;

      // Methods only a server sends, or connection-class methods on a channel.
      case 'connection.start':
      case 'connection.start-ok':
      case 'connection.secure':
      case 'connection.secure-ok':
      case 'connection.tune':
      case 'connection.tune-ok':
      case 'connection.open':
      case 'connection.open-ok':
      case 'connection.close':
      case 'connection.close-ok':
      case 'connection.blocked':
      case 'connection.unblocked':
      case 'connection.update-secret':
      case 'connection.update-secret-ok':
      case 'channel.open-ok':
      case 'exchange.declare-ok':
      case 'exchange.delete-ok':
      case 'exchange.bind-ok':
      case 'exchange.unbind-ok':
      case 'queue.declare-ok':
      case 'queue.bind-ok':
      case 'queue.unbind-ok':
      case 'queue.purge-ok':
      case 'queue.delete-ok':
      case 'basic.qos-ok':
      case 'basic.consume-ok':
      case 'basic.cancel-ok':
      case 'basic.return':
      case 'basic.deliver':
      case 'basic.get-ok':
      case 'basic.get-empty':
      case 'basic.recover-ok':
      case 'confirm.select-ok':
      case 'tx.select-ok':
      case 'tx.commit-ok':
      case 'tx.rollback-ok':
        throw commandInvalid(`unexpected method ${m.kind} on channel ${this.id}`);
      default: {
        const never: never = m;
        throw commandInvalid(`unknown method ${(never as M.Method).kind}`);
      }
    }
  }

  private queueName(name: string): string {
    if (name !== '') return name;
    if (this.lastQueue === '') throw notFound('no previously declared queue');
    return this.lastQueue;
  }

  // ---------- publishing ----------

  private completePublish(p: PendingPublish, body: Buffer): void {
    this.pending = undefined;
    let msg = new Message(p.exchange.name, p.routingKey, p.properties as Buffer, body, p.decoded);
    if (p.pooled && body === p.body) msg.fromPool();
    if (p.decoded?.replyTo === REPLY_QUEUE) msg = withReplyAddress(msg, this.replyConsumer);
    if (msg.has(M.BASIC_PROPERTY_FLAG.userId)) {
      const uid = msg.properties.userId;
      // A user tagged `impersonator` may publish on behalf of others, as in RabbitMQ.
      if (uid !== this.session.user.name && !this.session.user.tags.includes('impersonator')) {
        throw preconditionFailed(
          `user_id property set to '${String(uid)}' but authenticated user was '${this.session.user.name}'`,
        );
      }
    }
    if (msg.has(M.BASIC_PROPERTY_FLAG.expiration)) validateExpiration(msg.properties.expiration);
    this.stats.publish++;
    this.session.published();
    if (this.tx) {
      this.tx.push({
        kind: 'publish',
        exchange: p.exchange,
        routingKey: p.routingKey,
        mandatory: p.mandatory,
        msg,
      });
      return;
    }
    this.route(p.exchange, p.routingKey, p.mandatory, msg);
  }

  private route(exchange: Exchange, routingKey: string, mandatory: boolean, published: Message): void {
    let seq = 0;
    if (this.confirms) {
      seq = this.confirms.next();
      this.stats.receivedConfirm++;
    }
    const routed = publishMessage(this.session.vhost, exchange, routingKey, published);
    if (routed) {
      this.stats.routed++;
      this.confirmRouted(seq, routed.accepted, routed.ref);
      return;
    }
    if (mandatory) {
      this.stats.returnUnroutable++;
      this.session.out.method(this.id, M.encodeBasicReturn, {
        replyCode: ReplyCode.NoRoute,
        replyText: 'NO_ROUTE',
        exchange: exchange.name,
        routingKey,
      });
      this.session.out.content(this.id, 60, published.rawProperties, published.body);
      if (this.confirms) {
        // RabbitMQ sends the return and then that publish's own ack, not a batched one later.
        this.confirms.ack(seq);
        this.confirms.flush();
      }
      return;
    }
    this.stats.dropUnroutable++;
    this.confirms?.ack(seq);
  }

  /** Nack if a queue refused the message; ack once its record is on disk if it was stored; else now. */
  private confirmRouted(seq: number, accepted: boolean, ref: MessageRef | undefined): void {
    if (!this.confirms) return;
    if (!accepted) this.confirms.nack(seq);
    else if (ref) this.session.broker.store?.whenSynced(this.confirms.defer(seq));
    else this.confirms.ack(seq);
  }

  private commit(): void {
    const ops = this.tx ?? [];
    this.tx = [];
    for (const op of ops) {
      if (op.kind === 'publish') this.route(op.exchange, op.routingKey, op.mandatory, op.msg);
      else if (op.kind === 'ack') this.settle(op.deliveries);
      else this.reject(op.deliveries, op.requeue);
    }
  }

  // ---------- consuming ----------

  private consume(m: M.BasicConsume): void {
    const vhost = this.session.vhost;
    const name = this.queueName(m.queue);
    const tag =
      m.consumerTag === '' ? `amq.ctag-${randomBytes(16).toString('base64url').slice(0, 22)}` : m.consumerTag;
    if (this.consumers.has(tag)) {
      throw new AmqpError(ReplyCode.NotAllowed, `attempt to reuse consumer tag '${tag}'`);
    }
    // amq.rabbitmq.reply-to is no queue (and needs no permission, as in RabbitMQ): undefined here
    // means a direct reply-to consumer.
    if (name !== REPLY_QUEUE) this.access.read('queue', name);
    const q = name === REPLY_QUEUE ? undefined : vhost.queue(name, this.session);
    if (!q) {
      this.replyConsumer = startReplyConsumer(this.session.broker, this.replyConsumer, this, tag, m.noAck);
      if (!m.noWait) this.session.out.method(this.id, M.encodeBasicConsumeOk, { consumerTag: tag });
      return;
    }
    const c = new ChannelConsumer(this, q, tag, m.noAck, m.exclusive, m.arguments, this.consumerQos);
    q.addConsumer(c);
    this.consumers.set(tag, c);
    if (!m.noWait) this.session.out.method(this.id, M.encodeBasicConsumeOk, { consumerTag: tag });
    q.dispatch();
  }

  /** The socket and flow state allow deliveries on this channel. */
  canDeliver(): boolean {
    return this.state === 'open' && this.flowActive && this.session.writable();
  }

  hasChannelCredit(): boolean {
    return this.channelPrefetch === 0 || this.unacked.size < this.channelPrefetch;
  }

  deliver(c: ChannelConsumer, queue: Queue, entry: QueueEntry): void {
    const tag = this.nextDeliveryTag++;
    if (!c.noAck) this.unacked.track(tag, queue, entry, c.tag);
    const msg = entry.msg as Message; // the queue delivers only entries whose body is in memory
    const out = this.session.out;
    out.method(this.id, M.encodeBasicDeliver, {
      consumerTag: c.tag,
      deliveryTag: tag,
      redelivered: entry.redelivered,
      exchange: msg.exchange,
      routingKey: msg.routingKey,
    });
    out.content(this.id, 60, propertiesFor(queue, entry, msg), msg.lend(), msg.onLoan ? msg : undefined);
    if (c.noAck) this.stats.deliverNoAck++;
    else this.stats.deliver++;
    if (entry.redelivered) this.stats.redeliver++;
  }

  /**
   * A direct reply-to reply (direct-reply-to.ts). Not flow-controlled and never acked; as RabbitMQ
   * does, it carries the channel's next delivery tag without using it up, so the next ordinary
   * delivery gets the same tag.
   */
  deliverReply(consumerTag: string, msg: Message): void {
    // A requester that stops reading cannot slow its repliers down: drop, as for a gone requester.
    if (this.state !== 'open' || !this.session.acceptsReplies()) return;
    const out = this.session.out;
    out.method(this.id, M.encodeBasicDeliver, {
      consumerTag,
      deliveryTag: this.nextDeliveryTag,
      redelivered: false,
      exchange: msg.exchange,
      routingKey: msg.routingKey,
    });
    out.content(this.id, 60, msg.rawProperties, msg.body);
    this.stats.deliverNoAck++;
  }

  private get(queueName: string, noAck: boolean): void {
    this.access.read('queue', this.queueName(queueName));
    const q = this.session.vhost.queue(this.queueName(queueName), this.session);
    if (!q.headReady()) {
      // The message is on disk only: park this channel's frames until it has been read back, so
      // get-ok and everything after it keep their order. Other channels carry on meanwhile.
      const token: (() => void)[] = [];
      this.parked = token;
      q.whenHeadReady(() => {
        if (this.parked !== token) return; // the channel closed meanwhile
        this.parked = undefined;
        this.session.guard(this.id, () => this.get(queueName, noAck));
        this.replay(token);
      });
      return;
    }
    const out = this.session.out;
    const entry = q.get(noAck);
    const msg = entry?.msg;
    if (!entry || !msg) {
      this.stats.getEmpty++;
      out.method(this.id, M.encodeBasicGetEmpty, {});
      return;
    }
    const tag = this.nextDeliveryTag++;
    if (!noAck) this.unacked.track(tag, q, entry, undefined);
    out.method(this.id, M.encodeBasicGetOk, {
      deliveryTag: tag,
      redelivered: entry.redelivered,
      exchange: msg.exchange,
      routingKey: msg.routingKey,
      messageCount: q.messageCount,
    });
    out.content(this.id, 60, propertiesFor(q, entry, msg), msg.lend(), msg.onLoan ? msg : undefined);
    this.session.answered();
    if (noAck) this.stats.getNoAck++;
    else this.stats.get++;
    if (entry.redelivered) this.stats.redeliver++;
  }

  private releaseCredit(ds: Delivery[]): void {
    for (const d of ds) {
      if (d.consumerTag === undefined) continue;
      const c = this.consumers.get(d.consumerTag);
      if (c) c.unacked--;
    }
  }

  private settle(ds: Delivery[]): void {
    this.releaseCredit(ds);
    for (const d of ds) {
      d.queue.settle(d.entry);
      // Acked: the broker is done with the message, and its body may go back to the pool.
      d.entry.msg?.release(true, false);
    }
    this.stats.ack += ds.length;
    this.resume();
  }

  private reject(ds: Delivery[], requeue: boolean): void {
    this.releaseCredit(ds);
    if (requeue) requeueAll(ds);
    else for (const d of ds) d.queue.rejected(d.entry);
    this.resume();
  }

  /** Asks the queues this channel consumes from to deliver again (credit or socket space freed). */
  resume(): void {
    if (this.consumers.size === 0) return;
    if (this.consumers.size === 1) {
      for (const c of this.consumers.values()) c.queue.dispatch();
      return;
    }
    const seen = new Set<Queue>();
    for (const c of this.consumers.values()) {
      if (seen.has(c.queue)) continue;
      seen.add(c.queue);
      c.queue.dispatch();
    }
  }

  consumerCancelledByQueue(c: ChannelConsumer): void {
    this.consumers.delete(c.tag);
    if (this.state === 'open' && this.session.consumerCancelNotify) {
      this.session.out.method(this.id, M.encodeBasicCancel, { consumerTag: c.tag, noWait: true });
    }
  }

  // ---------- closing ----------

  /** Server-initiated close for a soft error: tell the client, drop our state, await close-ok. */
  close(err: AmqpError): void {
    if (this.state === 'closing') return;
    this.teardown();
    this.state = 'closing';
    this.session.out.method(this.id, M.encodeChannelClose, {
      replyCode: err.code,
      replyText: err.replyText,
      classId: err.classId,
      methodId: err.methodId,
    });
  }

  /**
   * Releases everything the channel holds: consumers cancelled, unacked messages requeued (marked
   * redelivered), pending publish and transaction dropped. Safe to call more than once.
   */
  teardown(): void {
    this.pending = undefined;
    this.parked = undefined;
    this.confirms?.close();
    this.tx = this.tx ? [] : undefined;
    for (const c of this.consumers.values()) c.queue.removeConsumer(c);
    this.consumers.clear();
    this.replyConsumer?.stop();
    this.replyConsumer = undefined;
    requeueAll(this.unacked.drain());
  }

  private finish(): void {
    this.session.channelClosed(this.id);
  }
}

/** The properties to send: the publisher's, plus x-delivery-count on a delivery-limited redelivery. */
function propertiesFor(queue: Queue, entry: QueueEntry, msg: Message): Buffer {
  if (entry.returns === 0 || queue.settings.deliveryLimit === undefined) return msg.rawProperties;
  return withDeliveryCount(msg.rawProperties, entry.returns);
}
