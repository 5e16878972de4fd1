/**
 * Publisher confirms for one channel. Every publish on a confirm channel gets exactly one ack or
 * nack, in publish order. Transient messages are confirmed once routed; persistent ones in durable
 * queues only when the store has fsynced them, so a confirm can wait while later publishes are
 * already settled. Outstanding confirms wait in a FIFO; whatever is settled at its head goes out at
 * the end of the event-loop turn, consecutive acks folded into one `multiple` ack.
 */
import { Deque } from '../core/deque.js';
import type { ChannelCounters } from '../stats/counters.js';

const PENDING = 0;
const ACK = 1;
const NACK = 2;

interface Slot {
  seq: number;
  state: number;
}

export type ConfirmSender = (kind: 'ack' | 'nack', seq: number, multiple: boolean) => void;

export class Confirms {
  private readonly slots = new Deque<Slot>();
  private nextSeq = 1;
  /** highest seq acked on the wire */
  private sent = 0;
  private scheduled = false;
  private closed = false;
  private readonly send: ConfirmSender;
  /** the channel's counters: `confirm` counts publishes acked */
  private readonly counters: ChannelCounters | undefined;

  constructor(send: ConfirmSender, counters?: ChannelCounters) {
    this.send = send;
    this.counters = counters;
  }

  /** publishes not yet confirmed (or nacked) on the wire */
  get outstanding(): number {
    return this.nextSeq - 1 - this.sent;
  }

  /** Registers the next publish; returns its sequence number. */
  next(): number {
    return this.nextSeq++;
  }

  ack(seq: number): void {
    this.settle(seq, ACK);
  }

  nack(seq: number): void {
    this.settle(seq, NACK);
  }

  /** A publish that settles later: call the returned function once it may be acked. */
  defer(seq: number): () => void {
    const slot: Slot = { seq, state: PENDING };
    this.slots.push(slot);
    return () => {
      slot.state = ACK;
      this.schedule();
    };
  }

  private settle(seq: number, state: number): void {
    this.slots.push({ seq, state });
    this.schedule();
  }

  private schedule(): void {
    if (this.scheduled || this.closed) return;
    this.scheduled = true;
    setImmediate(() => this.flush());
  }

  /** Sends whatever is settled at the head, in order. Also called directly to keep a trace exact. */
  flush(): void {
    this.scheduled = false;
    if (this.closed) return;
    let ackUpTo = 0;
    for (;;) {
      const head = this.slots.peek();
      if (!head || head.state === PENDING) break;
      this.slots.shift();
      if (head.state === ACK) {
        ackUpTo = head.seq;
        continue;
      }
      if (ackUpTo) this.emitAck(ackUpTo);
      ackUpTo = 0;
      this.send('nack', head.seq, false);
      this.sent = head.seq;
    }
    if (ackUpTo) this.emitAck(ackUpTo);
  }

  private emitAck(upTo: number): void {
    this.send('ack', upTo, upTo - this.sent > 1);
    if (this.counters) this.counters.confirm += upTo - this.sent;
    this.sent = upTo;
  }

  close(): void {
    this.closed = true;
  }
}
