/**
 * Reading `acks.N` at startup: what its ack, delivered-mark and returned-mark records say about the
 * messages of segment N. The marks only annotate; recovery applies them to the messages it finds in
 * msgs.N, so a mark for a message that is not there (acked, dropped, never written) has no effect.
 */
import { truncateSync } from 'node:fs';
import type { RecoveryReport } from './message-store.js';
import {
  ACK_PAYLOAD_SIZE,
  checkFileHeader,
  FILE_HEADER_SIZE,
  FileKind,
  RecordType,
  RETURNED_PAYLOAD_SIZE,
} from './record-format.js';
import { scanRecords, type PayloadCheck } from './record-scan.js';
import { acksPath } from './segment-files.js';

/** queue id -> offsets (in msgs.N) of the messages marked */
export type Marks = Map<number, Set<number>>;
/** queue id -> offset (in msgs.N) -> latest delivery count */
export type Counts = Map<number, Map<number, number>>;

export interface SegmentMarks {
  readonly acked: Marks;
  readonly delivered: Marks;
  readonly returned: Counts;
}

export function emptyMarks(): SegmentMarks {
  return { acked: new Map(), delivered: new Map(), returned: new Map() };
}

const isMark: PayloadCheck = (type, _buf, start, end) =>
  type === RecordType.Returned
    ? end - start === RETURNED_PAYLOAD_SIZE
    : (type === RecordType.Ack || type === RecordType.Delivered) && end - start === ACK_PAYLOAD_SIZE;

function mark(marks: Marks, queueId: number, offset: number): void {
  let set = marks.get(queueId);
  if (set === undefined) marks.set(queueId, (set = new Set()));
  set.add(offset);
}

/**
 * Applies the file image of acks.N to `into`; returns the length of its valid part, cutting a torn
 * tail on disk since the file is appended to after startup.
 */
export function readAcks(
  dir: string,
  segment: number,
  image: Buffer,
  into: SegmentMarks,
  dropped: RecoveryReport['dropped'],
): number {
  const name = `acks.${segment}`;
  if (checkFileHeader(image.subarray(0, FILE_HEADER_SIZE), FileKind.Acks, name) === 'torn') {
    truncateSync(acksPath(dir, segment), 0); // the header is rewritten with the first new ack
    return 0;
  }
  const scan = scanRecords(image, FILE_HEADER_SIZE, image.length, isMark, (type, _offset, start) => {
    const queueId = image.readUInt32BE(start);
    const offset = image.readUInt32BE(start + 4);
    if (type !== RecordType.Returned) {
      mark(type === RecordType.Ack ? into.acked : into.delivered, queueId, offset);
      return;
    }
    // records are in the order they were written: the last one for a message is the latest count
    let counts = into.returned.get(queueId);
    if (counts === undefined) into.returned.set(queueId, (counts = new Map()));
    counts.set(offset, image.readUInt32BE(start + 8));
  });
  for (const d of scan.damage) dropped.push({ segment, offset: d.offset, reason: `${name}: ${d.reason}` });
  if (scan.tornAt === undefined) return image.length;
  truncateSync(acksPath(dir, segment), scan.tornAt);
  return scan.tornAt;
}
