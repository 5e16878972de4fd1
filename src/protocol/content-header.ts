/**
 * Content header frames: class id, weight, body size, then the property-flags word and properties.
 * The broker keeps the properties as the raw bytes it received and forwards them unchanged, so a
 * message's headers reach consumers exactly as published (no decode/re-encode on the hot path, and no
 * type widening of field-table values). Properties are decoded only when something needs to read them.
 */
import { frameError } from './errors.js';
import { Reader } from './reader.js';
import { decodeBasicProperties, type BasicProperties } from './generated/methods.js';

export interface ContentHeader {
  classId: number;
  bodySize: number;
  /** property flags word(s) and property values, as received */
  properties: Buffer;
}

export function parseContentHeader(payload: Buffer): ContentHeader {
  if (payload.length < 14) throw frameError('content header frame too short');
  const classId = payload.readUInt16BE(0);
  const hi = payload.readUInt32BE(4);
  const lo = payload.readUInt32BE(8);
  if (hi > 0x1fffff) throw frameError('content body size out of range');
  return { classId, bodySize: hi * 0x100000000 + lo, properties: payload.subarray(12) };
}

/** Decodes raw properties (flags word first). Throws 501 on malformed bytes. */
export function decodeProperties(raw: Buffer): BasicProperties {
  const r = new Reader(raw);
  let flags = r.u16();
  // Bit 0 set means another flags word follows; basic defines only 14 properties, so any
  // continuation words carry nothing we know and are skipped.
  let more = flags & 1;
  while (more) more = r.u16() & 1;
  flags &= 0xfffe;
  const props = decodeBasicProperties(r, flags);
  if (r.pos !== r.end) throw frameError('content header properties longer than their flags say');
  return props;
}

/** Flags word of raw properties, without decoding them. */
export function propertyFlags(raw: Buffer): number {
  return raw.length >= 2 ? raw.readUInt16BE(0) : 0;
}
