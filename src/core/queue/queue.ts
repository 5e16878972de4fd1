/**
 * A classic queue: ready messages in arrival order (per priority lane), delivery to consumers that
 * have credit, requeue of unacked messages back to their original position, and RabbitMQ's queue
 * extensions: message TTL, queue TTL (x-expires), length limits with their overflow modes,
 * dead-lettering, delivery limits, priorities, consumer priorities and single active consumer.
 *
 * The queue does not track which consumer holds an unacked message: the channel that received it does
 * (that is where acks arrive). The queue only counts them, and takes them back with `requeue`.
 * With a message store attached, the queue files what leaves it for good (`forget`) and marks first
 * deliveries, and each lane's Pager keeps memory bounded by paging the bodies of a long backlog out.
 */
import type { Consumer } from '../consumer.js';
import type { DeadLetterReason } from '../dead-letter.js';
import { Message } from '../message.js';
import type { FieldTable } from '../../protocol/field-types.js';
import { accessRefused } from '../../protocol/errors.js';
import { validateConsumeArguments } from '../arguments.js';
import { BASIC_PROPERTY_FLAG } from '../../protocol/generated/methods.js';
import type { MessageRef } from '../../store/message-store.js';
import { ConsumerSet } from './consumer-set.js';
import type { QueueEntry, QueueStore } from './entry.js';
import { Lane } from './lane.js';
import { resolveQueueSettings, type PolicyDefinition, type QueueSettings } from './settings.js';
import { WakeTimer } from './timer.js';
import { steadyNow } from '../clock.js';
import { QueueCounters } from '../../stats/counters.js';

export type { QueueEntry, QueueStore } from './entry.js';

/**
 * Expired messages at the head of a lane go at their expiry time; ones stuck behind a message that
 * expires later (or never) are swept out of the middle at most this long after they expire, so they
 * stop counting and free their memory. RabbitMQ only ever expires from the head.
 */
export const EXPIRY_SWEEP_MS = 1000;

const EMPTY = Buffer.alloc(0);

export interface QueueOwner {
  readonly id: number;
}

export interface QueueOptions {
  name: string;
  vhost: string;
  durable: boolean;
  exclusiveOwner: QueueOwner | null;
  autoDelete: boolean;
  arguments: FieldTable;
}

/** Callbacks a queue makes into its vhost. */
export interface QueueHost {
  /** the last consumer of an auto-delete queue went away */
  autoDelete(queue: Queue): void;
  /** x-expires: the queue was unused for its whole expiry period */
  expired(queue: Queue): void;
  /** messages leave the queue for its dead-letter exchange, in this order */
  deadLetter(queue: Queue, messages: Message[], reason: DeadLetterReason): void;
  /** a consumer was attached (true) or went away (false): control-plane events only */
  consumerChanged(queue: Queue, consumer: Consumer, added: boolean): void;
}

export class Queue {
  readonly destinationKind = 'queue';
  readonly name: string;
  readonly vhost: string;
  readonly durable: boolean;
  readonly exclusiveOwner: QueueOwner | null;
  readonly autoDelete: boolean;
  readonly arguments: FieldTable;
  private readonly host: QueueHost;
  /** effective settings (arguments combined with the applying policy) */
  settings: QueueSettings;
  /** name of the policy that applies, for listings; undefined when none */
  policy: string | undefined;

  /** one lane per priority level; lane 0 only for a plain queue */
  private readonly lanes: Lane[];
  /** highest lane that may be non-empty */
  private top = 0;
  private readyCount = 0;
  private readyBytes = 0;
  private nextSeq = 1;
  /** delivered, not yet acked (held by channels) */
  unackedCount = 0;
  /** body bytes of those, for stats (message_bytes_unacknowledged) */
  unackedBytes = 0;
  private readonly consumerSet: ConsumerSet;
  private hadConsumer = false;
  private dispatching = false;
  deleted = false;
  private storeValue: QueueStore | undefined;
  /** loaded ready bytes last reported to the broker's memory budget */
  private reportedLoaded = 0;

