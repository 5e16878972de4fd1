/**
 * A published message. One Message object is shared by every queue it is routed to; queues wrap it in
 * their own QueueEntry. Properties stay as the raw content-header bytes the publisher sent and are
 * decoded lazily, only when routing or a check needs them.
 */
import { decodeProperties, propertyFlags } from '../protocol/content-header.js';
import { BASIC_PROPERTY_FLAG, type BasicProperties } from '../protocol/generated/methods.js';
import { Writer } from '../protocol/writer.js';
import type { MessageRoute } from './dead-letter.js';
import { encodeBasicProperties } from '../protocol/generated/methods.js';
import { giveBody } from './body-pool.js';

export class Message {
  readonly exchange: string;
  readonly routingKey: string;
  /** property flags word and properties exactly as received */
  readonly rawProperties: Buffer;
  private readonly bodyBytes: Buffer;
  /**
   * The body is pool memory (body-pool.ts) still in line to be given back: true from publish until
   * anything reads `body`, or a write carrying it fails, or it was given back.
   */
  private pooled = false;
  /** queue entries and socket writes holding the pooled body (see lend and release) */
  private holds = 0;
  private decoded: BasicProperties | undefined;
  /**
   * Every routing key the message was published or dead-lettered with, when that is more than its
   * routing key (CC/BCC headers, dead-letter keys): a later dead-lettering routes with them again.
   */
  route: MessageRoute | undefined;

  constructor(
    exchange: string,
    routingKey: string,
    rawProperties: Buffer,
    body: Buffer,
    decoded?: BasicProperties,
  ) {
    this.decoded = decoded;
    this.route = undefined;
    this.exchange = exchange;
    this.routingKey = routingKey;
    this.rawProperties = rawProperties;
    this.bodyBytes = body;
  }

  /**
   * The body. Reading it takes a pooled body out of the pool scheme for good: whoever reads it may keep
   * it, so the memory must never be reused. The delivery path uses lend instead.
   */
  get body(): Buffer {
    this.pooled = false;
    return this.bodyBytes;
  }

  /** The body is pool memory, to be given back once nothing holds it (set by the publishing channel). */
  fromPool(): void {
    this.pooled = true;
  }

  /** True while the body may still go back to the pool: lend and release then matter. */
  get onLoan(): boolean {
    return this.pooled;
  }

  /** A queue entry now holds the body; true when that hold must be released (entryGone). */
  holdForEntry(): boolean {
    if (!this.pooled) return false;
    this.holds++;
    return true;
  }

  /**
   * The queue entry holding the body is gone. This never gives the body back itself: whoever took
   * the entry may still read the message (and so take it out of the pool scheme).
   */
  entryGone(): void {
    this.holds--;
  }

  /** The body for a socket write, which must call release once the socket is done with it. */
  lend(): Buffer {
    if (this.pooled) this.holds++;
    return this.bodyBytes;
  }

  /**
   * A write carrying the body finished (`ok`: the socket took it, false: it failed and the memory may
   * still be in use), or a client acked the message (ok, nothing released). Gives the body back
   * when nothing holds it any more.
   */
  release(ok: boolean, held: boolean): void {
    if (!this.pooled) return;
    if (!ok) {
      this.pooled = false;
      return;
    }
    if (held) this.holds--;
    if (this.holds === 0) {
      this.pooled = false;
      giveBody(this.bodyBytes);
    }
  }

  /** Builds a message from decoded properties (for the HTTP API, CLI and tests). */
  static from(exchange: string, routingKey: string, properties: BasicProperties, body: Buffer): Message {
    const w = new Writer(256);
    encodeBasicProperties(w, properties);
    return new Message(exchange, routingKey, Buffer.from(w.buf.subarray(0, w.pos)), body);
  }

  get properties(): BasicProperties {
    if (this.decoded === undefined) this.decoded = decodeProperties(this.rawProperties);
    return this.decoded;
  }

  has(flag: number): boolean {
    return (propertyFlags(this.rawProperties) & flag) !== 0;
  }

  get persistent(): boolean {
    return this.has(BASIC_PROPERTY_FLAG.deliveryMode) && this.properties.deliveryMode === 2;
  }

  get bodySize(): number {
    return this.bodyBytes.length;
  }
}
