/**
 * The message store: where persistent messages of durable queues (and, later, message bodies paged out
 * of memory) live on disk. This file is the contract; `segment-store.ts` implements it.
 *
 * Identity: every stored message has a `MessageRef` (segment number, byte offset and record size),
 * assigned at append time. One append serves every durable queue the message was routed to, so a
 * message fanned out to ten queues is written once.
 *
 * Durability: `append`, `ack`, `delivered`, `returned` and `dropQueue` only buffer. Nothing is
 * promised to be on disk until the callback given to `whenSynced` runs: the store writes and fsyncs
 * buffered records in batches (group commit), so many publishes share one fsync. Acks and marks are
 * never waited on (at-least-once).
 */

/** Where a stored message is: small value type, safe to keep per queue entry. */
export interface MessageRef {
  readonly segment: number;
  readonly offset: number;
  /** size of the whole record in bytes */
  readonly size: number;
}

export interface StoredMessage {
  readonly exchange: string;
  readonly routingKey: string;
  /** content-header property flags word and properties, raw as received */
  readonly properties: Buffer;
  readonly body: Buffer;
  /**
   * When the message entered the broker, ms since the epoch (a non-negative integer). Stored only
   * when given, for what must be computed from it after a restart: per-message TTL expiry, the due
   * time of a delayed message. `read()` and recovery return it as stored.
   */
  readonly arrivedAt?: number;
}

/** One message of one queue as found at startup, in queue order. */
export interface RecoveredEntry {
  readonly ref: MessageRef;
  /** delivered (or possibly delivered) before the restart: comes back redelivered */
  readonly redelivered: boolean;
  /** filled when the store chose to load it eagerly; otherwise read with `read(ref)` */
  readonly message: StoredMessage | undefined;
  /** the message's `arrivedAt`, if it was appended with one (also there when `message` is not) */
  readonly arrivedAt?: number;
  /** the latest count given to `returned()` for this queue and message; absent if never returned */
  readonly deliveryCount?: number;
  /**
   * The raw properties of a message left on disk (`message` undefined) when they carry what a queue
   * needs to place it at startup: a priority or an expiration. Absent otherwise, to keep recovery of
   * a large backlog lean.
   */
  readonly properties?: Buffer;
}

export interface RecoveryReport {
  /** queue id -> its messages in original order */
  readonly queues: Map<number, RecoveredEntry[]>;
  /** records dropped: torn tails and corrupt records, with where and why, for the log */
  readonly dropped: { segment: number; offset: number; reason: string }[];
  readonly segments: number;
  readonly durationMs: number;
}

export interface MessageStore {
  /** Scans the data directory, repairs torn tails, and returns every live message per queue. */
  open(): Promise<RecoveryReport>;
  /** Buffers a message for the given queues (ids of durable queues), returning its ref. */
  append(queueIds: readonly number[], message: StoredMessage): MessageRef;
  /** The message left this queue for good (ack, reject without requeue, purge, drop by max-length). */
  ack(queueId: number, ref: MessageRef): void;
  /** The message was handed to a consumer: after a crash it comes back marked redelivered. */
  delivered(queueId: number, ref: MessageRef): void;
  /**
   * The message went back to this queue unacked (nack or reject with requeue, its channel closed)
   * for the `count`-th time: recovery reports the latest count as `deliveryCount`, and the message
   * as redelivered. Buffered like acks, never waited on: a crash may lose the latest counts.
   */
  returned(queueId: number, ref: MessageRef, count: number): void;
  /** The queue was deleted: all its messages are gone. */
  dropQueue(queueId: number): void;
  /** Runs `cb` once every record buffered before this call is on disk (fsynced). */
  whenSynced(cb: () => void): void;
  /** Reads a message back (for bodies not kept in memory). Never blocks the event loop. */
  read(ref: MessageRef): Promise<StoredMessage>;
  /**
   * Reads many messages back, results in the order given, each settled on its own. Neighbouring
   * records are fetched together, so this is the way to read a batch.
   */
  readMany(refs: readonly MessageRef[]): Promise<PromiseSettledResult<StoredMessage>[]>;
  /** Flushes, fsyncs and closes files. */
  close(): Promise<void>;
  /** bytes in segment files on disk, for stats */
  readonly diskBytes: number;
  /** bytes appended but not yet handed to a write: publishers are held past a limit (input-hold.ts) */
  readonly bufferedBytes: number;
}
