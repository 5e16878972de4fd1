/**
 * Fair reading across sockets. libuv reads a readable socket up to 32 times per event-loop turn, so
 * one fast publisher could feed the broker megabytes per turn while a consumer's acks wait behind it:
 * deliveries (which need those acks for credit) then crawl while the queue balloons. So a connection
 * that published in this turn is paused after one read, and after PUBLISH_BUDGET publishes it stops
 * parsing even within a read, keeping the rest of the bytes for the next turn. It resumes when the
 * turn ends, after the outgoing frames were flushed. Every socket thus gets a bounded share of each
 * turn, and turns stay short enough for acks and deliveries to keep flowing.
 */

/**
 * Publishes one connection may complete per event-loop turn. Measured with npm run bench (5 s runs,
 * received msg/s, autoack / manual-ack prefetch 100): 1024: 406k / 29k; 256: 341k / 56k;
 * 64: 383k / 146k; 32: 536k / 312k; 16: 485k / 365k. Smaller budgets cost autoack little and let
 * acks through far more often.
 */
export const PUBLISH_BUDGET = 16;

export interface Yielder {
  /** called at the end of the turn: continue parsing held-back bytes, then read the socket again */
  continueTurn(): void;
}

const waiting: Yielder[] = [];
let scheduled = false;

function resumeAll(): void {
  scheduled = false;
  for (const y of waiting.splice(0)) y.continueTurn();
}

export function yieldTurn(y: Yielder): void {
  waiting.push(y);
  if (!scheduled) {
    scheduled = true;
    setImmediate(resumeAll);
  }
}