  /** message expiry: at the earliest head expiry, or the next sweep of the middle */
  private readonly expiryTimer = new WakeTimer(() => this.expireNow());
  /** some ready entry expires before an entry ahead of it: only a sweep finds it */
  private needSweep = false;
  private lastSweep = 0;
  /** per lane: the latest expiry pushed so far (Infinity once a never-expiring entry was pushed) */
  private readonly laneMaxExpiry: number[];
  /** x-expires: when the queue was last used (consumer, get, declare) */
  private lastUsed = steadyNow();
  private readonly idleTimer = new WakeTimer(() => this.checkIdle());

  /** message_stats counters (src/stats) */
  readonly stats = new QueueCounters();

  constructor(opts: QueueOptions, host: QueueHost) {
    this.name = opts.name;
    this.vhost = opts.vhost;
    this.durable = opts.durable;
    this.exclusiveOwner = opts.exclusiveOwner;
    this.autoDelete = opts.autoDelete;
    this.arguments = opts.arguments;
    this.host = host;
    this.settings = resolveQueueSettings(opts.arguments, undefined);
    this.policy = undefined;
    const levels = (this.settings.maxPriority ?? 0) + 1;
    this.lanes = Array.from({ length: levels }, () => new Lane());
    this.laneMaxExpiry = new Array<number>(levels).fill(0);
    this.consumerSet = new ConsumerSet(this.settings.singleActiveConsumer);
    this.armIdle();
  }

  /**
   * A policy now applies to this queue (or none, with undefined): settings are recomputed and take
   * effect at once. A new message TTL applies to messages that arrive from now on (as in RabbitMQ);
   * a lower length limit drops (or dead-letters) the excess now; a new x-expires restarts the clock.
   */
  applyPolicy(name: string | undefined, definition: PolicyDefinition | undefined): void {
    this.policy = name;
    this.settings = resolveQueueSettings(this.arguments, definition);
    if (this.deleted) return;
    this.idleTimer.cancel();
    this.armIdle();
    this.enforceDropHead();
  }

  private enforceDropHead(): void {
    const s = this.settings;
    if (s.overflow !== 'drop-head' || (s.maxLength === undefined && s.maxLengthBytes === undefined)) return;
    this.discard(this.dropHeads(), 'maxlen');
  }

  /** The message store, once storage attached one (durable id and/or paging id). */
  get store(): QueueStore | undefined {
    return this.storeValue;
  }

  set store(s: QueueStore | undefined) {
    if (this.storeValue) this.storeValue.budget.usedBytes -= this.reportedLoaded;
    this.reportedLoaded = 0;
    this.storeValue = s;
    for (const lane of this.lanes) {
      lane.attach(
        s,
        () => this.consumerSet.size > 0,
        () => {
          this.account();
          this.dispatch();
        },
        (e) => this.dropCorrupt(e),
      );
    }
  }

  /** the store id for persistent messages, when this queue is durable and storage is on */
  get durableStoreId(): number | undefined {
    return this.storeValue?.id;
  }

  get messageCount(): number {
    return this.readyCount;
  }

  get messageBytes(): number {
    return this.readyBytes;
  }

  /** ready messages whose bodies are on disk only */
  get pagedCount(): number {
    let n = 0;
    for (const lane of this.lanes) n += lane.pagedCount;
    return n;
  }

  /** bytes of ready messages whose bodies are on disk only */
  get pagedBytes(): number {
    let n = 0;
    for (const lane of this.lanes) n += lane.pagedBytes;
    return n;
  }

  get consumerCount(): number {
    return this.consumerSet.size;
  }

  get consumers(): readonly Consumer[] {
    return this.consumerSet.all;
  }

  /** Under single-active-consumer, the consumer currently receiving. */
  get activeConsumer(): Consumer | undefined {
    return this.consumerSet.active;
  }

  /** Reports the change in bodies held in memory to the broker's budget. */
  private account(): void {
    const s = this.storeValue;
    if (!s) return;
    let paged = 0;
    for (let i = 0; i <= this.top; i++) paged += (this.lanes[i] as Lane).pagedBytes;
    const loaded = this.readyBytes - paged;
    s.budget.usedBytes += loaded - this.reportedLoaded;
    this.reportedLoaded = loaded;
  }

  // ---------- arrival ----------

  private laneFor(msg: Message): number {
    const max = this.lanes.length - 1;
    if (max === 0 || !msg.has(BASIC_PROPERTY_FLAG.priority)) return 0;
    const p = msg.properties.priority ?? 0;
    return p > max ? max : p;
  }

