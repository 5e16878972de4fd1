/**
 * Headers exchange: a binding's arguments are matched against the message's `headers` property.
 * `x-match` = `all` (default) needs every argument to match, `any` needs one; keys starting `x-` are
 * ignored unless `all-with-x`/`any-with-x` is used. An argument with a void value matches on presence.
 */
import type { FieldTable, FieldValue } from '../../protocol/field-types.js';
import type { Binding, Destination } from '../binding.js';
import type { Message } from '../message.js';
import { Exchange } from './exchange.js';
import { BASIC_PROPERTY_FLAG } from '../../protocol/generated/methods.js';

function sameValue(a: FieldValue, b: FieldValue): boolean {
  if (a === b) return true;
  if (typeof a === 'number' || typeof a === 'bigint') {
    return (typeof b === 'number' || typeof b === 'bigint') && Number(a) === Number(b);
  }
  if (Buffer.isBuffer(a) && Buffer.isBuffer(b)) return a.equals(b);
  if (Buffer.isBuffer(a) && typeof b === 'string') return a.toString() === b;
  if (typeof a === 'string' && Buffer.isBuffer(b)) return b.toString() === a;
  if (a instanceof Date && b instanceof Date) return a.getTime() === b.getTime();
  if (typeof a === 'object' && typeof b === 'object' && a !== null && b !== null) {
    return JSON.stringify(a) === JSON.stringify(b);
  }
  return false;
}

export function headersMatch(args: FieldTable, headers: FieldTable): boolean {
  const mode = String(args['x-match'] ?? 'all');
  const any = mode === 'any' || mode === 'any-with-x';
  const withX = mode.endsWith('-with-x');
  for (const key of Object.keys(args)) {
    if (key === 'x-match') continue;
    if (!withX && key.startsWith('x-')) continue;
    const want = args[key] ?? null;
    const present = Object.prototype.hasOwnProperty.call(headers, key);
    const ok = present && (want === null || sameValue(want, headers[key] ?? null));
    if (any && ok) return true;
    if (!any && !ok) return false;
  }
  // all: every considered argument matched (vacuously so with none); any: none matched.
  return !any;
}

export class HeadersExchange extends Exchange {
  readonly type = 'headers';

  route(msg: Message, _routingKey: string, out: Set<Destination>): void {
    if (this.bindingMap.size === 0) return;
    const headers = msg.has(BASIC_PROPERTY_FLAG.headers) ? (msg.properties.headers ?? {}) : {};
    for (const b of this.bindingMap.values()) {
      if (headersMatch(b.arguments, headers)) out.add(b.destination);
    }
  }

  protected addToIndex(_b: Binding): void {}
  protected removeFromIndex(_b: Binding): void {}
}
