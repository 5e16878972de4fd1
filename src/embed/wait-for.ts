/**
 * `waitFor`: the next event that satisfies a predicate, as a promise. Bounded by default, because a
 * test that waits forever on an event that never comes reports nothing useful; the listener, timer and
 * abort handler are all removed however the wait ends, so waits leave nothing behind.
 */
import type { EventEmitter } from 'node:events';
import type { BrokerEventMap, BrokerEventName } from '../core/events.js';
import type { WaitForOptions } from './types.js';

export const DEFAULT_WAIT_MS = 10_000;

export function waitForEvent<K extends BrokerEventName>(
  emitter: EventEmitter,
  event: K,
  predicate: (payload: BrokerEventMap[K]) => boolean,
  options: WaitForOptions,
): Promise<BrokerEventMap[K]> {
  const { signal } = options;
  const ms = options.timeoutMs ?? DEFAULT_WAIT_MS;
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason as Error);
      return;
    }
    let timer: NodeJS.Timeout | undefined;
    const done = (): void => {
      emitter.off(event, onEvent);
      signal?.removeEventListener('abort', onAbort);
      if (timer) clearTimeout(timer);
    };
    const onEvent = (payload: BrokerEventMap[K]): void => {
      let matched: boolean;
      try {
        matched = predicate(payload);
      } catch (e) {
        done();
        reject(e as Error);
        return;
      }
      if (!matched) return;
      done();
      resolve(payload);
    };
    const onAbort = (): void => {
      done();
      reject(signal?.reason as Error);
    };
    emitter.on(event, onEvent);
    signal?.addEventListener('abort', onAbort, { once: true });
    if (ms > 0) {
      timer = setTimeout(() => {
        done();
        reject(new Error(`timed out after ${ms} ms waiting for '${event}'`));
      }, ms);
    }
  });
}