  /** When a message arriving now expires in this queue: the lower of queue TTL and its expiration. */
  private expiryFor(msg: Message, now: number): number {
    let ttl = this.settings.messageTtl;
    if (msg.has(BASIC_PROPERTY_FLAG.expiration)) {
      const e = Number(msg.properties.expiration);
      if (Number.isFinite(e) && e >= 0 && (ttl === undefined || e < ttl)) ttl = e;
    }
    return ttl === undefined ? 0 : now + ttl;
  }

  /**
   * Adds a routed message and delivers it at once if a consumer can take it. `ref` is its record in
   * the store when it was persisted for this (durable) queue. Returns false when the queue is full
   * and its overflow mode refuses new messages (the publisher gets a nack; with reject-publish-dlx
   * the message is also dead-lettered); with drop-head (the default) the oldest ready messages make
   * room and are dead-lettered with reason maxlen.
   */
  enqueue(msg: Message, ref?: MessageRef): boolean {
    const storeId = ref ? (this.storeValue?.id ?? 0) : 0;
    const s = this.settings;
    const limited = s.maxLength !== undefined || s.maxLengthBytes !== undefined;
    if (limited && s.overflow !== 'drop-head' && !this.fits(1, msg.bodySize)) {
      if (ref) this.storeValue?.store.ack(storeId, ref);
      if (s.overflow === 'reject-publish-dlx' && s.deadLetterExchange !== undefined) {
        this.host.deadLetter(this, [msg], 'maxlen');
      }
      return false;
    }
    const ttlActive = s.messageTtl !== undefined || msg.has(BASIC_PROPERTY_FLAG.expiration);
    const arrived = ttlActive ? steadyNow() : 0;
    const expiresAt = ttlActive ? this.expiryFor(msg, arrived) : 0;
    const entry: QueueEntry = {
      msg,
      size: msg.bodySize,
      seq: this.nextSeq++,
      redelivered: false,
      ref,
      storeId,
      markedDelivered: false,
      expiresAt,
      lane: this.laneFor(msg),
      returns: 0,
      bodyHeld: msg.holdForEntry(),
    };
    this.pushEntry(entry);
    this.account();
    this.stats.publish++;
    // Dispatched at its arrival time: a TTL-0 message goes to a waiting consumer (as in RabbitMQ) even
    // when the clock ticks over a millisecond before the dispatch loop reads it.
    if (this.consumerSet.size > 0) this.dispatch(arrived);
    if (expiresAt !== 0 && expiresAt <= steadyNow()) this.expireUntaken(entry);
    // drop-head: as in RabbitMQ the message is offered to consumers first, then the oldest ready
    // messages go until the queue is within its limits again (the new one too, if alone too big).
    if (limited) this.discard(this.dropHeads(), 'maxlen');
    return true;
  }

  private pushEntry(entry: QueueEntry): void {
    const lane = this.lanes[entry.lane] as Lane;
    lane.push(entry);
    this.readyCount++;
    this.readyBytes += entry.size;
    if (entry.lane > this.top) this.top = entry.lane;
    this.noteExpiry(entry);
  }

  /** Tracks whether expiry order still follows lane order, and arms the expiry timer. */
  private noteExpiry(entry: QueueEntry): void {
    const lane = entry.lane;
    const maxBefore = this.laneMaxExpiry[lane] as number;
    const e = entry.expiresAt;
    if (e === 0) {
      this.laneMaxExpiry[lane] = Infinity; // whatever expires behind it is out of order
      return;
    }
    if (e >= maxBefore) {
      this.laneMaxExpiry[lane] = e;
      if ((this.lanes[lane] as Lane).length === 1) this.expiryTimer.armAt(e + 1);
      return;
    }
    // Behind something that expires later: only a sweep of the middle will find it in time.
    this.needSweep = true;
    this.expiryTimer.armAt(Math.max(e + 1, this.lastSweep + EXPIRY_SWEEP_MS));
  }

  /** A TTL-0 (or already expired) message that no consumer took at once: it expires now. */
  private expireUntaken(entry: QueueEntry): void {
    const lane = this.lanes[entry.lane] as Lane;
    const last = lane.items.at(lane.length - 1);
    if (last !== entry) return; // delivered (or moved) meanwhile
    lane.popNewest();
    this.readyCount--;
    this.readyBytes -= entry.size;
    this.account();
    this.discard([entry], 'expired');
  }

