/**
 * A growable byte writer used to encode outgoing frames. One Writer belongs to one socket and is reused
 * for every frame it sends, so encoding does not allocate per message once it has grown to its working
 * size.
 */
import { isDecimal, isTyped, type FieldTable, type FieldValue } from './field-types.js';

export class Writer {
  buf: Buffer;
  pos = 0;

  constructor(initial = 64 * 1024) {
    this.buf = Buffer.allocUnsafe(initial);
  }

  ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.pos + n) size *= 2;
    const next = Buffer.allocUnsafe(size);
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }

  u8(v: number): void {
    this.ensure(1);
    this.buf[this.pos++] = v;
  }
  u16(v: number): void {
    this.ensure(2);
    this.buf.writeUInt16BE(v, this.pos);
    this.pos += 2;
  }
  i16(v: number): void {
    this.ensure(2);
    this.buf.writeInt16BE(v, this.pos);
    this.pos += 2;
  }
  u32(v: number): void {
    this.ensure(4);
    this.buf.writeUInt32BE(v >>> 0, this.pos);
    this.pos += 4;
  }
  i32(v: number): void {
    this.ensure(4);
    this.buf.writeInt32BE(v | 0, this.pos);
    this.pos += 4;
  }
  u64(v: number): void {
    this.ensure(8);
    this.buf.writeUInt32BE(Math.floor(v / 0x100000000) >>> 0, this.pos);
    this.buf.writeUInt32BE(v >>> 0, this.pos + 4);
    this.pos += 8;
  }
  i64(v: number | bigint): void {
    this.ensure(8);
    this.buf.writeBigInt64BE(BigInt(v), this.pos);
    this.pos += 8;
  }
  f32(v: number): void {
    this.ensure(4);
    this.buf.writeFloatBE(v, this.pos);
    this.pos += 4;
  }
  f64(v: number): void {
    this.ensure(8);
    this.buf.writeDoubleBE(v, this.pos);
    this.pos += 8;
  }
  bytes(b: Buffer): void {
    this.ensure(b.length);
    b.copy(this.buf, this.pos);
    this.pos += b.length;
  }
  shortstr(s: string): void {
    const len = Buffer.byteLength(s);
    if (len > 255) throw new RangeError(`short string longer than 255 bytes: ${s.slice(0, 40)}...`);
    this.ensure(1 + len);
    this.buf[this.pos++] = len;
    this.pos += this.buf.write(s, this.pos, 'utf8');
  }
  longstr(s: string | Buffer): void {
    if (typeof s === 'string') {
      const len = Buffer.byteLength(s);
      this.ensure(4 + len);
      this.u32(len);
      this.pos += this.buf.write(s, this.pos, 'utf8');
    } else {
      this.u32(s.length);
      this.bytes(s);
    }
  }

  table(t: FieldTable | undefined): void {
    const lenAt = this.pos;
    this.u32(0);
    if (t) {
      for (const key of Object.keys(t)) {
        const v = t[key];
        if (v === undefined) continue;
        this.shortstr(key);
        this.value(v);
      }
    }
    this.buf.writeUInt32BE(this.pos - lenAt - 4, lenAt);
  }

  private array(a: FieldValue[]): void {
    const lenAt = this.pos;
    this.u32(0);
    for (const v of a) this.value(v ?? null);
    this.buf.writeUInt32BE(this.pos - lenAt - 4, lenAt);
  }

  value(v: FieldValue): void {
    if (v === null || v === undefined) return this.u8(0x56);
    switch (typeof v) {
      case 'boolean':
        this.u8(0x74);
        return this.u8(v ? 1 : 0);
      case 'string':
        this.u8(0x53);
        return this.longstr(v);
      case 'bigint':
        this.u8(0x6c);
        return this.i64(v);
      case 'number':
        if (Number.isInteger(v)) {
          if (v >= -0x80000000 && v <= 0x7fffffff) {
            this.u8(0x49);
            return this.i32(v);
          }
          // Past 2^53 a number came from a double (the decoder turns such longs into bigints), and
          // past 2^63 it does not fit a long at all: found by the fuzzer, it made every redelivery of
          // such a message (delivery counts re-encode headers) a 541 for the consumer.
          if (Number.isSafeInteger(v)) {
            this.u8(0x6c);
            return this.i64(BigInt(v));
          }
        }
        this.u8(0x64);
        return this.f64(v);
      default:
        break;
    }
    if (Buffer.isBuffer(v)) {
      this.u8(0x78);
      return this.longstr(v);
    }
    if (v instanceof Date) {
      this.u8(0x54);
      return this.u64(Math.floor(v.getTime() / 1000));
    }
    if (Array.isArray(v)) {
      this.u8(0x41);
      return this.array(v);
    }
    if (isDecimal(v)) {
      this.u8(0x44);
      this.u8(v.scale);
      return this.i32(v.value);
    }
    if (isTyped(v)) return this.typed(v.$type, v.value);
    this.u8(0x46);
    return this.table(v as FieldTable);
  }

  private typed(type: string, value: number | bigint): void {
    this.u8(type.charCodeAt(0));
    const n = Number(value);
    switch (type) {
      case 'b':
        this.ensure(1);
        this.buf.writeInt8(n, this.pos++);
        return;
      case 'B':
        return this.u8(n);
      case 's':
        return this.i16(n);
      case 'u':
        return this.u16(n);
      case 'I':
        return this.i32(n);
      case 'i':
        return this.u32(n);
      case 'l':
        return this.i64(value);
      case 'f':
        return this.f32(n);
      case 'T':
        return this.u64(n);
      default:
        return this.f64(n);
    }
  }
}
