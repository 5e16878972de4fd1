/**
 * A consumer: one connection, channel 1, one basic.consume. Deliveries are read by offset, not
 * decoded: basic.deliver's delivery tag, the content header's body size, and the send time in the
 * first 8 bytes of the first body frame; the rest of a body is skipped unread (scanner.ts). The clock is read once per socket read (every message in
 * one read arrived at the same moment), and the acks of one read go out in one write.
 */
import { monotonicMicros } from './clock.js';
import type { ChunkSink, PerfConnection } from './connection.js';
import { record } from './histogram.js';
import { STAT } from './shared-stats.js';
import { STAMP_BYTES } from './template.js';
import { ACK_FRAME_SIZE, ID, putAck } from './wire.js';
import { FrameScanner, type ScanSink } from './scanner.js';
import { FRAME_HEADER, FRAME_METHOD } from '../protocol/generated/methods.js';

export interface ConsumerSettings {
  queue: string;
  autoAck: boolean;
  prefetch: number;
  multiAckEvery: number;
  /** stop counting (and ack the rest) after this many; 0 = never */
  cmessages: number;
  /** body size the producers send: stamps are read only when bodies are at least STAMP_BYTES long */
  size: number;
  /** called once when cmessages have arrived */
  onDone: () => void;
}

export class Consumer implements ChunkSink, ScanSink {
  /** reads deliveries without assembling bodies: only a body's first bytes (the stamp) are looked at */
  private readonly scanner = new FrameScanner(STAMP_BYTES);
  private received = 0;
  /** received but not yet acked */
  private unacked = 0;
  private lastTag = 0;
  /** bytes of the current message's body still to come */
  private bodyLeft = 0;
  /** true until the first body frame of the current message was seen */
  private firstBodyFrame = false;
  private now = 0;
  /** basic.ack frames of the current socket read */
  private readonly acks = Buffer.allocUnsafe(ACK_FRAME_SIZE * 64);
  private acksAt = 0;
  private countedReceived = 0;
  private done = false;
  private consumeOk: (() => void) | undefined;

  constructor(
    private readonly conn: PerfConnection,
    private readonly settings: ConsumerSettings,
    private readonly stats: Float64Array,
    private readonly latency: Float64Array,
  ) {}

  /** basic.qos (before consume()) */
  async prepare(): Promise<void> {
    const { autoAck, prefetch } = this.settings;
    if (!autoAck && prefetch > 0)
      await this.conn.call(
        1,
        { kind: 'basic.qos', prefetchSize: 0, prefetchCount: prefetch, global: false },
        'basic.qos-ok',
      );
  }

  /** basic.consume; resolves once the broker said consume-ok. */
  async consume(): Promise<void> {
    // From here on deliveries can arrive in the same read as consume-ok: this sink must see them.
    this.conn.setSink(this);
    const onError = this.conn.onError;
    await new Promise<void>((resolve, reject) => {
      this.consumeOk = resolve;
      this.conn.onError = reject;
      this.conn.send(1, {
        kind: 'basic.consume',
        queue: this.settings.queue,
        consumerTag: '',
        noLocal: false,
        noAck: this.settings.autoAck,
        exclusive: false,
        noWait: false,
        arguments: {},
      });
    });
    this.conn.onError = onError;
  }

  close(): Promise<void> {
    return this.conn.close();
  }

  beginChunk(): void {
    this.now = monotonicMicros();
  }

  endChunk(): void {
    if (this.acksAt > 0) this.flushAcks();
    this.countReceived();
  }

  private countReceived(): void {
    const n = this.received - this.countedReceived;
    if (n > 0) {
      this.countedReceived = this.received;
      this.stats[STAT.received] = (this.stats[STAT.received] as number) + n;
    }
  }

  raw(chunk: Buffer): void {
    this.scanner.push(chunk, this);
  }

  body(_channel: number, size: number, head: Buffer): void {
    if (this.firstBodyFrame) {
      this.firstBodyFrame = false;
      if (this.settings.size >= STAMP_BYTES && head.length >= STAMP_BYTES)
        record(this.latency, this.now - head.readDoubleLE(0));
    }
    this.bodyLeft -= size;
    if (this.bodyLeft <= 0) this.delivered();
  }

  frame(type: number, channel: number, payload: Buffer): void {
    this.onFrame(type, channel, payload);
  }

  onFrame(type: number, channel: number, payload: Buffer): void {
    if (type === FRAME_HEADER) {
      this.bodyLeft = payload.readUInt32BE(4) * 0x100000000 + payload.readUInt32BE(8);
      this.firstBodyFrame = true;
      if (this.bodyLeft === 0) this.delivered();
      return;
    }
    if (type === FRAME_METHOD) {
      const id = payload.readUInt32BE(0);
      if (id === ID.basicDeliver) {
        // consumer-tag shortstr, then the delivery tag (64 bit)
        const at = 5 + (payload[4] as number);
        this.lastTag = payload.readUInt32BE(at) * 0x100000000 + payload.readUInt32BE(at + 4);
        return;
      }
      if (id === ID.basicConsumeOk && this.consumeOk) {
        const ok = this.consumeOk;
        this.consumeOk = undefined;
        ok();
        return;
      }
    }
    this.conn.control(type, channel, payload);
  }

  private delivered(): void {
    this.received++;
    const { autoAck, multiAckEvery, cmessages } = this.settings;
    if (!autoAck && ++this.unacked >= multiAckEvery) this.ack();
    if (cmessages > 0 && this.received >= cmessages && !this.done) {
      this.done = true;
      if (!autoAck && this.unacked > 0) this.ack();
      this.countReceived(); // before saying done, so the main thread sees the final count with it
      this.stats[STAT.consumersDone] = (this.stats[STAT.consumersDone] as number) + 1;
      this.settings.onDone();
    }
  }

  private ack(): void {
    if (this.acksAt + ACK_FRAME_SIZE > this.acks.length) this.flushAcks();
    putAck(this.acks, this.acksAt, 1, this.lastTag, this.unacked > 1);
    this.acksAt += ACK_FRAME_SIZE;
    this.unacked = 0;
  }

  private flushAcks(): void {
    // socket.write keeps the Buffer it is given: hand it a copy, the ack buffer is reused.
    this.conn.socket.write(Buffer.from(this.acks.subarray(0, this.acksAt)));
    this.acksAt = 0;
  }
}
