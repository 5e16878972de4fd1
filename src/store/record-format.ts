/**
 * The on-disk framing shared by every store file: an 8-byte file header, then records
 *
 *   length u32 (payload bytes) | crc u32 (CRC-32 of type + payload) | type u8 | payload
 *
 * The CRC covers the type byte as well as the payload, so a flipped type byte (an ack read as a
 * delivered-mark, say) is caught like any other corruption. All integers are big-endian, like AMQP.
 */
import { crc32 } from './crc32.js';

export const MAGIC = 'WRNS';
export const FORMAT_VERSION = 1;
/** magic (4) | format version u16 | file kind u8 | reserved u8 */
export const FILE_HEADER_SIZE = 8;
export const RECORD_HEADER_SIZE = 9;

/** Which kind of file a header belongs to: an acks file renamed to msgs.N is refused, not misread. */
export const FileKind = { Messages: 0x4d, Acks: 0x41, Queues: 0x51 } as const;
export type FileKind = (typeof FileKind)[keyof typeof FileKind];

/**
 * Types 5 and 6 came after the first release. They are new types rather than a format version bump,
 * so data directories written before them stay readable as they are (types 1-4 never change), while
 * an older Warren meeting them would skip them as corrupt: downgrade is not supported.
 */
export const RecordType = {
  Message: 1,
  Ack: 2,
  Delivered: 3,
  DropQueue: 4,
  /** a message with its arrival time: arrivedAt u64 (ms since the epoch), then a type-1 payload */
  TimedMessage: 5,
  /** a message went back to its queue: queue id u32, offset u32, times returned so far u32 */
  Returned: 6,
} as const;
export type RecordType = (typeof RecordType)[keyof typeof RecordType];

/** ack / delivered-mark payload: queue id u32, offset u32 of the message record in its segment */
export const ACK_PAYLOAD_SIZE = 8;
/** returned-mark payload: as an ack, then the delivery count u32 */
export const RETURNED_PAYLOAD_SIZE = 12;
/** drop-queue payload: queue id u32, then the append position (segment u32, offset u32) at drop time */
export const DROP_PAYLOAD_SIZE = 12;

/** Thrown when a data directory holds files this version cannot read: never guessed around. */
export class StoreFormatError extends Error {
  override readonly name = 'StoreFormatError';
}

export function fileHeader(kind: FileKind): Buffer {
  const b = Buffer.alloc(FILE_HEADER_SIZE);
  b.write(MAGIC, 0, 'latin1');
  b.writeUInt16BE(FORMAT_VERSION, 4);
  b[6] = kind;
  return b;
}

/**
 * Checks the first bytes of a file. Returns 'torn' when the file is shorter than a header but what is
 * there is a prefix of the right header (a crash right after the file was created); throws
 * StoreFormatError for anything else that is not our header.
 */
export function checkFileHeader(bytes: Buffer, kind: FileKind, name: string): 'ok' | 'torn' {
  const expected = fileHeader(kind);
  if (bytes.length < FILE_HEADER_SIZE) {
    if (expected.subarray(0, bytes.length).equals(bytes)) return 'torn';
    throw new StoreFormatError(
      `${name}: not a Warren message store file (${bytes.length}-byte file, bad header)`,
    );
  }
  if (bytes.toString('latin1', 0, 4) !== MAGIC) {
    throw new StoreFormatError(
      `${name}: not a Warren message store file (expected magic "${MAGIC}", found 0x${bytes.toString('hex', 0, 4)});` +
        ' refusing to read a data directory written by other software',
    );
  }
  const version = bytes.readUInt16BE(4);
  if (version !== FORMAT_VERSION) {
    throw new StoreFormatError(
      `${name}: message store format version ${version}, but this Warren reads only version ${FORMAT_VERSION}`,
    );
  }
  if (bytes[6] !== kind) {
    throw new StoreFormatError(
      `${name}: file kind '${String.fromCharCode(bytes[6] ?? 0)}' where '${String.fromCharCode(kind)}' was expected`,
    );
  }
  return 'ok';
}

/** Writes length and type of a record at `off`; the payload follows, then `sealRecord`. */
export function writeRecordHeader(buf: Buffer, off: number, type: RecordType, payloadLength: number): void {
  buf.writeUInt32BE(payloadLength, off);
  buf[off + 8] = type;
}

/** Computes and stores the CRC once the payload is in place. */
export function sealRecord(buf: Buffer, off: number, payloadLength: number): void {
  buf.writeUInt32BE(crc32(buf, off + 8, off + RECORD_HEADER_SIZE + payloadLength), off + 4);
}

export function recordCrcOk(buf: Buffer, off: number, payloadLength: number): boolean {
  return buf.readUInt32BE(off + 4) === crc32(buf, off + 8, off + RECORD_HEADER_SIZE + payloadLength);
}
