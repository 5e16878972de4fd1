/**
 * The low-CPU publisher: it encodes a batch of basic.publish messages (method frame + content header
 * frame + body frame each) into one Buffer once, and then writes that same Buffer to the socket again
 * and again, waiting for 'drain' whenever socket.write() says the buffer is full. Publishing then costs
 * one syscall per batch instead of amqplib's per-message encoding and stream plumbing, which leaves
 * the CPU to the broker on a small machine.
 */
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import type { BacklogLimit } from './backlog.js';
import {
  closeRaw,
  encodeFrame,
  encodeMethod,
  FRAME_BODY,
  FRAME_HEADER,
  openRaw,
  shortstr,
} from './raw-amqp.js';

/** Messages per pre-encoded batch (about 100 bytes each for a 16-byte body and a short queue name). */
const BATCH = 128;

/** One message: basic.publish(exchange '', routing key = queue), header with no properties, body. */
function encodeMessage(channel: number, routingKey: string, body: Buffer, frameMax: number): Buffer {
  // basic.publish (60,40): reserved-1 short, exchange shortstr, routing-key shortstr, bits (mandatory, immediate).
  const method = encodeMethod(channel, 60, 40, [
    Buffer.alloc(2),
    shortstr(''),
    shortstr(routingKey),
    Buffer.from([0]),
  ]);
  // content header: class 60, weight 0, body size (64-bit), property flags 0 (transient, no properties).
  const header = Buffer.alloc(14);
  header.writeUInt16BE(60, 0);
  header.writeUInt16BE(0, 2);
  header.writeBigUInt64BE(BigInt(body.length), 4);
  header.writeUInt16BE(0, 12);
  const frames = [method, encodeFrame(FRAME_HEADER, channel, header)];
  const maxBody = frameMax - 8;
  for (let off = 0; off < body.length; off += maxBody) {
    frames.push(encodeFrame(FRAME_BODY, channel, body.subarray(off, off + maxBody)));
  }
  return Buffer.concat(frames);
}

export interface RawPublisher {
  /** messages handed to the socket so far */
  readonly count: number;
  start(): void;
  stop(): Promise<void>;
}

export async function openRawPublisher(
  url: string,
  queue: string,
  body: Buffer,
  limit: BacklogLimit,
  onError: (err: Error) => void,
): Promise<RawPublisher> {
  const conn = await openRaw(url);
  const { socket } = conn;
  socket.on('error', onError);
  const batch = Buffer.concat(
    Array.from({ length: BATCH }, () => encodeMessage(1, queue, body, conn.frameMax)),
  );
  let count = 0;
  let running = false;
  let loop: Promise<void> = Promise.resolve();

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
    while (running && !socket.destroyed) {
      // Write until the socket's buffer is full, then wait for it to drain; yield to the event
      // loop now and then even if it never fills, so that IPC (mark/stop) gets handled.
      for (let i = 0; i < 64 && running; i++) {
        if (limit.blocked(count)) {
          await limit.wait(count);
          break;
        }
        const ok = socket.write(batch);
        count += BATCH;
        if (!ok) {
          await waitDrain();
          break;
        }
      }
      await yieldToLoop();
    }
  }

  return {
    get count() {
      return count;
    },
    start() {
      running = true;
      loop = run().catch(onError);
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
