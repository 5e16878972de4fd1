/**
 * Bounded waits for integration tests. Nothing here sleeps for a fixed time: every wait ends as soon as
 * its condition holds and fails loudly when the bound passes, so a slow machine only makes tests slower,
 * never wrong.
 */
import type { EventEmitter } from 'node:events';

/** Default bound for anything a healthy broker does within milliseconds. */
export const WAIT_MS = 5000;

/** Polls `predicate` (every few ms) until it returns true; rejects after `ms` with `what` in the message. */
export async function waitFor(
  predicate: () => boolean | Promise<boolean>,
  ms = WAIT_MS,
  what = 'condition',
): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    if (await predicate()) return;
    if (Date.now() >= deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** Resolves or rejects like `promise`, but rejects after `ms` if it has not settled by then. */
export function withTimeout<T>(promise: Promise<T>, ms = WAIT_MS, what = 'promise'): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** The arguments of the next `event` on `emitter`, within `ms`. */
export function nextEvent(emitter: EventEmitter, event: string, ms = WAIT_MS): Promise<unknown[]> {
  return withTimeout(
    new Promise<unknown[]>((resolve) => emitter.once(event, (...args: unknown[]) => resolve(args))),
    ms,
    `event '${event}'`,
  );
}
