/** A basic.consume subscription: the core's Consumer, implemented on top of an AMQP channel. */
import type { Consumer } from '../core/consumer.js';
import type { Queue, QueueEntry } from '../core/queue/queue.js';
import type { Channel } from './channel.js';

export class ChannelConsumer implements Consumer {
  readonly tag: string;
  readonly noAck: boolean;
  readonly exclusive: boolean;
  readonly arguments: Record<string, unknown>;
  readonly queue: Queue;
  readonly channel: Channel;
  /** per-consumer prefetch (basic.qos global=false at the time of consume); 0 = unlimited */
  readonly prefetch: number;
  unacked = 0;

  constructor(
    channel: Channel,
    queue: Queue,
    tag: string,
    noAck: boolean,
    exclusive: boolean,
    args: Record<string, unknown>,
    prefetch: number,
  ) {
    this.channel = channel;
    this.queue = queue;
    this.tag = tag;
    this.noAck = noAck;
    this.exclusive = exclusive;
    this.arguments = args;
    this.prefetch = prefetch;
  }

  get ownerId(): number {
    return this.channel.session.id;
  }

  get channelNumber(): number {
    return this.channel.id;
  }

  canTake(): boolean {
    if (this.noAck) return this.channel.canDeliver();
    if (this.prefetch > 0 && this.unacked >= this.prefetch) return false;
    return this.channel.canDeliver() && this.channel.hasChannelCredit();
  }

  deliver(queue: Queue, entry: QueueEntry): void {
    if (!this.noAck) this.unacked++;
    this.channel.deliver(this, queue, entry);
  }

  cancelledByQueue(_queue: Queue): void {
    this.channel.consumerCancelledByQueue(this);
  }
}
