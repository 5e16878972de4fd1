/**
 * The dead-letter history of a message (its `x-death` header) as RabbitMQ 3.13 keeps it: one record per
 * (queue, reason) pair, most recent first. RabbitMQ 3.13 (deps/rabbit/src/mc.erl, `record_death`, and
 * mc_amqpl.erl, `recover_deaths` / `death_table`) keeps the history as structured records beside the
 * message and rebuilds the whole header from them on every delivery. Warren keeps no such side record,
 * so it recovers the records from the header each time, with the same rules 3.13 applies to an
 * `x-death` header a client published, and writes the header back the way 3.13 writes it.
 */
import type { FieldTable, FieldValue, Typed } from '../protocol/field-types.js';
import { isDecimal } from '../protocol/field-types.js';

export interface Death {
  readonly queue: string;
  readonly reason: string;
  /** the exchange the message had been published to when it first died here for this reason */
  readonly exchange: string;
  /** its routing keys then (CC included, BCC excluded) */
  readonly routingKeys: readonly string[];
  /** how often it died from this queue for this reason; a long on the wire, so it may pass 2^53 */
  readonly count: number | bigint;
  /** when it first died here for this reason, in seconds since the epoch */
  readonly time: number;
  /** its `expiration` property then, as 3.13 rewrites it (parsed and printed back: "007" is "7") */
  readonly originalExpiration: string | undefined;
}

function isTable(v: FieldValue): v is FieldTable {
  return (
    typeof v === 'object' &&
    v !== null &&
    !Array.isArray(v) &&
    !Buffer.isBuffer(v) &&
    !(v instanceof Date) &&
    !isDecimal(v)
  );
}

/** A binary in Erlang's sense: a longstr ('S') or a byte array ('x'). */
function binary(v: FieldValue): string | undefined {
  if (typeof v === 'string') return v;
  if (Buffer.isBuffer(v)) return v.toString('utf8');
  return undefined;
}

/** An expiration or original-expiration in 3.13's canonical form, or undefined if it is no integer. */
export function canonicalExpiration(s: string): string | undefined {
  // Erlang's binary_to_integer accepts an optional sign and digits only, and prints the value back
  // without leading zeros or a plus sign.
  return /^[+-]?\d+$/.test(s) ? BigInt(s).toString() : undefined;
}

/** Seconds from a value 3.13 accepts as an integer `time`: a timestamp or any integer type. */
function seconds(v: FieldValue): number | undefined {
  let n: number;
  if (v instanceof Date) n = v.getTime() / 1000;
  else if (typeof v === 'number' && Number.isInteger(v)) n = v;
  else if (typeof v === 'bigint') n = Number(v);
  else return undefined;
  // 3.13 takes a negative or huge integer here and fails later when it encodes it as a timestamp;
  // such an entry can only be junk, so it is dropped like any other malformed entry.
  return Number.isSafeInteger(n) && n >= 0 ? n : undefined;
}

function recoverOne(t: FieldTable): Death | undefined {
  const queue = binary(t['queue']);
  const reason = binary(t['reason']);
  const exchange = binary(t['exchange']);
  const time = seconds(t['time']);
  const count = t['count'];
  const keys = t['routing-keys'];
  if (queue === undefined || reason === undefined || exchange === undefined || time === undefined) return;
  if (!(typeof count === 'bigint' || (typeof count === 'number' && Number.isInteger(count)))) return;
  if (!Array.isArray(keys)) return;
  const routingKeys: string[] = [];
  for (const k of keys) {
    const s = binary(k);
    if (s === undefined) return;
    routingKeys.push(s);
  }
  const exp = binary(t['original-expiration']);
  return {
    queue,
    reason,
    exchange,
    routingKeys,
    count,
    time,
    originalExpiration: exp === undefined ? undefined : canonicalExpiration(exp),
  };
}

/**
 * The records in an `x-death` header value, most recent first; undefined when the value is not an array
 * (absent, or a client put something else there), which makes the next death start a fresh history.
 * Entries that are not tables with queue, reason, exchange, routing-keys, count and an integer time are
 * skipped, as 3.13 skips them. Duplicate (queue, reason) entries are kept; only the first is updated.
 */
export function recoverDeaths(xDeath: FieldValue): Death[] | undefined {
  if (!Array.isArray(xDeath)) return undefined;
  const deaths: Death[] = [];
  for (const entry of xDeath) {
    if (!isTable(entry)) continue;
    const d = recoverOne(entry);
    if (d) deaths.push(d);
  }
  return deaths;
}

/**
 * The history after one more death: the record for (queue, reason) has its count raised and moves to
 * the front, keeping its first time, exchange, routing keys and original expiration; or a new record
 * with count 1 goes to the front. O(n) in the length of the history.
 */
export function recordDeath(deaths: readonly Death[] | undefined, now: Omit<Death, 'count'>): Death[] {
  const list = deaths ?? [];
  const at = list.findIndex((d) => d.queue === now.queue && d.reason === now.reason);
  if (at < 0) return [{ ...now, count: 1 }, ...list];
  const old = list[at] as Death;
  const c = old.count;
  const count = typeof c === 'bigint' ? c + 1n : Number.isSafeInteger(c + 1) ? c + 1 : BigInt(c) + 1n;
  return [{ ...old, count }, ...list.slice(0, at), ...list.slice(at + 1)];
}

/** The `x-death` header value, with 3.13's field order and wire types. */
export function xDeathValue(deaths: readonly Death[]): FieldTable[] {
  return deaths.map((d) => {
    const t: FieldTable = {};
    if (d.originalExpiration !== undefined) t['original-expiration'] = d.originalExpiration;
    t['count'] = { $type: 'l', value: d.count } satisfies Typed;
    t['reason'] = d.reason;
    t['queue'] = d.queue;
    t['time'] = { $type: 'T', value: d.time } satisfies Typed;
    t['exchange'] = d.exchange;
    t['routing-keys'] = [...d.routingKeys];
    return t;
  });
}

/**
 * Answers "would delivering to this queue close a dead-letter cycle?" for one history, in O(1) per
 * queue after one O(n) pass (a fanout DLX can route to many queues).
 *
 * The rule (3.13 mc.erl `is_cycle_v2`): find the most recent death from the target queue; it is a cycle
 * when neither that death nor any more recent one was a rejection. 'expired', 'maxlen' and
 * 'delivery_limit' all count as automatic, so only a client's reject breaks a cycle.
 */
export class CycleIndex {
  private readonly firstAt = new Map<string, number>();
  private readonly firstRejection: number;
  readonly queueNames: readonly string[];

  constructor(deaths: readonly Death[]) {
    let rejection = Infinity;
    deaths.forEach((d, i) => {
      if (!this.firstAt.has(d.queue)) this.firstAt.set(d.queue, i);
      if (d.reason === 'rejected' && rejection === Infinity) rejection = i;
    });
    this.firstRejection = rejection;
    this.queueNames = deaths.map((d) => d.queue);
  }

  isCycle(queue: string): boolean {
    const at = this.firstAt.get(queue);
    return at !== undefined && at < this.firstRejection;
  }
}