  private fits(count: number, bytes: number): boolean {
    const s = this.settings;
    return (
      (s.maxLength === undefined || this.readyCount + count <= s.maxLength) &&
      (s.maxLengthBytes === undefined || this.readyBytes + bytes <= s.maxLengthBytes)
    );
  }

  /** Takes heads off until the queue is within its length limits again. */
  private dropHeads(): QueueEntry[] {
    const dropped: QueueEntry[] = [];
    while (this.readyCount > 0 && !this.fits(0, 0)) {
      const e = this.take();
      if (!e) break;
      dropped.push(e);
    }
    if (dropped.length > 0) this.account();
    return dropped;
  }

  /**
   * Puts back a message recovered from the store at startup, in its original order. `msg` is
   * undefined when the store left the body on disk (then `extra.properties`, when the store kept
   * them, still give the priority and expiration); past the memory limit bodies are paged anyway.
   * Expiry counts from the original arrival, so a restart does not extend a message's TTL.
   */
  restore(
    msg: Message | undefined,
    ref: MessageRef,
    storeId: number,
    redelivered: boolean,
    size: number,
    extra: {
      arrivedAt?: number | undefined;
      returns?: number | undefined;
      properties?: Buffer | undefined;
    } = {},
  ): void {
    const props = msg ?? (extra.properties ? new Message('', '', extra.properties, EMPTY) : undefined);
    const arrivedAt = extra.arrivedAt ?? steadyNow();
    let expiresAt = 0;
    if (props) expiresAt = this.expiryFor(props, arrivedAt);
    else if (this.settings.messageTtl !== undefined) expiresAt = arrivedAt + this.settings.messageTtl;
    const lane = props ? this.laneFor(props) : 0;
    const entry: QueueEntry = {
      msg,
      size,
      seq: this.nextSeq++,
      redelivered,
      ref,
      storeId,
      markedDelivered: redelivered,
      expiresAt,
      lane,
      returns: extra.returns ?? 0,
      bodyHeld: false,
    };
    (this.lanes[lane] as Lane).pushRestored(entry);
    this.readyCount++;
    this.readyBytes += size;
    if (lane > this.top) this.top = lane;
    this.noteExpiry(entry);
    this.account();
  }

  // ---------- leaving the ready list ----------

  /** The lane delivery takes from: the highest non-empty one. */
  private headLane(): Lane | undefined {
    while (this.top > 0 && (this.lanes[this.top] as Lane).length === 0) this.top--;
    const lane = this.lanes[this.top] as Lane;
    return lane.length > 0 ? lane : undefined;
  }

  private take(): QueueEntry | undefined {
    const lane = this.headLane();
    const entry = lane?.shift();
    if (entry) {
      this.readyCount--;
      this.readyBytes -= entry.size;
      if ((lane as Lane).length === 0) this.laneMaxExpiry[entry.lane] = 0;
      this.account();
    }
    return entry;
  }

  /** True when the next message for basic.get is in memory (or there is none). */
  headReady(): boolean {
    return this.headLane()?.headLoaded() ?? true;
  }

  /** Calls `cb` once the head message is in memory (at once when it is). */
  whenHeadReady(cb: () => void): void {
    const lane = this.headLane();
    if (!lane?.pager) cb();
    else lane.pager.whenHeadLoaded(cb);
  }

  /** Next ready message for basic.get, or undefined when empty. The head must be ready (headReady). */
  get(noAck: boolean): QueueEntry | undefined {
    this.touch();
    this.expireHeads(steadyNow());
    if (!this.headReady()) throw new Error('queue head is paged out: wait with whenHeadReady first');
    const entry = this.take();
    if (!entry) {
      this.stats.getEmpty++;
      return undefined;
    }
    if (noAck) this.stats.getNoAck++;
    else this.stats.get++;
    this.handedOut(entry, noAck);
    this.headLane()?.pager?.maybeLoad();
    return entry;
  }

  /** Bookkeeping for a message leaving the ready list towards a client. */
  private handedOut(entry: QueueEntry, noAck: boolean): void {
    if (entry.redelivered) this.stats.redeliver++;
    if (noAck) {
      this.forget(entry);
      return;
    }
    this.unackedCount++;
    this.unackedBytes += entry.size;
    const durableId = this.storeValue?.id;
    if (entry.ref && durableId !== undefined && entry.storeId === durableId && !entry.markedDelivered) {
      entry.markedDelivered = true;
      this.storeValue?.store.delivered(durableId, entry.ref);
    }
  }

