/**
 * Optional limit on how far the publisher may run ahead of the consumer (--max-backlog). The consumer
 * reports its delivery count every few milliseconds; the runner relays it to the publisher, which
 * pauses while (published - consumed) >= max. Without a limit (max 0) the publisher only slows down
 * when the broker stops reading its socket (TCP backpressure / RabbitMQ flow control).
 */
export class BacklogLimit {
  private consumed = 0;
  private waiter: (() => void) | undefined;

  constructor(private max: number) {}

  /** true if the publisher must wait before sending more */
  blocked(sent: number): boolean {
    return this.max > 0 && sent - this.consumed >= this.max;
  }

  /** resolves once the backlog is under the limit (or the limit was released) */
  async wait(sent: number): Promise<void> {
    while (this.blocked(sent)) await new Promise<void>((resolve) => (this.waiter = resolve));
  }

  update(consumed: number): void {
    this.consumed = consumed;
    this.wake();
  }

  /** lifts the limit for good (on stop), so a waiting publisher loop can end */
  release(): void {
    this.max = 0;
    this.wake();
  }

  private wake(): void {
    const w = this.waiter;
    this.waiter = undefined;
    w?.();
  }
}
