/**
 * What `SegmentStore.open()` does with the directory before the store takes new work: read queues.log
 * (dropped queues), then every segment in order (its acks file first, then its messages), rebuild each
 * queue's list, cut torn tails, delete segments with nothing live, start a fresh segment for appends
 * and compact queues.log. Synchronous fs calls are used only for the small repairs; the big reads are
 * async and double-buffered (segment N+1 is read while segment N is checked).
 */
import {
  closeSync,
  existsSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  readSync,
  renameSync,
  statSync,
  truncateSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import { emptyMarks, readAcks } from './acks-file.js';
import { FileImageReader } from './file-image.js';
import {
  decodeMessage,
  forEachQueueId,
  messageFieldsStart,
  messagePayloadValid,
  placementProperties,
  readArrivedAt,
} from './message-codec.js';
import type { MessageRef, RecoveredEntry, RecoveryReport, StoredMessage } from './message-store.js';
import {
  checkFileHeader,
  DROP_PAYLOAD_SIZE,
  FILE_HEADER_SIZE,
  fileHeader,
  FileKind,
  RECORD_HEADER_SIZE,
  RecordType,
  sealRecord,
  writeRecordHeader,
} from './record-format.js';
import { scanRecords, type PayloadCheck } from './record-scan.js';
import { acksPath, msgsPath, parseSegmentFile, QUEUES_LOG, QUEUES_LOG_TMP } from './segment-files.js';
import type { SegmentState } from './segment-state.js';

type Dropped = RecoveryReport['dropped'][number];

/** A queue's drop: every message of that queue appended before (segment, offset) is gone. */
interface DropMark {
  segment: number;
  offset: number;
}

export interface Recovered {
  readonly report: RecoveryReport;
  readonly segments: Map<number, SegmentState>;
  /** queue id -> segment -> live messages of that queue in that segment */
  readonly queueSegments: Map<number, Map<number, number>>;
  /** the new, empty segment that appends go to */
  readonly current: number;
  /** size of queues.log, 0 if absent */
  readonly queuesLogEnd: number;
}

const isMessage: PayloadCheck = messagePayloadValid;
const isDrop: PayloadCheck = (type, _buf, start, end) =>
  type === RecordType.DropQueue && end - start === DROP_PAYLOAD_SIZE;

/**
 * A recovered entry with the optional fields present only when they have a value, each combination
 * built as one literal: adding a property after creation would cost every entry an out-of-object
 * property store (measured: +56 bytes per timed message at a million entries).
 */
function entry(
  ref: MessageRef,
  redelivered: boolean,
  message: StoredMessage | undefined,
  arrivedAt: number | undefined,
  deliveryCount: number | undefined,
): RecoveredEntry {
  if (arrivedAt === undefined) {
    return deliveryCount === undefined
      ? { ref, redelivered, message }
      : { ref, redelivered, message, deliveryCount };
  }
  return deliveryCount === undefined
    ? { ref, redelivered, message, arrivedAt }
    : { ref, redelivered, message, arrivedAt, deliveryCount };
}

function syncDir(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** The first FILE_HEADER_SIZE bytes of a file (fewer if it is shorter). */
function readHead(path: string): Buffer {
  const fd = openSync(path, 'r');
  try {
    const head = Buffer.alloc(FILE_HEADER_SIZE);
    return head.subarray(0, readSync(fd, head, 0, FILE_HEADER_SIZE, 0));
  } finally {
    closeSync(fd);
  }
}

function writeNewFile(path: string, bytes: Buffer): void {
  const fd = openSync(path, 'wx', 0o644);
  try {
    writeSync(fd, bytes);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

export async function recover(dir: string, eagerLoadBytes: number): Promise<Recovered> {
  const started = performance.now();
  mkdirSync(dir, { recursive: true });
  const dropped: Dropped[] = [];
  const msgsSegments: number[] = [];
  const acksSegments = new Set<number>();
  for (const name of readdirSync(dir)) {
    if (name === QUEUES_LOG_TMP) unlinkSync(join(dir, name)); // a compaction cut short: the original stands
    const f = parseSegmentFile(name);
    if (f?.kind === 'msgs') msgsSegments.push(f.segment);
    else if (f?.kind === 'acks') acksSegments.add(f.segment);
  }
  msgsSegments.sort((a, b) => a - b);

  const drops = readQueuesLog(dir, dropped);
  let totalMsgsBytes = 0;
  for (const s of msgsSegments) totalMsgsBytes += statSync(msgsPath(dir, s)).size;
  const eager = totalMsgsBytes <= eagerLoadBytes;

  const queues = new Map<number, RecoveredEntry[]>();
  const segments = new Map<number, SegmentState>();
  const queueSegments = new Map<number, Map<number, number>>();
  const readers = [new FileImageReader(), new FileImageReader()];
  const load = (i: number): Promise<[Buffer, Buffer | undefined]> | undefined => {
    const segment = msgsSegments[i];
    if (segment === undefined) return undefined;
    const acks = acksSegments.has(segment) ? readFileSync(acksPath(dir, segment)) : undefined;
    const loading = readers[i % 2]!.read(msgsPath(dir, segment)).then(
      (image): [Buffer, Buffer | undefined] => [image, acks],
    );
    loading.catch(() => {}); // if open() fails before awaiting this prefetch, its error is not unhandled
    return loading;
  };

  let next = load(0);
  for (let i = 0; i < msgsSegments.length; i++) {
    const segment = msgsSegments[i]!;
    const [image, acksImage] = await next!;
    next = load(i + 1); // overlaps the read of the next segment with checking this one
    const state: SegmentState = { msgsEnd: 0, msgsWritten: 0, acksEnd: 0, acksWritten: 0, live: 0 };
    segments.set(segment, state);

    const marks = emptyMarks();
    const { acked, delivered, returned } = marks;
    if (acksImage !== undefined) {
      state.acksEnd = state.acksWritten = readAcks(dir, segment, acksImage, marks, dropped);
    }

    const name = `msgs.${segment}`;
    if (checkFileHeader(image.subarray(0, FILE_HEADER_SIZE), FileKind.Messages, name) === 'torn') {
      dropped.push({ segment, offset: 0, reason: `${name}: torn file header` });
      continue; // nothing live: deleted below
    }
    const perQueue = new Map<number, number>();
    const scan = scanRecords(image, FILE_HEADER_SIZE, image.length, isMessage, (type, offset, start, end) => {
      let ref: MessageRef | undefined;
      let message: StoredMessage | undefined;
      let properties: Buffer | undefined;
      const arrivedAt = type === RecordType.TimedMessage ? readArrivedAt(image, start) : undefined;
      forEachQueueId(image, messageFieldsStart(type, start), (queueId) => {
        const drop = drops.get(queueId);
        if (
          drop !== undefined &&
          (segment < drop.segment || (segment === drop.segment && offset < drop.offset))
        )
          return;
        if (acked.get(queueId)?.has(offset) === true) return;
        ref ??= { segment, offset, size: end - offset };
        if (eager) message ??= decodeMessage(type, image, start, true);
        else properties ??= placementProperties(type, image, start);
        let list = queues.get(queueId);
        if (list === undefined) queues.set(queueId, (list = []));
        let count = returned.get(queueId)?.get(offset);
        if (count === 0) count = undefined; // a count of 0 reads as never returned
        // a message that was returned had been delivered, even if its delivered-mark was lost
        const redelivered = count !== undefined || delivered.get(queueId)?.has(offset) === true;
        const e = entry(ref, redelivered, message, arrivedAt, count);
        // only messages with a priority or expiration: one more object for them, none for the rest
        list.push(properties === undefined ? e : { ...e, properties });
        perQueue.set(queueId, (perQueue.get(queueId) ?? 0) + 1);
        state.live++;
      });
    });
    for (const d of scan.damage) dropped.push({ segment, offset: d.offset, reason: `${name}: ${d.reason}` });
    state.msgsEnd = state.msgsWritten = scan.tornAt ?? image.length;
    if (scan.tornAt !== undefined && state.live > 0) truncateSync(msgsPath(dir, segment), scan.tornAt);
    for (const [queueId, n] of perQueue) {
      let bySegment = queueSegments.get(queueId);
      if (bySegment === undefined) queueSegments.set(queueId, (bySegment = new Map()));
      bySegment.set(segment, n);
    }
  }

  // Reclaim what recovery found dead. msgs.N goes (durably) before acks.N: a crash in between leaves an
  // orphan acks file, never a messages file without its acks.
  const dead = [...segments].filter(([, s]) => s.live === 0).map(([segment]) => segment);
  for (const segment of dead) {
    unlinkSync(msgsPath(dir, segment));
    segments.delete(segment);
  }
  if (dead.length > 0) syncDir(dir);
  for (const segment of acksSegments) {
    if (segments.has(segment)) continue;
    const path = acksPath(dir, segment);
    checkFileHeader(readHead(path), FileKind.Acks, `acks.${segment}`);
    unlinkSync(path); // an orphan: its messages file was reclaimed or never made it to disk
  }

  // Appends go to a new segment, numbered past everything seen (and past every drop mark, so a drop
  // can never cover a message appended after it); old segments are never written again.
  let highest = 0;
  for (const s of msgsSegments) highest = Math.max(highest, s);
  for (const s of acksSegments) highest = Math.max(highest, s);
  for (const d of drops.values()) highest = Math.max(highest, d.segment);
  const current = highest + 1;
  writeNewFile(msgsPath(dir, current), fileHeader(FileKind.Messages));
  segments.set(current, {
    msgsEnd: FILE_HEADER_SIZE,
    msgsWritten: FILE_HEADER_SIZE,
    acksEnd: 0,
    acksWritten: 0,
    live: 0,
  });
  const queuesLogEnd = compactQueuesLog(dir, drops, segments);
  syncDir(dir);

  const report: RecoveryReport = {
    queues,
    dropped,
    segments: msgsSegments.length,
    durationMs: Math.round(performance.now() - started),
  };
  return { report, segments, queueSegments, current, queuesLogEnd };
}

/** Reads queues.log: the latest drop mark per queue. Damage is reported as segment 0. */
function readQueuesLog(dir: string, dropped: Dropped[]): Map<number, DropMark> {
  const drops = new Map<number, DropMark>();
  const path = join(dir, QUEUES_LOG);
  if (!existsSync(path)) return drops;
  const image = readFileSync(path);
  if (checkFileHeader(image.subarray(0, FILE_HEADER_SIZE), FileKind.Queues, QUEUES_LOG) === 'torn')
    return drops;
  const scan = scanRecords(image, FILE_HEADER_SIZE, image.length, isDrop, (_type, _offset, start) => {
    const queueId = image.readUInt32BE(start);
    const m = { segment: image.readUInt32BE(start + 4), offset: image.readUInt32BE(start + 8) };
    const prev = drops.get(queueId);
    if (
      prev === undefined ||
      m.segment > prev.segment ||
      (m.segment === prev.segment && m.offset > prev.offset)
    ) {
      drops.set(queueId, m);
    }
  });
  for (const d of scan.damage)
    dropped.push({ segment: 0, offset: d.offset, reason: `${QUEUES_LOG}: ${d.reason}` });
  return drops;
}

/**
 * Rewrites queues.log with only the drop marks that still cover a surviving segment (one per queue),
 * via a temporary file and rename so a crash leaves either the old or the new log. Returns its size.
 */
function compactQueuesLog(
  dir: string,
  drops: Map<number, DropMark>,
  segments: Map<number, SegmentState>,
): number {
  let oldest = Infinity;
  for (const [segment, s] of segments) if (s.live > 0) oldest = Math.min(oldest, segment);
  const keep = [...drops].filter(([, d]) => d.segment >= oldest);
  const path = join(dir, QUEUES_LOG);
  if (keep.length === 0) {
    if (existsSync(path)) unlinkSync(path);
    return 0;
  }
  const record = RECORD_HEADER_SIZE + DROP_PAYLOAD_SIZE;
  const bytes = Buffer.alloc(FILE_HEADER_SIZE + keep.length * record);
  fileHeader(FileKind.Queues).copy(bytes, 0);
  keep.forEach(([queueId, d], i) => {
    const off = FILE_HEADER_SIZE + i * record;
    writeRecordHeader(bytes, off, RecordType.DropQueue, DROP_PAYLOAD_SIZE);
    bytes.writeUInt32BE(queueId, off + RECORD_HEADER_SIZE);
    bytes.writeUInt32BE(d.segment, off + RECORD_HEADER_SIZE + 4);
    bytes.writeUInt32BE(d.offset, off + RECORD_HEADER_SIZE + 8);
    sealRecord(bytes, off, DROP_PAYLOAD_SIZE);
  });
  const tmp = join(dir, QUEUES_LOG_TMP);
  writeNewFile(tmp, bytes);
  renameSync(tmp, path);
  return bytes.length;
}