  /** The message is gone from this queue for good: release it in the store. */
  private forget(entry: QueueEntry): void {
    if (entry.bodyHeld) {
      entry.bodyHeld = false;
      entry.msg?.entryGone();
    }
    if (entry.ref && this.storeValue) this.storeValue.store.ack(entry.storeId, entry.ref);
  }

  /**
   * Entries that left the queue for a reason other than delivery: to the dead-letter exchange when
   * there is one, then released. Paged bodies are read back first; the store record is released
   * only after the dead-lettered copy was routed (at-least-once across a crash).
   */
  private discard(entries: QueueEntry[], reason: DeadLetterReason): void {
    if (entries.length === 0) return;
    if (this.settings.deadLetterExchange === undefined) {
      for (const e of entries) this.forget(e);
      return;
    }
    if (entries.every((e) => e.msg !== undefined)) {
      this.host.deadLetter(
        this,
        entries.map((e) => e.msg as Message),
        reason,
      );
      for (const e of entries) this.forget(e);
      return;
    }
    const store = this.storeValue?.store;
    const paged = entries.filter((e) => e.msg === undefined && e.ref !== undefined);
    const reads = store ? store.readMany(paged.map((e) => e.ref as MessageRef)) : Promise.resolve([]);
    void reads.then((results) => {
      if (this.deleted) return; // the store dropped the whole queue already
      const loaded = new Map<QueueEntry, Message>();
      results.forEach((r, i) => {
        // A corrupt record is never delivered, nor dead-lettered.
        if (r.status === 'fulfilled') {
          const m = r.value;
          loaded.set(paged[i] as QueueEntry, new Message(m.exchange, m.routingKey, m.properties, m.body));
        }
      });
      const msgs: Message[] = [];
      for (const e of entries) {
        const m = e.msg ?? loaded.get(e);
        if (m) msgs.push(m);
      }
      if (msgs.length > 0) this.host.deadLetter(this, msgs, reason);
      for (const e of entries) this.forget(e);
    });
  }

  /** A record that could not be read back from disk is dropped, never delivered. */
  private dropCorrupt(entry: QueueEntry): void {
    const lane = this.lanes[entry.lane] as Lane;
    const removed = lane.removeWhere((e) => e === entry);
    if (removed.length === 0) return;
    this.readyCount--;
    this.readyBytes -= entry.size;
    this.account();
    this.forget(entry);
  }

  // ---------- expiry ----------

  /**
   * Expired heads go (delivery never hands out an expired message). "Expired" means strictly past
   * the expiry time, so a TTL-0 message can still go to a consumer that takes it at once.
   */
  private expireHeads(now: number): void {
    let expired: QueueEntry[] | undefined;
    for (let i = this.top; i >= 0; i--) {
      const lane = this.lanes[i] as Lane;
      for (;;) {
        const h = lane.items.peek();
        if (!h || h.expiresAt === 0 || h.expiresAt >= now) break;
        lane.shift();
        this.readyCount--;
        this.readyBytes -= h.size;
        (expired ??= []).push(h);
      }
    }
    if (expired) {
      this.account();
      this.discard(expired, 'expired');
    }
  }

  /** Timer: expire heads, sweep the middle when due, and arm for the next expiry. */
  private expireNow(): void {
    if (this.deleted) return;
    const now = steadyNow();
    this.expireHeads(now);
    let nextMiddle = Infinity;
    if (this.needSweep && now >= this.lastSweep + EXPIRY_SWEEP_MS) {
      this.lastSweep = now;
      nextMiddle = this.sweep(now);
      this.needSweep = nextMiddle !== Infinity;
    } else if (this.needSweep) {
      nextMiddle = this.lastSweep + EXPIRY_SWEEP_MS;
    }
    let next = nextMiddle === Infinity ? Infinity : Math.max(nextMiddle, this.lastSweep + EXPIRY_SWEEP_MS);
    for (let i = this.top; i >= 0; i--) {
      const h = (this.lanes[i] as Lane).items.peek();
      if (h && h.expiresAt !== 0 && h.expiresAt + 1 < next) next = h.expiresAt + 1;
    }
    if (next !== Infinity) this.expiryTimer.armAt(next);
    if (this.consumerSet.size > 0) this.dispatch();
  }

