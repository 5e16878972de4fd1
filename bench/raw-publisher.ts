/**
 * The low-CPU publisher: it encodes a batch of basic.publish messages (method frame + content header
 * frame + body frame each) into one Buffer once, and then writes that same Buffer (or a prefix of it)
 * to the socket again and again. Publishing then costs one syscall per batch instead of amqplib's
 * per-message encoding and stream plumbing, which leaves the CPU to the broker on a small machine.
 *
 * Two modes:
 * - without confirms it writes whole batches, waiting for 'drain' whenever socket.write() says the
 *   buffer is full (only TCP backpressure limits it);
 * - with confirms (confirm.select) it keeps exactly `window` publishes outstanding: every basic.ack /
 *   basic.nack from the broker (single or `multiple`) frees room, and the freed room is refilled at
 *   once with one write of that many messages. Since all messages are identical, any prefix of the
 *   pre-encoded batch is a valid run of messages, so refilling never copies or encodes anything.
 */
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import type { BacklogLimit } from './backlog.js';
import {
  closeRaw,
  encodeFrame,
  encodeMethod,
  FRAME_BODY,
  FRAME_HEADER,
  FRAME_METHOD,
  methodId,
  openRaw,
  shortstr,
  type Frame,
} from './raw-amqp.js';

/** Messages per pre-encoded batch without confirms (about 100 bytes each for a 16-byte body). */
const BATCH = 128;

/**
 * One message: basic.publish(exchange '', routing key = queue), a content header whose properties
 * are delivery-mode 2 when persistent and a priority when one is given, and the body.
 */
function encodeMessage(
  channel: number,
  routingKey: string,
  body: Buffer,
  frameMax: number,
  persistent: boolean,
  priority: number | undefined,
): Buffer {
  // basic.publish (60,40): reserved-1 short, exchange shortstr, routing-key shortstr, bits (mandatory, immediate).
  const method = encodeMethod(channel, 60, 40, [
    Buffer.alloc(2),
    shortstr(''),
    shortstr(routingKey),
    Buffer.from([0]),
  ]);
  // content header: class 60, weight 0, body size (64-bit), property flags, property values.
  // Basic property flags run from bit 15 (content-type) down; delivery-mode is bit 12 (0x1000) and
  // priority bit 11 (0x0800), each one octet, in that order.
  const values: number[] = [];
  let flags = 0;
  if (persistent) {
    flags |= 0x1000;
    values.push(2);
  }
  if (priority !== undefined) {
    flags |= 0x0800;
    values.push(priority);
  }
  const header = Buffer.alloc(14 + values.length);
  header.writeUInt16BE(60, 0);
  header.writeUInt16BE(0, 2);
  header.writeBigUInt64BE(BigInt(body.length), 4);
  header.writeUInt16BE(flags, 12);
  values.forEach((v, i) => header.writeUInt8(v, 14 + i));
  const frames = [method, encodeFrame(FRAME_HEADER, channel, header)];
  const maxBody = frameMax - 8;
  for (let off = 0; off < body.length; off += maxBody) {
    frames.push(encodeFrame(FRAME_BODY, channel, body.subarray(off, off + maxBody)));
  }
  return Buffer.concat(frames);
}

export interface RawPublisherOptions {
  /** delivery-mode 2 */
  persistent: boolean;
  /** > 0: priorities 0..priorities-1, in turn (every variant encodes to the same length) */
  priorities: number;
  /** > 0: confirm.select and keep at most this many publishes unconfirmed; 0: no confirms */
  confirmWindow: number;
  /** > 0: publish exactly this many messages, then stop (and call onDone once all are confirmed) */
  total: number;
  /** with `total`: called once every message is published and (with confirms) acked or nacked */
  onDone?: () => void;
}

export interface RawPublisher {
  /** messages handed to the socket so far */
  readonly count: number;
  /** publishes the broker has confirmed with basic.ack */
  readonly confirmed: number;
  /** publishes the broker has rejected with basic.nack */
  readonly nacked: number;
  start(): void;
  stop(): Promise<void>;
}

/**
 * Publisher-confirm bookkeeping. Sequence numbers start at 1 (spec: the first publish after
 * confirm.select is 1). `low` is the highest sequence number below which everything is resolved; tags
 * the broker resolved individually above `low` wait in `above` until the gap below them closes. A
 * confirm for a tag that was never published, or one resolved twice, is a broker bug and is raised.
 */
class ConfirmTracker {
  private low = 0;
  private readonly above = new Set<number>();
  confirmed = 0;
  nacked = 0;

  get resolved(): number {
    return this.confirmed + this.nacked;
  }

  /** Applies basic.ack (nack = false) or basic.nack for `tag`; returns an error text if it is invalid. */
  resolve(tag: number, multiple: boolean, nack: boolean, published: number): string | undefined {
    const what = `${nack ? 'basic.nack' : 'basic.ack'} delivery-tag ${tag}${multiple ? ' multiple' : ''}`;
    if (tag > published) return `${what}, but only ${published} messages were published`;
    let n = 0;
    if (multiple) {
      if (tag <= this.low) return `${what}: every tag up to ${this.low} was already confirmed`;
      for (let t = this.low + 1; t <= tag; t++) {
        if (!this.above.delete(t)) n++;
      }
      this.low = tag;
    } else {
      if (tag <= this.low || this.above.has(tag)) return `${what}: tag already confirmed`;
      this.above.add(tag);
      n = 1;
    }
    while (this.above.delete(this.low + 1)) this.low++;
    if (nack) this.nacked += n;
    else this.confirmed += n;
    return undefined;
  }
}

