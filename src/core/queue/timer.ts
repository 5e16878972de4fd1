/**
 * One re-armable wake-up at an absolute time. Arming for a later time than the one already set is a
 * no-op, so a queue can call `armAt` once per message at the cost of a comparison. Timers are unref'd:
 * a broker embedded in a test suite never keeps the process alive through a pending expiry.
 */
import { steadyNow } from '../clock.js';

export class WakeTimer {
  private handle: NodeJS.Timeout | undefined;
  private at = Infinity;
  private readonly fire: () => void;

  constructor(fire: () => void) {
    this.fire = fire;
  }

  armAt(time: number): void {
    if (time >= this.at) return;
    if (this.handle) clearTimeout(this.handle);
    this.at = time;
    // setTimeout caps at 2^31-1 ms; a longer wait simply wakes early and re-arms.
    const delay = Math.min(Math.max(0, time - steadyNow()), 0x7fffffff);
    this.handle = setTimeout(() => {
      this.handle = undefined;
      this.at = Infinity;
      this.fire();
    }, delay);
    this.handle.unref();
  }

  cancel(): void {
    if (this.handle) clearTimeout(this.handle);
    this.handle = undefined;
    this.at = Infinity;
  }
}
