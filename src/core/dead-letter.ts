/**
 * Dead-lettering as pure functions: the message a queue publishes to its dead-letter exchange, the
 * routing keys it publishes it with, and the cycle check that drops it instead of delivering it to a
 * queue it keeps dying from. The queue core routes `msg` through the DLX with `routingKeys`, drops every
 * target queue for which `isDeadLetterCycle` says true, and enqueues into the rest.
 *
 * Behaviour follows RabbitMQ 3.13 (deps/rabbit/src/rabbit_dead_letter.erl, mc.erl, mc_amqpl.erl):
 * - `x-death` holds one record per (queue, reason), most recent first (see x-death.ts);
 *   `x-first-death-{reason,queue,exchange}` are set only when the message had no `x-death` array yet,
 *   `x-last-death-*` on every death (3.10 has no `x-last-death-*`).
 * - The `expiration` property is removed, so the message cannot expire again downstream; the record of
 *   the death keeps it as `original-expiration`.
 * - Routing keys: the queue's dead-letter routing key when it has one, else every key the message was
 *   routed with (publish key, CC, BCC). The `CC` header stays on the message either way (3.10 removed
 *   it when a dead-letter routing key was set); `BCC` never survives.
 * - The new message carries the DLX as its exchange and its first routing key as its routing key.
 * - 3.13 rebuilds the headers table on delivery: keys sorted bytewise, one value per key (the broker's
 *   own value wins over a client's). Every other header keeps its exact wire bytes and type.
 */
import { Message } from './message.js';
import {
  CycleIndex,
  canonicalExpiration,
  recordDeath,
  recoverDeaths,
  xDeathValue,
  type Death,
} from './x-death.js';
import { frameError } from '../protocol/errors.js';
import type { FieldValue } from '../protocol/field-types.js';
import { BASIC_PROPERTY_FLAG } from '../protocol/generated/methods.js';
import { Reader } from '../protocol/reader.js';
import { Writer } from '../protocol/writer.js';

export type DeadLetterReason = 'rejected' | 'expired' | 'maxlen' | 'delivery_limit';

/**
 * The routing keys a message travels with. 3.13 keeps them beside the message (CC and BCC keys are
 * resolved once, at publish); a caller that kept them passes them in, otherwise they are rebuilt from
 * the routing key and the `CC` header, which misses BCC keys (stripped at publish) and, after a
 * dead-lettering with a dead-letter routing key, wrongly adds the CC keys back.
 */
export interface MessageRoute {
  /** every key: the publish routing key, then CC keys, then BCC keys; or the dead-letter keys */
  readonly keys: readonly string[];
  /** the BCC keys among them: routed to, never recorded in `x-death` */
  readonly bcc: readonly string[];
}

export interface DeadLettered {
  /** the message to route through the dead-letter exchange */
  readonly msg: Message;
  /** the routing keys to route it with */
  readonly routingKeys: string[];
  /** what to pass as `route` should this message be dead-lettered again */
  readonly route: MessageRoute;
}

const F = BASIC_PROPERTY_FLAG;

/** One header as received: its key bytes and its value's wire bytes (type octet first). */
interface RawHeader {
  readonly key: Buffer;
  readonly name: string;
  readonly raw: Buffer | undefined;
  readonly value: FieldValue;
}

/** Where each present property sits in the raw property bytes, and the headers taken apart. */
interface SplitProperties {
  readonly flags: number;
  readonly spans: Map<number, [number, number]>;
  readonly headers: RawHeader[];
}

function skipShortstr(r: Reader): void {
  const len = r.u8();
  if (r.pos + len > r.end) throw frameError('frame too short: field runs past the end of the frame');
  r.pos += len;
}

function split(raw: Buffer): SplitProperties {
  const r = new Reader(raw);
  let flags = r.u16();
  // Continuation flag words carry nothing basic defines; 3.13 re-encodes without them.
  let more = flags & 1;
  while (more) more = r.u16() & 1;
  flags &= 0xfffe;
  const spans = new Map<number, [number, number]>();
  const headers: RawHeader[] = [];
  for (let bit = 15; bit >= 2; bit--) {
    const flag = 1 << bit;
    if ((flags & flag) === 0) continue;
    const start = r.pos;
    if (flag === F.headers) {
      const end = r.u32() + r.pos;
      if (end > r.end) throw frameError('frame too short: field runs past the end of the frame');
      const outerEnd = r.end;
      r.end = end;
      while (r.pos < end) {
        const keyAt = r.pos;
        skipShortstr(r);
        const key = raw.subarray(keyAt + 1, r.pos);
        const valueAt = r.pos;
        const value = r.value(0);
        headers.push({ key, name: key.toString('utf8'), raw: raw.subarray(valueAt, r.pos), value });
      }
      r.end = outerEnd;
    } else if (flag === F.deliveryMode || flag === F.priority) r.u8();
    else if (flag === F.timestamp) r.u64();
    else skipShortstr(r);
    spans.set(flag, [start, r.pos]);
  }
  return { flags, spans, headers };
}

/** The longstr elements of an array header (RabbitMQ's rule for CC and BCC), first occurrence. */
function headerKeys(headers: readonly RawHeader[], name: string): string[] {
  const v = headers.find((h) => h.name === name)?.value;
  return Array.isArray(v) ? v.filter((k): k is string => typeof k === 'string') : [];
}

