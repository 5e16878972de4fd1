/**
 * What a queue needs from whoever consumes it. The AMQP channel implements this; the core never sees
 * frames. A queue asks `canTake()` before each delivery (prefetch credit, channel flow, a full socket)
 * and the consumer's owner calls `queue.dispatch()` again when it can take more.
 */
import type { Queue, QueueEntry } from './queue/queue.js';

export interface Consumer {
  readonly tag: string;
  readonly noAck: boolean;
  readonly exclusive: boolean;
  readonly arguments: Record<string, unknown>;
  /** connection that owns this consumer, for listings */
  readonly ownerId: number;
  /** the channel number on that connection, for listings */
  readonly channelNumber: number;
  /** its prefetch limit (basic.qos global=false when it was created); 0 = none */
  readonly prefetch: number;
  canTake(): boolean;
  /** hand over one message; the consumer tracks it until acked (unless noAck) */
  deliver(queue: Queue, entry: QueueEntry): void;
  /** the queue went away (deleted): tell the client, forget the consumer */
  cancelledByQueue(queue: Queue): void;
}
