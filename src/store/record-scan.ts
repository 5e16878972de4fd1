/**
 * Walks the records of one file image in memory, verifying each CRC, and decides what to do with
 * damage. A record is accepted only if its type is one the file may hold, its payload is well formed
 * and its CRC matches: a corrupt record is never handed on.
 *
 * At a bad record the scan resynchronises: first where the record's own length says the next one
 * starts (the usual case, a flipped byte in a payload), then, byte by byte, at the first later offset
 * where a complete valid record begins (a damaged length field, or a hole of unwritten pages that a
 * crash left in the middle of a flush). Only when no valid record follows is the rest of the file a
 * torn tail. Resynchronising rather than dropping the rest of the file keeps a single flipped bit in a
 * length field from costing a whole 64 MiB segment of confirmed messages.
 */
import { RECORD_HEADER_SIZE, recordCrcOk } from './record-format.js';

/** Checks type and payload shape (lengths only, no CRC) of a candidate record. */
export type PayloadCheck = (type: number, buf: Buffer, start: number, end: number) => boolean;

/** Gets each accepted record: its offset in the file and its payload range in `buf`. */
export type RecordSink = (type: number, offset: number, payloadStart: number, payloadEnd: number) => void;

export interface ScanDamage {
  readonly offset: number;
  readonly reason: string;
}

export interface ScanResult {
  /** skipped corrupt ranges, and the torn tail if any */
  readonly damage: ScanDamage[];
  /** where the valid data ends when the file has a torn tail (truncate here); undefined if none */
  readonly tornAt: number | undefined;
}

/** Size of the complete valid record at `p`, or 0. */
function validRecordAt(buf: Buffer, p: number, end: number, check: PayloadCheck): number {
  if (end - p < RECORD_HEADER_SIZE) return 0;
  const len = buf.readUInt32BE(p);
  if (len > end - p - RECORD_HEADER_SIZE) return 0;
  const start = p + RECORD_HEADER_SIZE;
  if (!check(buf[p + 8]!, buf, start, start + len)) return 0;
  return recordCrcOk(buf, p, len) ? RECORD_HEADER_SIZE + len : 0;
}

function describe(buf: Buffer, p: number, end: number, check: PayloadCheck): string {
  if (end - p < RECORD_HEADER_SIZE) return 'partial record header';
  const len = buf.readUInt32BE(p);
  if (len > end - p - RECORD_HEADER_SIZE) return `partial record (length ${len}, ${end - p} bytes left)`;
  const start = p + RECORD_HEADER_SIZE;
  if (!check(buf[p + 8]!, buf, start, start + len))
    return `malformed record (type ${buf[p + 8]}, length ${len})`;
  return 'crc mismatch';
}

/** Next offset after the bad record at `p` where a valid record starts, or -1. */
function resync(buf: Buffer, p: number, end: number, check: PayloadCheck): number {
  if (end - p >= RECORD_HEADER_SIZE) {
    const next = p + RECORD_HEADER_SIZE + buf.readUInt32BE(p);
    if (next < end && next > p && validRecordAt(buf, next, end, check) > 0) return next;
  }
  for (let q = p + 1; q + RECORD_HEADER_SIZE <= end; q++) {
    if (validRecordAt(buf, q, end, check) > 0) return q;
  }
  return -1;
}

/** Scans `buf[start, end)`, whose first byte is at file offset `start` (buf holds the file image). */
export function scanRecords(
  buf: Buffer,
  start: number,
  end: number,
  check: PayloadCheck,
  sink: RecordSink,
): ScanResult {
  const damage: ScanDamage[] = [];
  let p = start;
  while (p < end) {
    const size = validRecordAt(buf, p, end, check);
    if (size > 0) {
      sink(buf[p + 8]!, p, p + RECORD_HEADER_SIZE, p + size);
      p += size;
      continue;
    }
    const reason = describe(buf, p, end, check);
    const q = resync(buf, p, end, check);
    if (q < 0) {
      damage.push({ offset: p, reason: `${reason}: torn tail of ${end - p} bytes dropped` });
      return { damage, tornAt: p };
    }
    damage.push({ offset: p, reason: `${reason}: ${q - p} bytes skipped` });
    p = q;
  }
  return { damage, tornAt: undefined };
}