/** `keys` without one occurrence of each of `remove`, earliest first (Erlang's `--`). */
function without(keys: readonly string[], remove: readonly string[]): string[] {
  if (remove.length === 0) return [...keys];
  const pending = new Map<string, number>();
  for (const k of remove) pending.set(k, (pending.get(k) ?? 0) + 1);
  return keys.filter((k) => {
    const n = pending.get(k) ?? 0;
    if (n === 0) return true;
    pending.set(k, n - 1);
    return false;
  });
}

function header(name: string, value: FieldValue): RawHeader {
  return { key: Buffer.from(name), name, raw: undefined, value };
}

/** Deaths recorded by `deadLetter`, so the cycle check need not parse the header it just wrote. */
const histories = new WeakMap<Message, { deaths: readonly Death[]; index?: CycleIndex }>();

/**
 * The message `queueName` publishes to its dead-letter exchange `dlx` (routing key `dlrk`, if the queue
 * has one) when `msg` dies there for `reason` at `now` (ms since the epoch).
 */
export function deadLetter(
  msg: Message,
  reason: DeadLetterReason,
  queueName: string,
  dlx: string,
  dlrk: string | undefined,
  now: number,
  route?: MessageRoute,
): DeadLettered {
  const raw = msg.rawProperties;
  const { flags, spans, headers } = split(raw);
  const bcc = route?.bcc ?? headerKeys(headers, 'BCC');
  const keys = route?.keys ?? [msg.routingKey, ...headerKeys(headers, 'CC'), ...bcc];

  const expSpan = spans.get(F.expiration);
  const expiration = expSpan ? raw.toString('utf8', expSpan[0] + 1, expSpan[1]) : undefined;
  // 3.13 reads the last x-death (a table lookup that keeps the last duplicate) and replaces the first.
  let xDeathAt = -1;
  let previous: FieldValue;
  headers.forEach((h, i) => {
    if (h.name !== 'x-death') return;
    if (xDeathAt < 0) xDeathAt = i;
    previous = h.value;
  });
  const recovered = recoverDeaths(previous);
  const deaths = recordDeath(recovered, {
    queue: queueName,
    reason,
    exchange: msg.exchange,
    routingKeys: without(keys, bcc),
    time: Math.floor(now / 1000),
    originalExpiration: expiration === undefined ? undefined : canonicalExpiration(expiration),
  });

  // Broker-set headers go first so that, among equal keys, the stable sort keeps them ahead of a
  // client's value and the dedup below keeps theirs.
  const own: RawHeader[] = [];
  if (recovered === undefined)
    own.push(
      header('x-first-death-reason', reason),
      header('x-first-death-queue', queueName),
      header('x-first-death-exchange', msg.exchange),
    );
  own.push(
    header('x-last-death-reason', reason),
    header('x-last-death-queue', queueName),
    header('x-last-death-exchange', msg.exchange),
  );
  const xDeath = header('x-death', xDeathValue(deaths));
  const rest = headers.map((h, i) => (i === xDeathAt ? xDeath : h)).filter((h) => h.name !== 'BCC');
  if (xDeathAt < 0) rest.push(xDeath);
  const sorted = [...own, ...rest].sort((a, b) => Buffer.compare(a.key, b.key));

  const w = new Writer(raw.length + 512);
  w.u16((flags | F.headers) & ~F.expiration);
  const copy = (flag: number): void => {
    const span = spans.get(flag);
    if (span) w.bytes(raw.subarray(span[0], span[1]));
  };
  copy(F.contentType);
  copy(F.contentEncoding);
  const lenAt = w.pos;
  w.u32(0);
  let last: Buffer | undefined;
  for (const h of sorted) {
    if (last !== undefined && last.equals(h.key)) continue;
    last = h.key;
    w.u8(h.key.length);
    w.bytes(h.key);
    if (h.raw) w.bytes(h.raw);
    else w.value(h.value);
  }
  w.buf.writeUInt32BE(w.pos - lenAt - 4, lenAt);
  for (let bit = 12; bit >= 2; bit--) if (1 << bit !== F.expiration) copy(1 << bit);

  const routingKeys = dlrk !== undefined ? [dlrk] : [...keys];
  const out = new Message(
    dlx,
    routingKeys[0] ?? msg.routingKey,
    Buffer.from(w.buf.subarray(0, w.pos)),
    msg.body,
  );
  histories.set(out, { deaths });
  return { msg: out, routingKeys, route: { keys: routingKeys, bcc } };
}

function history(dlMsg: Message): CycleIndex {
  let h = histories.get(dlMsg);
  if (!h) {
    h = { deaths: recoverDeaths(dlMsg.properties.headers?.['x-death']) ?? [] };
    histories.set(dlMsg, h);
  }
  return (h.index ??= new CycleIndex(h.deaths));
}

/**
 * Whether delivering the dead-lettered `dlMsg` (as returned by `deadLetter`) to `targetQueue` closes a
 * cycle, in which case RabbitMQ drops it for that queue. Never for 'rejected': a client's reject is
 * what lets a message go round deliberately (rabbit_dead_letter.erl `detect_cycles`).
 */
export function isDeadLetterCycle(reason: DeadLetterReason, dlMsg: Message, targetQueue: string): boolean {
  if (reason === 'rejected') return false;
  return history(dlMsg).isCycle(targetQueue);
}

/** The queues in `dlMsg`'s dead-letter history, most recent first (for the cycle warning RabbitMQ logs). */
export function deathQueueNames(dlMsg: Message): readonly string[] {
  return history(dlMsg).queueNames;
}