  /**
   * Removes expired entries from anywhere in the lanes in one pass each, and returns the earliest
   * expiry among entries still out of order (Infinity when none is: heads alone will do).
   */
  private sweep(now: number): number {
    let nextMiddle = Infinity;
    const expired: QueueEntry[] = [];
    for (let i = 0; i < this.lanes.length; i++) {
      const lane = this.lanes[i] as Lane;
      if (lane.length === 0) {
        this.laneMaxExpiry[i] = 0;
        continue;
      }
      const removed = lane.removeWhere((e) => e.expiresAt !== 0 && e.expiresAt < now);
      for (const e of removed) {
        this.readyCount--;
        this.readyBytes -= e.size;
        expired.push(e);
      }
      let max = 0;
      for (const e of lane.items) {
        const x = e.expiresAt === 0 ? Infinity : e.expiresAt;
        if (x < max && x < nextMiddle) nextMiddle = x;
        if (x > max) max = x;
      }
      this.laneMaxExpiry[i] = max;
    }
    if (expired.length > 0) {
      expired.sort((a, b) => a.seq - b.seq);
      this.account();
      this.discard(expired, 'expired');
    }
    return nextMiddle;
  }

  // ---------- x-expires ----------

  /** when the queue was last used (ms since the epoch), for listings (idle_since) */
  get lastUsedAt(): number {
    return this.lastUsed;
  }

  /** The queue was used (basic.get, redeclare, a consumer): restarts the x-expires clock. */
  touch(): void {
    this.lastUsed = steadyNow();
  }

  private armIdle(): void {
    const ttl = this.settings.expires;
    if (ttl === undefined || this.consumerSet.size > 0 || this.deleted) return;
    this.idleTimer.armAt(this.lastUsed + ttl);
  }

  private checkIdle(): void {
    const ttl = this.settings.expires;
    if (ttl === undefined || this.deleted || this.consumerSet.size > 0) return;
    if (steadyNow() >= this.lastUsed + ttl) this.host.expired(this);
    else this.armIdle();
  }

  // ---------- delivery ----------

  /**
   * Delivers ready messages to consumers with credit until either runs out. `at`: the time expiry is
   * judged at (0 = now).
   */
  dispatch(at = 0): void {
    // Deliveries can cause re-entrant calls (a consumer's deliver may close its channel); one loop
    // at a time keeps the round-robin state consistent.
    if (this.dispatching || this.deleted) return;
    this.dispatching = true;
    const consumers = this.consumerSet;
    let now = at;
    try {
      while (this.readyCount > 0 && consumers.size > 0) {
        const lane = this.headLane() as Lane;
        const head = lane.items.peek() as QueueEntry;
        if (head.expiresAt !== 0) {
          now ||= steadyNow();
          if (head.expiresAt < now) {
            this.expireHeads(now);
            continue;
          }
        }
        if (head.msg === undefined) break; // body still on disk
        const chosen = consumers.next();
        if (!chosen) break;
        const entry = this.take() as QueueEntry;
        if (chosen.noAck) this.stats.deliverNoAck++;
        else this.stats.deliver++;
        this.handedOut(entry, chosen.noAck);
        chosen.deliver(this, entry);
      }
    } finally {
      this.dispatching = false;
    }
    if (consumers.size > 0) this.headLane()?.pager?.maybeLoad();
  }

  /** An unacked message was acked: it is gone for good. */
  settle(entry: QueueEntry): void {
    this.unackedCount--;
    this.unackedBytes -= entry.size;
    this.stats.ack++;
    if (!this.deleted) this.forget(entry);
  }

  /** An unacked message was rejected (or nacked) without requeue: dead-lettered as 'rejected'. */
  rejected(entry: QueueEntry): void {
    this.unackedCount--;
    this.unackedBytes -= entry.size;
    if (!this.deleted) this.discard([entry], 'rejected');
  }

