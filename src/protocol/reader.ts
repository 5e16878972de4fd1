/**
 * Bounds-checked reads over a slice of a Buffer. Used by the generated method decoder and the content
 * header decoder. Any read past `end` throws a 501 FRAME_ERROR (RabbitMQ answers undecodable method
 * arguments the same way), so a truncated or lying frame can never read into the next frame or
 * allocate more than the frame holds.
 */
import { isUtf8 } from 'node:buffer';
import { frameError } from './errors.js';
import type { FieldTable, FieldValue } from './field-types.js';

/**
 * The wire type of each value in a decoded table, by key. JS numbers lose the distinction between
 * 'b', 's', 'I' and 'l'; RabbitMQ's error texts name the type ("of type 'byte'"), so the decoder keeps it
 * on the side for the tables that need it (method arguments) without changing the values.
 */
export const TABLE_TYPES = new WeakMap<FieldTable, Map<string, number>>();

const TYPE_NAMES: Record<number, string> = {
  0x74: 'bool',
  0x62: 'byte',
  0x42: 'unsignedbyte',
  0x73: 'short',
  0x75: 'unsignedshort',
  0x49: 'signedint',
  0x69: 'unsignedint',
  0x6c: 'long',
  0x66: 'float',
  0x64: 'double',
  0x44: 'decimal',
  0x53: 'longstr',
  0x78: 'binary',
  0x41: 'array',
  0x54: 'timestamp',
  0x46: 'table',
  0x56: 'void',
};

/** RabbitMQ's name for the wire type of `table[key]` ('longstr', 'byte', ...), guessed if unknown. */
export function fieldTypeName(table: FieldTable, key: string): string {
  const t = TABLE_TYPES.get(table)?.get(key);
  if (t !== undefined) return TYPE_NAMES[t] ?? 'unknown';
  const v = table[key];
  if (typeof v === 'string') return 'longstr';
  if (typeof v === 'boolean') return 'bool';
  if (typeof v === 'number') return Number.isInteger(v) ? 'long' : 'double';
  if (Array.isArray(v)) return 'array';
  if (v === null || v === undefined) return 'void';
  return 'table';
}

/** Nesting deeper than this is hostile: a legitimate header never comes close. */
const MAX_TABLE_DEPTH = 100;

export class Reader {
  buf: Buffer;
  pos: number;
  end: number;

  constructor(buf: Buffer, pos = 0, end = buf.length) {
    this.buf = buf;
    this.pos = pos;
    this.end = end;
  }

  private need(n: number): void {
    if (this.pos + n > this.end) throw frameError('frame too short: field runs past the end of the frame');
  }

  u8(): number {
    this.need(1);
    return this.buf[this.pos++] as number;
  }
  i8(): number {
    this.need(1);
    const v = this.buf.readInt8(this.pos);
    this.pos += 1;
    return v;
  }
  u16(): number {
    this.need(2);
    const v = this.buf.readUInt16BE(this.pos);
    this.pos += 2;
    return v;
  }
  i16(): number {
    this.need(2);
    const v = this.buf.readInt16BE(this.pos);
    this.pos += 2;
    return v;
  }
  u32(): number {
    this.need(4);
    const v = this.buf.readUInt32BE(this.pos);
    this.pos += 4;
    return v;
  }
  i32(): number {
    this.need(4);
    const v = this.buf.readInt32BE(this.pos);
    this.pos += 4;
    return v;
  }
  /** Unsigned 64-bit as a JS number: delivery tags and timestamps stay far below 2^53 in practice. */
  u64(): number {
    this.need(8);
    const hi = this.buf.readUInt32BE(this.pos);
    const lo = this.buf.readUInt32BE(this.pos + 4);
    this.pos += 8;
    return hi * 0x100000000 + lo;
  }
  /** Signed 64-bit: a number when it is exact, a bigint otherwise. */
  i64(): number | bigint {
    this.need(8);
    const v = this.buf.readBigInt64BE(this.pos);
    this.pos += 8;
    return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
  }
  f32(): number {
    this.need(4);
    const v = this.buf.readFloatBE(this.pos);
    this.pos += 4;
    return v;
  }
  f64(): number {
    this.need(8);
    const v = this.buf.readDoubleBE(this.pos);
    this.pos += 8;
    return v;
  }
  shortstr(): string {
    const len = this.u8();
    this.need(len);
    if (!isUtf8(this.buf.subarray(this.pos, this.pos + len))) throw frameError('Malformed UTF-8 in shortstr');
    const s = this.buf.toString('utf8', this.pos, this.pos + len);
    this.pos += len;
    return s;
  }
  /** Long string as raw bytes (a slice, not a copy): SASL responses and opaque payloads. */
  longstrBytes(): Buffer {
    const len = this.u32();
    this.need(len);
    const b = this.buf.subarray(this.pos, this.pos + len);
    this.pos += len;
    return b;
  }
  longstr(): string {
    const len = this.u32();
    this.need(len);
    const s = this.buf.toString('utf8', this.pos, this.pos + len);
    this.pos += len;
    return s;
  }

  table(depth = 0): FieldTable {
    if (depth > MAX_TABLE_DEPTH) throw frameError('field table nested too deeply');
    const len = this.u32();
    this.need(len);
    const t: FieldTable = {};
    if (len === 0) return t;
    const end = this.pos + len;
    const outerEnd = this.end;
    this.end = end;
    const types = new Map<string, number>();
    TABLE_TYPES.set(t, types);
    try {
      while (this.pos < end) {
        const key = this.shortstr();
        types.set(key, this.buf[this.pos] ?? 0);
        const v = this.value(depth);
        if (key === '__proto__')
          Object.defineProperty(t, key, { value: v, enumerable: true, writable: true, configurable: true });
        else t[key] = v;
      }
    } finally {
      this.end = outerEnd;
    }
    return t;
  }

  private array(depth: number): FieldValue[] {
    if (depth > MAX_TABLE_DEPTH) throw frameError('field array nested too deeply');
    const len = this.u32();
    this.need(len);
    const end = this.pos + len;
    const outerEnd = this.end;
    this.end = end;
    const a: FieldValue[] = [];
    try {
      while (this.pos < end) a.push(this.value(depth));
    } finally {
      this.end = outerEnd;
    }
    return a;
  }

  value(depth: number): FieldValue {
    const type = this.u8();
    switch (type) {
      case 0x74: // t
        return this.u8() !== 0;
      case 0x62: // b
        return this.i8();
      case 0x42: // B
        return this.u8();
      case 0x73: // s (RabbitMQ's short signed int)
        return this.i16();
      case 0x75: // u
        return this.u16();
      case 0x49: // I
        return this.i32();
      case 0x69: // i
        return this.u32();
      case 0x6c: // l
        return this.i64();
      case 0x66: // f
        return this.f32();
      case 0x64: // d
        return this.f64();
      case 0x44: {
        // D: scale octet + signed 32-bit value
        const scale = this.u8();
        const value = this.i32();
        return { $decimal: true, scale, value };
      }
      case 0x53: // S
        return this.longstr();
      case 0x78: // x: byte array
        return Buffer.from(this.longstrBytes());
      case 0x41: // A
        return this.array(depth + 1);
      case 0x54: // T: seconds since the epoch
        return new Date(this.u64() * 1000);
      case 0x46: // F
        return this.table(depth + 1);
      case 0x56: // V
        return null;
      default:
        throw frameError(`unknown field table value type 0x${type.toString(16)}`);
    }
  }
}
