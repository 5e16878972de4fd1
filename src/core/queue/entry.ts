/** What a queue holds per message, and how a queue reaches the message store. */
import type { Message } from '../message.js';
import type { MessageRef, MessageStore } from '../../store/message-store.js';

export interface QueueEntry {
  /** the message; undefined while its body is paged out to the store (see pager.ts) */
  msg: Message | undefined;
  /** body bytes, known even while paged out */
  readonly size: number;
  /** position in this queue's arrival order; requeued entries go back by it */
  readonly seq: number;
  redelivered: boolean;
  /** where the message is in the store, if it was written there */
  ref: MessageRef | undefined;
  /** the store queue id `ref` is filed under (a durable id, or the queue's paging id) */
  storeId: number;
  /** the store was told this entry was delivered (written once) */
  markedDelivered: boolean;
  /** when the message expires here (ms since the epoch), 0 = never */
  readonly expiresAt: number;
  /** the lane (priority level) it waits in; 0 for a plain queue */
  readonly lane: number;
  /** times it came back to the queue unacked (for x-delivery-limit and x-delivery-count) */
  returns: number;
  /** this entry holds the message's pooled body (Message.holdForEntry); released once, in forget */
  bodyHeld: boolean;
}

/**
 * The message store as one queue sees it. `id` files persistent messages of a durable queue and is
 * recorded in the definitions; `pageId` files bodies paged out only to save memory (transient
 * messages, or any message of a non-durable queue). A paging id is never in the definitions, so
 * recovery drops what was filed under it: transient data does not survive a restart.
 */
export interface QueueStore {
  readonly id: number | undefined;
  readonly pageId: number;
  readonly store: MessageStore;
  /** shared by every queue of the broker: how many ready bodies may stay in memory */
  readonly budget: MemoryBudget;
}

/**
 * The broker-wide allowance for message bodies held in memory by ready lists. Queues page new
 * arrivals out once the total passes `limitBytes` (or one queue holds `maxLoaded` messages), so
 * paging happens under real memory pressure, not for every short backlog.
 */
export interface MemoryBudget {
  usedBytes: number;
  readonly limitBytes: number;
  readonly maxLoaded: number;
}
