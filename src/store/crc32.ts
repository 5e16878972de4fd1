/**
 * CRC-32 (IEEE, the zlib/PNG polynomial) over a byte range. Node 20.15+ has a native `zlib.crc32`; older
 * Node 20 releases (the package allows any 20.x) do not, so a table-driven fallback gives the same values.
 */
import * as zlib from 'node:zlib';

type NativeCrc32 = (data: NodeJS.ArrayBufferView, value?: number) => number;

const native = (zlib as { crc32?: NativeCrc32 }).crc32;

let table: Uint32Array | undefined;

function makeTable(): Uint32Array {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
}

/** The portable version, exported so tests can check it against the native one. */
export function crc32Portable(buf: Uint8Array, start = 0, end = buf.length): number {
  const t = (table ??= makeTable());
  let c = 0xffffffff;
  for (let i = start; i < end; i++) c = (t[(c ^ buf[i]!) & 0xff]! ^ (c >>> 8)) >>> 0;
  return (c ^ 0xffffffff) >>> 0;
}

/** CRC-32 of `buf[start, end)`. */
export function crc32(buf: Buffer, start = 0, end = buf.length): number {
  if (native) return native(start === 0 && end === buf.length ? buf : buf.subarray(start, end)) >>> 0;
  return crc32Portable(buf, start, end);
}
