/**
 * Runtime parameters of a definitions file. Warren has one vhost component, `vhost-limits` (what
 * `set_vhost_limits` stores), and one global parameter, `cluster_name`. Other components belong to
 * plugins Warren does not have (federation, shovel): a file using them is refused rather than
 * imported with parts silently missing. Global parameters other than cluster_name are arbitrary
 * operator data in RabbitMQ; Warren does not keep them and says so.
 */
import type { Broker } from '../core/broker.js';
import { wrap } from './check.js';
import { DefinitionsError } from './error.js';
import type { DefinitionsDocument } from './read.js';

/** One parameter to set, checked; `apply` sets it. */
interface Action {
  label: string;
  apply(broker: Broker): void;
}

export function checkParameters(
  doc: DefinitionsDocument,
  skipped: string[],
): { global: Action[]; vhost: Action[] } {
  const global: Action[] = [];
  for (const p of doc.globalParameters) {
    if (p.name === 'cluster_name') {
      const value = p.value;
      if (typeof value !== 'string' || value === '') {
        throw new DefinitionsError(`${p.label}: cluster_name should be a non-empty string`);
      }
      global.push({ label: p.label, apply: (b) => (b.clusterName = value) });
    } else if (!p.name.startsWith('internal')) {
      skipped.push(`${p.label}: global parameter '${p.name}' is not used by Warren`);
    }
  }

  const vhost: Action[] = [];
  for (const p of doc.parameters) {
    if (p.component !== 'vhost-limits') {
      throw new DefinitionsError(
        `${p.label}: runtime parameter component '${p.component}' is not supported by Warren (only vhost-limits)`,
      );
    }
    const value = p.value;
    vhost.push({ label: p.label, apply: (b) => b.setVhostLimits(p.vhost, value) });
  }
  return { global, vhost };
}

export function applyParameters(broker: Broker, actions: Action[]): number {
  for (const a of actions) wrap(a.label, () => a.apply(broker));
  return actions.length;
}
