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

export class Message {
  readonly exchange: string;
  readonly routingKey: string;
  /** property flags word and properties exactly as received */
  readonly rawProperties: Buffer;
  readonly body: Buffer;
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
    this.body = body;
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
    return this.body.length;
  }
}