export async function openRawPublisher(
  url: string,
  queue: string,
  body: Buffer,
  limit: BacklogLimit,
  options: RawPublisherOptions,
  onError: (err: Error) => void,
): Promise<RawPublisher> {
  const conn = await openRaw(url);
  const { socket } = conn;
  socket.on('error', onError);
  const window = options.confirmWindow;
  const perBatch = window > 0 ? window : BATCH;
  const variants = Array.from({ length: Math.max(1, options.priorities) }, (_, i) =>
    encodeMessage(1, queue, body, conn.frameMax, options.persistent, options.priorities > 0 ? i : undefined),
  );
  const message = variants[0] as Buffer;
  const batch = Buffer.concat(
    Array.from({ length: perBatch }, (_, i) => variants[i % variants.length] as Buffer),
  );
  const total = options.total;
  const tracker = new ConfirmTracker();
  let count = 0;
  let running = false;
  let done = false;
  let loop: Promise<void> = Promise.resolve();

  const checkDone = (): void => {
    if (done || total === 0 || count < total) return;
    if (window > 0 && tracker.resolved < total) return;
    done = true;
    options.onDone?.();
  };

  // --- confirm mode: event driven, refilled from the frame handler ---

  let refillQueued = false;
  let waitingForLimit = false;
  const refill = (): void => {
    refillQueued = false;
    if (!running || socket.destroyed || waitingForLimit) return;
    if (limit.blocked(count)) {
      waitingForLimit = true;
      limit.wait(count).then(() => {
        waitingForLimit = false;
        refill();
      }, onError);
      return;
    }
    let n = window - (count - tracker.resolved);
    if (total > 0) n = Math.min(n, total - count);
    if (n <= 0) return;
    // The window bounds what can sit in the socket buffer (window x message size), so the return
    // value of write() needs no attention here.
    socket.write(n === perBatch ? batch : batch.subarray(0, n * message.length));
    count += n;
  };
  /** Coalesces the acks of one socket read into one refill (microtasks run after the 'data' handler). */
  const queueRefill = (): void => {
    if (refillQueued) return;
    refillQueued = true;
    queueMicrotask(refill);
  };

  if (window > 0) {
    const base = conn.onFrame;
    let selectOk: (() => void) | undefined;
    conn.onFrame = (frame: Frame) => {
      if (frame.type !== FRAME_METHOD) return base(frame);
      const id = methodId(frame);
      // basic.ack (60,80) and basic.nack (60,120): delivery-tag longlong, then a bits octet whose
      // bit 0 is `multiple` (nack's bit 1, requeue, means nothing from a broker).
      if (id === '60,80' || id === '60,120') {
        const tag = Number(frame.payload.readBigUInt64BE(4));
        const multiple = (frame.payload.readUInt8(12) & 1) !== 0;
        const err = tracker.resolve(tag, multiple, id === '60,120', count);
        if (err) {
          onError(new Error(`broker sent ${err}`));
          return;
        }
        checkDone();
        queueRefill();
      } else if (id === '85,11') {
        selectOk?.();
      } else base(frame);
    };
    // confirm.select (85,10) with nowait = 0, and wait for select-ok so that no publish can precede it.
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no confirm.select-ok within 10 s')), 10000);
      socket.once('close', () => reject(new Error('connection closed before confirm.select-ok')));
      selectOk = () => {
        clearTimeout(timer);
        resolve();
      };
      socket.write(encodeMethod(1, 85, 10, [Buffer.from([0])]));
    });
  }

  // --- no confirms: write batches until the socket is full ---

  const waitDrain = (): Promise<void> =>
    new Promise((resolve) => {
      const done = (): void => {
        socket.off('drain', done);
        socket.off('close', done);
        resolve();
      };
      socket.on('drain', done);
      socket.on('close', done);
    });

  async function run(): Promise<void> {
    while (running && !socket.destroyed && (total === 0 || count < total)) {
      // Write until the socket's buffer is full, then wait for it to drain; yield to the event
      // loop now and then even if it never fills, so that IPC (mark/stop) gets handled.
      for (let i = 0; i < 64 && running; i++) {
        if (limit.blocked(count)) {
          await limit.wait(count);
          break;
        }
        const n = total > 0 ? Math.min(BATCH, total - count) : BATCH;
        if (n <= 0) break;
        const ok = socket.write(n === BATCH ? batch : batch.subarray(0, n * message.length));
        count += n;
        if (!ok) {
          await waitDrain();
          break;
        }
      }
      await yieldToLoop();
    }
    checkDone();
  }

  return {
    get count() {
      return count;
    },
    get confirmed() {
      return tracker.confirmed;
    },
    get nacked() {
      return tracker.nacked;
    },
    start() {
      running = true;
      if (window > 0) refill();
      else loop = run().catch(onError);
    },
    async stop() {
      running = false;
      limit.release();
      // Close first: if the broker has stopped reading, closeRaw's timeout destroys the socket,
      // which also ends a loop that waits for 'drain'.
      await closeRaw(conn);
      await loop;
    },
  };
}