  /**
   * Unacked messages come back marked redelivered, in their original arrival order. Each lane is
   * sorted by arrival (delivery takes from the head, requeue inserts by seq), so a requeued entry
   * goes right where it was: usually at or near the head. Requeued entries are older than any paged
   * one, so they land in the loaded part. With x-delivery-limit, a message returned more often
   * than the limit is dead-lettered (reason delivery_limit) instead.
   */
  requeue(entries: QueueEntry[]): void {
    if (this.deleted) return;
    entries.sort((a, b) => b.seq - a.seq);
    const limit = this.settings.deliveryLimit;
    const durableId = this.storeValue?.id;
    let overLimit: QueueEntry[] | undefined;
    for (const e of entries) {
      this.unackedCount--;
      this.unackedBytes -= e.size;
      e.returns++;
      if (limit !== undefined && e.returns > limit) {
        (overLimit ??= []).push(e);
        continue;
      }
      if (limit !== undefined && e.ref && durableId !== undefined && e.storeId === durableId) {
        this.storeValue?.store.returned(durableId, e.ref, e.returns);
      }
      e.redelivered = true;
      (this.lanes[e.lane] as Lane).insertBySeq(e);
      this.readyCount++;
      this.readyBytes += e.size;
      if (e.lane > this.top) this.top = e.lane;
      if (e.expiresAt !== 0) {
        this.needSweep = true;
        this.expiryTimer.armAt(e.expiresAt + 1);
      }
    }
    this.account();
    if (overLimit) this.discard(overLimit.reverse(), 'delivery_limit');
    // Back over a length limit (x-max-length counts ready messages): with drop-head, heads go, as
    // in RabbitMQ; the reject modes only refuse new publishes.
    this.enforceDropHead();
    const now = steadyNow();
    this.expireHeads(now);
    if (this.consumerSet.size > 0) this.dispatch();
  }

  // ---------- consumers ----------

  addConsumer(consumer: Consumer): void {
    validateConsumeArguments(
      `queue '${this.name}' in vhost '${this.vhost}'`,
      consumer.arguments as FieldTable,
    );
    const list = this.consumerSet.all;
    // An exclusive consumer on a single-active-consumer queue is refused even when it would be the
    // first (RabbitMQ 3.10-3.13 do the same).
    const sacExclusive = consumer.exclusive && this.settings.singleActiveConsumer;
    if (sacExclusive || list.some((c) => c.exclusive) || (consumer.exclusive && list.length > 0)) {
      throw accessRefused(`queue '${this.name}' in vhost '${this.vhost}' in exclusive use`);
    }
    this.consumerSet.add(consumer);
    this.hadConsumer = true;
    this.idleTimer.cancel();
    this.host.consumerChanged(this, consumer, true);
  }

  removeConsumer(consumer: Consumer): void {
    if (!this.consumerSet.remove(consumer)) return;
    this.host.consumerChanged(this, consumer, false);
    if (this.consumerSet.size === 0) {
      this.touch();
      if (this.autoDelete && this.hadConsumer) {
        this.host.autoDelete(this);
        return;
      }
      this.armIdle();
    } else if (this.consumerSet.singleActive) {
      // The next consumer in line may have become the active one. Deferred: when a channel closes,
      // it removes its consumers before requeueing their unacked messages, and those must reach
      // the new active consumer first.
      queueMicrotask(() => this.dispatch());
    }
  }

  // ---------- purge and delete ----------

  /** Drops every ready message (unacked ones stay with their channels); returns how many. */
  purge(): number {
    const n = this.readyCount;
    const dropped: QueueEntry[] = [];
    for (const lane of this.lanes) for (const e of lane.clear()) dropped.push(e);
    this.readyCount = 0;
    this.readyBytes = 0;
    this.top = 0;
    this.laneMaxExpiry.fill(0);
    this.needSweep = false;
    this.account();
    if (this.storeValue && !this.deleted) for (const e of dropped) this.forget(e);
    return n;
  }

  /** Stops the queue's timers (broker shutdown): nothing fires after the broker closed. */
  stopTimers(): void {
    this.expiryTimer.cancel();
    this.idleTimer.cancel();
  }

  /** Marks the queue gone and tells its consumers. Returns the number of ready messages dropped. */
  destroy(): number {
    // Set first: the store drops the whole queue in one record, not message by message.
    this.deleted = true;
    this.stopTimers();
    const n = this.purge();
    for (const c of this.consumerSet.clear()) {
      c.cancelledByQueue(this);
      this.host.consumerChanged(this, c, false);
    }
    return n;
  }
}
