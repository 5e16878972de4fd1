/**
 * Checks a read document against the broker before anything is applied: every item's vhost exists
 * or is created by the file, bindings name exchanges and queues that exist or are created by the
 * file, exchange types, queue arguments and policies pass the same validation a declare or
 * set_policy would. So the usual mistakes refuse the whole import and change nothing.
 */
import type { Broker } from '../core/broker.js';
import { validateQueueArguments } from '../core/arguments.js';
import { DELAYED_EXCHANGE_TYPE, delayedTypeOf } from '../core/exchange/delayed.js';
import { isExchangeType } from '../core/exchange/index.js';
import { policyFromJson } from '../core/policy-json.js';
import { validatePolicy } from '../core/policy.js';
import { VHost } from '../core/vhost.js';
import { DefinitionsError } from './error.js';
import type { BindingItem, DefinitionsDocument, ExchangeItem, QueueItem } from './read.js';

/** Exchanges every vhost has from its creation (amq.direct, ...), from a throwaway vhost. */
const PREDECLARED = new Set(new VHost('predeclared').exchanges.keys());

/** What the import will do, item by item, after the checks passed. */
export interface Plan {
  exchanges: ExchangeItem[];
  queues: QueueItem[];
  bindings: BindingItem[];
  /** items left out, with the reason, as RabbitMQ logs them */
  skipped: string[];
}

/**
 * `newVhosts`: the vhost names the file creates. Throws DefinitionsError naming the first bad item.
 */
export function checkDefinitions(broker: Broker, doc: DefinitionsDocument, newVhosts: Set<string>): Plan {
  const skipped: string[] = [];
  const vhostExists = (v: string): boolean => broker.vhosts.has(v) || newVhosts.has(v);
  const needVhost = (label: string, v: string): void => {
    if (!vhostExists(v)) {
      throw new DefinitionsError(
        `${label}: virtual host '${v}' does not exist and is not created by this file`,
      );
    }
  };

  const exchanges = doc.exchanges.filter((e) => {
    needVhost(e.label, e.vhost);
    // RabbitMQ's importer leaves these out with a warning: the default and amq.* exchanges exist.
    if (e.name === '' || e.name.startsWith('amq.')) {
      skipped.push(`${e.label}: the default and amq.* exchanges are not imported`);
      return false;
    }
    checkExchange(e);
    return true;
  });

  const queues = doc.queues.filter((q) => {
    needVhost(q.label, q.vhost);
    if (q.name.startsWith('amq.')) {
      skipped.push(`${q.label}: queues named amq.* are not imported`);
      return false;
    }
    wrap(q.label, () => validateQueueArguments(`queue '${q.name}' in vhost '${q.vhost}'`, q.arguments));
    return true;
  });

  for (const p of doc.policies) {
    wrap(p.label, () => {
      const { vhost, input } = policyFromJson(p.json);
      needVhost(p.label, vhost);
      validatePolicy(vhost, input);
    });
  }

  const declared = (kind: 'exchange' | 'queue', vhost: string, name: string): boolean => {
    const v = broker.vhosts.get(vhost);
    if (kind === 'queue') {
      return v?.queues.has(name) === true || queues.some((q) => q.vhost === vhost && q.name === name);
    }
    return (
      (v ? v.exchanges.has(name) : PREDECLARED.has(name)) ||
      exchanges.some((e) => e.vhost === vhost && e.name === name)
    );
  };
  const bindings = doc.bindings.filter((b) => {
    needVhost(b.label, b.vhost);
    // Bindings of the default exchange are implicit (every queue has one); RabbitMQ never exports them.
    if (b.source === '' || b.source === 'amq.default') {
      skipped.push(`${b.label}: bindings of the default exchange are implicit`);
      return false;
    }
    if (!declared('exchange', b.vhost, b.source)) {
      throw new DefinitionsError(
        `${b.label}: source exchange '${b.source}' does not exist in vhost '${b.vhost}' and is not in the file`,
      );
    }
    if (!declared(b.destinationKind, b.vhost, b.destination)) {
      throw new DefinitionsError(
        `${b.label}: destination ${b.destinationKind} '${b.destination}' does not exist in vhost '${b.vhost}' and is not in the file`,
      );
    }
    return true;
  });

  return { exchanges, queues, bindings, skipped };
}

function checkExchange(e: ExchangeItem): void {
  if (!isExchangeType(e.type)) throw new DefinitionsError(`${e.label}: unknown exchange type '${e.type}'`);
  if (e.type === DELAYED_EXCHANGE_TYPE) {
    wrap(e.label, () => {
      const routing = delayedTypeOf(e.arguments);
      if (!isExchangeType(routing)) throw new Error(`unknown exchange type '${routing}' in x-delayed-type`);
    });
  }
}

/** Runs a check and re-throws its error as a DefinitionsError naming the item. */
export function wrap<T>(label: string, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof DefinitionsError) throw e;
    throw new DefinitionsError(`${label}: ${(e as Error).message}`);
  }
}
