/** A binding from an exchange to a queue or to another exchange. */
import type { FieldTable } from '../protocol/field-types.js';
import type { Exchange } from './exchange/exchange.js';
import type { Queue } from './queue/queue.js';

export type Destination = Queue | Exchange;

export interface Binding {
  readonly source: Exchange;
  readonly destination: Destination;
  readonly routingKey: string;
  readonly arguments: FieldTable;
  /** identity of the binding: same destination, key and arguments mean the same binding */
  readonly id: string;
}

/** Canonical text of a field table, so bindings differing only in key order are one binding. */
export function canonicalArgs(args: FieldTable): string {
  const keys = Object.keys(args).sort();
  if (keys.length === 0) return '';
  return JSON.stringify(
    keys.map((k) => [k, args[k]]),
    (_k, v: unknown) =>
      typeof v === 'bigint' ? v.toString() : Buffer.isBuffer(v) ? v.toString('base64') : v,
  );
}

export function bindingId(destination: Destination, routingKey: string, args: FieldTable): string {
  return `${destination.destinationKind}\0${destination.name}\0${routingKey}\0${canonicalArgs(args)}`;
}
