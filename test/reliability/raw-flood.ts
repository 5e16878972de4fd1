/**
 * Publishers as fast as TCP lets them: raw sockets that write pre-built basic.publish frames in a
 * loop and wait only for the socket's 'drain'. No confirms and no client library in the way, so the
 * broker, not the client, is the bottleneck; what it does not read stays in TCP buffers.
 */
import { headerFrame, methodFrame, bodyFrame, publishMethod, RawClient } from '../helpers/raw-client.js';

export interface Flood {
  /** messages handed to the socket so far */
  readonly sent: number;
  /** stops writing (what was written stays queued in the socket for the broker to read) */
  stop(): Promise<void>;
  /** closes the connection (after stop: everything written is read by the broker first) */
  close(): Promise<void>;
}

/** Starts one flooding publisher on its own connection. */
export async function flood(
  port: number,
  queue: string,
  opts: { bodyBytes: number; persistent: boolean },
): Promise<Flood> {
  const c = await RawClient.open(port);
  await c.openChannel(1);
  const one = Buffer.concat([
    methodFrame(1, publishMethod('', queue)),
    headerFrame(1, opts.bodyBytes, opts.persistent ? { deliveryMode: 2 } : {}),
    bodyFrame(1, Buffer.alloc(opts.bodyBytes, 0x66)),
  ]);
  const batchSize = Math.max(1, Math.floor((256 * 1024) / one.length));
  const batch = Buffer.concat(Array.from({ length: batchSize }, () => one));
  let sent = 0;
  let stopping = false;
  let wake: (() => void) | undefined;
  const loop = (async () => {
    while (!stopping && !c.closed) {
      sent += batchSize;
      if (!c.socket.write(batch)) {
        await new Promise<void>((resolve) => {
          const done = (): void => {
            c.socket.off('drain', done);
            c.socket.off('close', done);
            wake = undefined;
            resolve();
          };
          wake = done;
          c.socket.on('drain', done);
          c.socket.on('close', done);
        });
      }
    }
  })();
  return {
    get sent() {
      return sent;
    },
    async stop() {
      stopping = true;
      // A broker that stopped reading may never drain this socket: do not wait for it.
      wake?.();
      await loop;
    },
    close: () => c.close(),
  };
}
