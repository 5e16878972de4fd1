/**
 * The part of net.Socket a Connection uses, in memory, for the dispatch fuzz target: bytes fed in
 * arrive as 'data' (held while the connection has paused reading, as a real socket would), bytes the
 * connection writes are kept for the oracle. A real TCP connection per input would cost a thousand
 * times more than the input itself; the hostile-client tests cover the real sockets.
 */
import { EventEmitter } from 'node:events';

export class FakeSocket extends EventEmitter {
  readonly remoteAddress = '127.0.0.1';
  readonly remotePort = 40000;
  readonly localAddress = '127.0.0.1';
  readonly localPort = 5672;
  readonly writableLength = 0;
  readonly writableNeedDrain = false;
  destroyed = false;
  /** everything the connection wrote */
  readonly written: Buffer[] = [];
  private paused = false;
  private readonly held: Buffer[] = [];
  private closing = false;

  setNoDelay(): this {
    return this;
  }

  /** Bytes from the "client". */
  feed(chunk: Buffer): void {
    if (this.destroyed) return;
    if (this.paused) this.held.push(chunk);
    else this.emit('data', chunk);
  }

  /** input not yet handed to the connection because it paused reading */
  get heldBytes(): number {
    return this.held.reduce((n, b) => n + b.length, 0);
  }

  pause(): this {
    this.paused = true;
    return this;
  }

  resume(): this {
    this.paused = false;
    // A real socket delivers buffered data on a later turn, never inside resume().
    setImmediate(() => {
      while (!this.paused && !this.destroyed && this.held.length > 0) this.emit('data', this.held.shift());
    });
    return this;
  }

  write(chunk: Buffer | string): boolean {
    if (!this.destroyed) this.written.push(Buffer.from(chunk));
    return true;
  }

  cork(): void {}
  uncork(): void {}

  end(): this {
    this.close();
    return this;
  }

  destroy(): this {
    this.close();
    return this;
  }

  private close(): void {
    if (this.closing) return;
    this.closing = true;
    this.destroyed = true;
    setImmediate(() => this.emit('close', false));
  }
}
