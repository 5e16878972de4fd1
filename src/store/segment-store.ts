/**
 * SegmentStore: the MessageStore on append-only segment files, as LavinMQ and RabbitMQ do it.
 *
 * Layout (see docs/message-store.md): `msgs.N` holds message records, rolled over at segmentSize;
 * `acks.N` holds ack, delivered-mark and returned-mark records for messages whose record is in msgs.N,
 * so the two are deleted together once nothing in N is live; `queues.log` holds drop-queue marks.
 * Memory held: per segment a few numbers, per (queue, segment) a live count; nothing per message.
 *
 * Writes are group-committed: append/ack/delivered/returned/dropQueue encode into in-memory buffers, and one
 * flush at a time writes them (positional writev), datasyncs every file written, then runs the
 * whenSynced callbacks registered before it started.
 *
 * Crash story: what kill -9 (or power loss) can leave at any instant, and what open() makes of it.
 * - Between flushes: every file ends in complete records. Records buffered but not flushed are lost;
 *   no whenSynced callback covering them has run, so no publisher was told they were safe.
 * - During a flush: each file written has some prefix (or, after power loss, any subset of pages) of
 *   the new bytes. open() walks each file, verifying every record's CRC. A partial record or a bad CRC
 *   with no valid record after it is a torn tail: cut off (truncated) and reported in `dropped`. Bad
 *   bytes followed by valid records (unwritten pages in the middle of a flush, or a flipped bit) are
 *   skipped and reported; the valid records after them are kept. A record that fails its CRC is never
 *   returned. Records of the torn flush that did survive intact come back: they were never confirmed,
 *   so delivering them is at-least-once, not a lie.
 * - An ack that reached disk while the message record it refers to did not: the ack names an offset
 *   with no record and is ignored; old segments are never appended to again (every open starts a new
 *   segment), so no later record can take that offset. A message whose ack did not reach disk comes
 *   back (at-least-once: acks are never waited for), marked redelivered if its delivered-mark did.
 *   Delivered- and returned-marks only annotate messages that recovery finds live: a mark for an acked,
 *   dropped or missing message is ignored, so it can never bring one back; and they do not count as
 *   live, so they never keep a segment from being reclaimed. A lost returned-mark leaves an older
 *   (lower) delivery count, never a higher one.
 * - A new file whose directory entry was not yet synced: it may be missing or shorter than its header.
 *   Flushes fsync the directory after creating a file, before running callbacks, so a confirmed message
 *   never lives in a file that can disappear. A file that is only a prefix of a header is treated as
 *   empty; a file with someone else's header makes open() fail (StoreFormatError).
 * - During reclaim of segment N: msgs.N is unlinked and the directory synced before acks.N is
 *   unlinked, so a crash can leave an orphan acks.N (deleted by open) but never a msgs.N whose acks
 *   are gone, which would resurrect acked messages.
 * - During open's own repairs (truncation, deletion, queues.log compaction by write-temp-then-rename):
 *   each step is idempotent and the next open simply redoes it.
 *
 * No space. A flush that fails with ENOSPC or EDQUOT is not an error but a wait: the flush keeps its
 * buffers and callbacks, tells onNoSpace, and writes all of it again (same bytes, same positions, so
 * whatever part reached disk is simply overwritten) every so often until it succeeds. Nothing is
 * confirmed meanwhile; a crash meanwhile leaves at most a torn tail, which open() cuts as above, and
 * never touches records written before. New records keep buffering for the next flush (publishers
 * are held by the disk alarm and by input-hold.ts). Any other write error still stops the store.
 */
import { unlink, open as openFile, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { HandleCache } from './handle-cache.js';
import { decodeMessage, encodeMessageRecord, messageLayout, messagePayloadValid } from './message-codec.js';
import type { MessageRef, MessageStore, RecoveryReport, StoredMessage } from './message-store.js';
import {
  ACK_PAYLOAD_SIZE,
  DROP_PAYLOAD_SIZE,
  FILE_HEADER_SIZE,
  fileHeader,
  FileKind,
  RECORD_HEADER_SIZE,
  recordCrcOk,
  RecordType,
  RETURNED_PAYLOAD_SIZE,
  sealRecord,
  writeRecordHeader,
} from './record-format.js';
import { recover } from './recovery.js';
import { acksPath, msgsPath, QUEUES_LOG } from './segment-files.js';
import type { SegmentState } from './segment-state.js';
import { WriteBuffer } from './write-buffer.js';

export interface SegmentStoreOptions {
  /** roll over to a new msgs file past this many bytes (default 64 MiB, at most 1 GiB) */
  segmentSize?: number;
  /** 0 (default): flush once per event-loop turn; > 0: wait this long to gather bigger batches */
  syncIntervalMs?: number;
  log?: (msg: string, data?: object) => void;
  /** open() fills `message` of recovered entries when the msgs files total at most this (default 64 MiB) */
  eagerLoadBytes?: number;
  /**
   * Called with true when a write fails for want of space (ENOSPC, EDQUOT) and with false once writes
   * succeed again; the broker raises its disk alarm in between (see "No space" below).
   */
  onNoSpace?: (full: boolean) => void;
}

/** Counters for tests and stats. */
export interface SegmentStoreStats {
  /** flushes that wrote something */
  flushes: number;
  /** datasync calls on store files */
  datasyncs: number;
  bytesWritten: number;
  segmentsReclaimed: number;
  /** acks for (queue, message) pairs no longer live, e.g. after dropQueue */
  ignoredAcks: number;
}

const MiB = 1024 * 1024;
/** a buffer this full starts a flush at once instead of waiting for the end of the turn */
const FLUSH_BYTES = MiB;
const MAX_U32 = 0xffffffff;
/** readMany: records at most this far apart are fetched in one read, up to COALESCE_MAX bytes a read */
const COALESCE_GAP = 4096;
const COALESCE_MAX = 1024 * 1024;

/**
 * Checks and decodes one record found at `at` in `buf` (copied out, so the bodies do not keep a
 * whole coalesced read alive).
 */
function decodeRecord(ref: MessageRef, buf: Buffer, at: number): StoredMessage {
  const len = buf.readUInt32BE(at);
  const type = buf[at + 8]!;
  const end = at + ref.size;
  if (
    len !== ref.size - RECORD_HEADER_SIZE ||
    !messagePayloadValid(type, buf, at + RECORD_HEADER_SIZE, end) ||
    !recordCrcOk(buf, at, len)
  ) {
    throw new Error(`message store: corrupt record at ${JSON.stringify(ref)}`);
  }
  return decodeMessage(type, buf, at + RECORD_HEADER_SIZE, true);
}

/** a write that failed for want of space (the flush waits and retries instead of failing) */
function isNoSpace(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return code === 'ENOSPC' || code === 'EDQUOT';
}

/** how long a closing store keeps retrying a write that finds no space before it gives up */
const CLOSE_NO_SPACE_MS = 5000;

/** idle file handles kept open; the rest are reopened on demand */
const MAX_IDLE_HANDLES = 64;

type Callback = () => void;

export class SegmentStore implements MessageStore {
  readonly stats: SegmentStoreStats = {
    flushes: 0,
    datasyncs: 0,
    bytesWritten: 0,
    segmentsReclaimed: 0,
    ignoredAcks: 0,
  };

  private readonly segmentSize: number;
  private readonly syncIntervalMs: number;
  private readonly eagerLoadBytes: number;
  private readonly log: (msg: string, data?: object) => void;
  private readonly onNoSpace: (full: boolean) => void;
  /** a flush is waiting for space (see "No space" above) */
  private noSpace = false;
  private closingSince = 0;
  private readonly handles = new HandleCache(MAX_IDLE_HANDLES);

  private phase: 'new' | 'opening' | 'open' | 'closing' | 'closed' = 'new';
  private failure: Error | undefined;
  private dirHandle: FileHandle | undefined;

  private segments = new Map<number, SegmentState>();
  /** queue id -> segment -> live messages of that queue there (what dropQueue releases) */
  private queueSegments = new Map<number, Map<number, number>>();
  private current = 0;
  private queuesLogEnd = 0;
  private diskBytesOnDisk = 0;

  private msgsPending = new Map<number, WriteBuffer>();
  private acksPending = new Map<number, WriteBuffer>();
  private queuesPending: WriteBuffer | undefined;
  private pendingBytes = 0;
  private callbacks: Callback[] = [];
  /** callbacks that need only the flush in progress (nothing was buffered when they were registered) */
  private inflightCallbacks: Callback[] | undefined;
  private toReclaim = new Set<number>();

  private flushing: Promise<void> | undefined;
  /** cancels the scheduled flush, if one is scheduled */
  private cancelTimer: (() => void) | undefined;

  constructor(
    readonly dir: string,
    options: SegmentStoreOptions = {},
  ) {
    this.segmentSize = options.segmentSize ?? 64 * MiB;
    if (!(this.segmentSize >= 4096 && this.segmentSize <= 1024 * MiB)) {
      throw new RangeError(`segmentSize must be between 4 KiB and 1 GiB, got ${this.segmentSize}`);
    }
    this.syncIntervalMs = options.syncIntervalMs ?? 0;
    this.eagerLoadBytes = options.eagerLoadBytes ?? 64 * MiB;
    this.log = options.log ?? (() => {});
    this.onNoSpace = options.onNoSpace ?? (() => {});
  }

  get diskBytes(): number {
    return this.diskBytesOnDisk;
  }

  /** Bytes buffered and not yet handed to a flush: a caller may apply backpressure on this. */
  get bufferedBytes(): number {
    return this.pendingBytes;
  }

  async open(): Promise<RecoveryReport> {
    if (this.phase !== 'new') throw new Error('SegmentStore.open() called twice');
    this.phase = 'opening';
    const r = await recover(this.dir, this.eagerLoadBytes);
    this.segments = r.segments;
    this.queueSegments = r.queueSegments;
    this.current = r.current;
    this.queuesLogEnd = r.queuesLogEnd;
    this.diskBytesOnDisk = r.queuesLogEnd;
    for (const s of this.segments.values()) this.diskBytesOnDisk += s.msgsWritten + s.acksWritten;
    this.dirHandle = await openFile(this.dir, 'r');
    this.phase = 'open';
    return r.report;
  }

  append(queueIds: readonly number[], message: StoredMessage): MessageRef {
    this.assertOpen();
    const ids =
      queueIds.length > 1 && new Set(queueIds).size !== queueIds.length ? [...new Set(queueIds)] : queueIds;
    const layout = messageLayout(ids, message);
    let seg = this.segments.get(this.current)!;
    if (seg.msgsEnd > FILE_HEADER_SIZE && seg.msgsEnd + layout.recordSize > this.segmentSize)
      seg = this.roll();
    const offset = seg.msgsEnd;
    const slot = this.buffer(this.msgsPending, this.current, offset).reserve(layout.recordSize);
    encodeMessageRecord(slot.buf, slot.off, ids, message, layout);
    seg.msgsEnd += layout.recordSize;
    seg.live += ids.length;
    for (const q of ids) {
      let bySegment = this.queueSegments.get(q);
      if (bySegment === undefined) this.queueSegments.set(q, (bySegment = new Map()));
      bySegment.set(this.current, (bySegment.get(this.current) ?? 0) + 1);
    }
    this.added(layout.recordSize);
    return { segment: this.current, offset, size: layout.recordSize };
  }

  ack(queueId: number, ref: MessageRef): void {
    this.assertOpen();
    const bySegment = this.queueSegments.get(queueId);
    const n = bySegment?.get(ref.segment);
    if (bySegment === undefined || n === undefined) {
      // a queue dropped (or a message acked) already: a late ack from a closing channel, nothing to do
      this.stats.ignoredAcks++;
      return;
    }
    if (n > 1) bySegment.set(ref.segment, n - 1);
    else bySegment.delete(ref.segment);
    if (bySegment.size === 0) this.queueSegments.delete(queueId);
    this.writeMark(RecordType.Ack, queueId, ref);
    this.release(ref.segment, 1);
  }

  delivered(queueId: number, ref: MessageRef): void {
    this.assertOpen();
    if (this.queueSegments.get(queueId)?.has(ref.segment) !== true) return;
    this.writeMark(RecordType.Delivered, queueId, ref);
  }

  returned(queueId: number, ref: MessageRef, count: number): void {
    this.assertOpen();
    if (!Number.isInteger(count) || count < 0 || count > MAX_U32) {
      throw new RangeError(`delivery count ${count} is not a u32`);
    }
    // as for delivered(): nothing live of this queue there means the mark could only be noise
    if (this.queueSegments.get(queueId)?.has(ref.segment) !== true) return;
    this.writeMark(RecordType.Returned, queueId, ref, count);
  }

  dropQueue(queueId: number): void {
    this.assertOpen();
    const bySegment = this.queueSegments.get(queueId);
    if (bySegment === undefined) return; // nothing stored for it
    this.queueSegments.delete(queueId);
    const seg = this.segments.get(this.current)!;
    // everything of this queue appended so far lies before the current append position
    const size = RECORD_HEADER_SIZE + DROP_PAYLOAD_SIZE;
    if (this.queuesPending === undefined) {
      this.queuesPending = new WriteBuffer(this.queuesLogEnd);
      if (this.queuesLogEnd === 0) this.reserveHeader(this.queuesPending, FileKind.Queues);
    }
    const { buf, off } = this.queuesPending.reserve(size);
    writeRecordHeader(buf, off, RecordType.DropQueue, DROP_PAYLOAD_SIZE);
    buf.writeUInt32BE(queueId, off + RECORD_HEADER_SIZE);
    buf.writeUInt32BE(this.current, off + RECORD_HEADER_SIZE + 4);
    buf.writeUInt32BE(seg.msgsEnd, off + RECORD_HEADER_SIZE + 8);
    sealRecord(buf, off, DROP_PAYLOAD_SIZE);
    this.queuesLogEnd = this.queuesPending.position + this.queuesPending.bytes;
    for (const [segment, n] of bySegment) this.release(segment, n);
    this.added(size);
  }

  whenSynced(cb: () => void): void {
    this.assertOpen();
    if (this.pendingBytes === 0 && this.callbacks.length === 0) {
      // everything buffered so far is in the flush in progress, or already on disk
      if (this.inflightCallbacks !== undefined) this.inflightCallbacks.push(cb);
      else setImmediate(cb);
      return;
    }
    this.callbacks.push(cb);
    this.schedule();
  }

  async read(ref: MessageRef): Promise<StoredMessage> {
    this.assertOpen();
    let seg = this.segments.get(ref.segment);
    if (seg !== undefined && ref.offset + ref.size > seg.msgsWritten) {
      await new Promise<void>((resolve) => this.whenSynced(resolve)); // still in a buffer
      seg = this.segments.get(ref.segment);
    }
    if (seg === undefined) throw new Error(`message store: segment ${ref.segment} is gone (reclaimed)`);
    if (ref.size < RECORD_HEADER_SIZE || ref.offset + ref.size > seg.msgsWritten) {
      throw new Error(`message store: bad ref ${JSON.stringify(ref)}`);
    }
    const buf = Buffer.allocUnsafe(ref.size);
    await this.handles.use(msgsPath(this.dir, ref.segment), false, async (h) => {
      let done = 0;
      while (done < ref.size) {
        const { bytesRead } = await h.read(buf, done, ref.size - done, ref.offset + done);
        if (bytesRead === 0) throw new Error(`message store: short read of ${JSON.stringify(ref)}`);
        done += bytesRead;
      }
    });
    const len = buf.readUInt32BE(0);
    const type = buf[8]!;
    if (
      len !== ref.size - RECORD_HEADER_SIZE ||
      !messagePayloadValid(type, buf, RECORD_HEADER_SIZE, ref.size) ||
      !recordCrcOk(buf, 0, len)
    ) {
      throw new Error(`message store: corrupt record at ${JSON.stringify(ref)}`);
    }
    return decodeMessage(type, buf, RECORD_HEADER_SIZE, false);
  }

  /**
   * Reads many messages back, in the order given, each settled on its own (a corrupt record fails
   * alone). Records of one segment that lie close together are fetched with one read each run
   * instead of one per record: a paged backlog or a batch of delayed messages is mostly contiguous,
   * so a batch of a thousand 1 KiB messages costs a few reads, not a thousand.
   */
  async readMany(refs: readonly MessageRef[]): Promise<PromiseSettledResult<StoredMessage>[]> {
    this.assertOpen();
    const results = new Array<PromiseSettledResult<StoredMessage>>(refs.length);
    const order = refs
      .map((_, i) => i)
      .sort((a, b) => {
        const x = refs[a] as MessageRef;
        const y = refs[b] as MessageRef;
        return x.segment - y.segment || x.offset - y.offset;
      });
    const runs: number[][] = [];
    let run: number[] = [];
    let runStart = 0;
    let runEnd = 0;
    let runSegment = -1;
    for (const i of order) {
      const r = refs[i] as MessageRef;
      const fits =
        run.length > 0 &&
        r.segment === runSegment &&
        r.offset >= runEnd &&
        r.offset - runEnd <= COALESCE_GAP &&
        r.offset + r.size - runStart <= COALESCE_MAX;
      if (!fits) {
        if (run.length > 0) runs.push(run);
        run = [];
        runStart = r.offset;
        runSegment = r.segment;
      }
      run.push(i);
      runEnd = Math.max(runEnd, r.offset + r.size);
      if (!fits) runEnd = r.offset + r.size;
    }
    if (run.length > 0) runs.push(run);
    await Promise.all(
      runs.map(async (indexes) => {
        if (indexes.length === 1) {
          const i = indexes[0] as number;
          results[i] = await this.read(refs[i] as MessageRef).then(
            (value) => ({ status: 'fulfilled', value }),
            (reason: unknown) => ({ status: 'rejected', reason }),
          );
          return;
        }
        const first = refs[indexes[0] as number] as MessageRef;
        const end = Math.max(
          ...indexes.map((i) => (refs[i] as MessageRef).offset + (refs[i] as MessageRef).size),
        );
        let buf: Buffer;
        try {
          buf = await this.readSpan(first.segment, first.offset, end - first.offset);
        } catch (reason) {
          for (const i of indexes) results[i] = { status: 'rejected', reason };
          return;
        }
        for (const i of indexes) {
          const r = refs[i] as MessageRef;
          try {
            results[i] = { status: 'fulfilled', value: decodeRecord(r, buf, r.offset - first.offset) };
          } catch (reason) {
            results[i] = { status: 'rejected', reason };
          }
        }
      }),
    );
    return results;
  }

  /** Reads `size` bytes of a segment's messages file from `offset` (waits for buffered bytes first). */
  private async readSpan(segment: number, offset: number, size: number): Promise<Buffer> {
    let seg = this.segments.get(segment);
    if (seg !== undefined && offset + size > seg.msgsWritten) {
      await new Promise<void>((resolve) => this.whenSynced(resolve)); // still in a buffer
      seg = this.segments.get(segment);
    }
    if (seg === undefined) throw new Error(`message store: segment ${segment} is gone (reclaimed)`);
    if (offset + size > seg.msgsWritten)
      throw new Error(`message store: bad span ${segment}:${offset}+${size}`);
    const buf = Buffer.allocUnsafe(size);
    await this.handles.use(msgsPath(this.dir, segment), false, async (h) => {
      let done = 0;
      while (done < size) {
        const { bytesRead } = await h.read(buf, done, size - done, offset + done);
        if (bytesRead === 0) throw new Error(`message store: short read of ${segment}:${offset}+${size}`);
        done += bytesRead;
      }
    });
    return buf;
  }

  async close(): Promise<void> {
    if (this.phase === 'closed' || this.phase === 'closing') return;
    if (this.phase !== 'open') throw new Error('SegmentStore.close() before open() finished');
    this.phase = 'closing';
    this.closingSince = Date.now();
    this.cancelTimer?.();
    try {
      while (this.failure === undefined && (this.flushing !== undefined || this.hasWork())) {
        await (this.flushing ?? this.startFlush());
      }
    } finally {
      await this.handles.closeAll();
      await this.dirHandle?.close();
      this.phase = 'closed';
    }
    if (this.failure !== undefined) throw this.failure;
  }

  private assertOpen(): void {
    if (this.failure !== undefined) throw this.failure;
    if (this.phase !== 'open') throw new Error(`message store is ${this.phase}, not open`);
  }

  private roll(): SegmentState {
    const old = this.segments.get(this.current)!;
    this.current++;
    const seg: SegmentState = { msgsEnd: 0, msgsWritten: 0, acksEnd: 0, acksWritten: 0, live: 0 };
    this.segments.set(this.current, seg);
    this.reserveHeader(this.buffer(this.msgsPending, this.current, 0), FileKind.Messages);
    seg.msgsEnd = FILE_HEADER_SIZE;
    this.pendingBytes += FILE_HEADER_SIZE;
    if (old.live === 0) this.reclaimLater(this.current - 1);
    return seg;
  }

  private buffer(pending: Map<number, WriteBuffer>, segment: number, position: number): WriteBuffer {
    let wb = pending.get(segment);
    if (wb === undefined) pending.set(segment, (wb = new WriteBuffer(position)));
    return wb;
  }

  private reserveHeader(wb: WriteBuffer, kind: FileKind): void {
    const { buf, off } = wb.reserve(FILE_HEADER_SIZE);
    fileHeader(kind).copy(buf, off);
  }

  /** Appends an ack, delivered- or returned-mark (the last with its `count`) to the segment's acks file. */
  private writeMark(type: RecordType, queueId: number, ref: MessageRef, count?: number): void {
    const seg = this.segments.get(ref.segment)!;
    const wb = this.buffer(this.acksPending, ref.segment, seg.acksEnd);
    if (seg.acksEnd === 0) {
      this.reserveHeader(wb, FileKind.Acks);
      seg.acksEnd = FILE_HEADER_SIZE;
    }
    const payload = count === undefined ? ACK_PAYLOAD_SIZE : RETURNED_PAYLOAD_SIZE;
    const size = RECORD_HEADER_SIZE + payload;
    const { buf, off } = wb.reserve(size);
    writeRecordHeader(buf, off, type, payload);
    buf.writeUInt32BE(queueId, off + RECORD_HEADER_SIZE);
    buf.writeUInt32BE(ref.offset, off + RECORD_HEADER_SIZE + 4);
    if (count !== undefined) buf.writeUInt32BE(count, off + RECORD_HEADER_SIZE + 8);
    sealRecord(buf, off, payload);
    seg.acksEnd += size;
    this.added(size);
  }

  private release(segment: number, n: number): void {
    const seg = this.segments.get(segment);
    if (seg === undefined) return;
    seg.live -= n;
    if (seg.live <= 0 && segment !== this.current) this.reclaimLater(segment);
  }

  private reclaimLater(segment: number): void {
    this.toReclaim.add(segment);
    this.schedule();
  }

  private added(bytes: number): void {
    this.pendingBytes += bytes;
    this.schedule();
  }

  private hasWork(): boolean {
    return this.pendingBytes > 0 || this.callbacks.length > 0 || this.toReclaim.size > 0;
  }

  private schedule(): void {
    if (this.flushing !== undefined || this.phase !== 'open') return; // the running flush reschedules
    if (this.pendingBytes >= FLUSH_BYTES) {
      void this.startFlush();
      return;
    }
    if (this.cancelTimer !== undefined) return;
    const run = (): void => {
      this.cancelTimer = undefined;
      if (this.flushing === undefined && this.hasWork()) void this.startFlush();
    };
    if (this.syncIntervalMs > 0) {
      const t = setTimeout(run, this.syncIntervalMs);
      this.cancelTimer = () => {
        clearTimeout(t);
        this.cancelTimer = undefined;
      };
    } else {
      const i = setImmediate(run);
      this.cancelTimer = () => {
        clearImmediate(i);
        this.cancelTimer = undefined;
      };
    }
  }

  private startFlush(): Promise<void> {
    this.cancelTimer?.();
    const flush = this.flushOnce().then(
      () => {
        this.flushing = undefined;
        if (this.hasWork()) this.schedule();
      },
      (err: unknown) => {
        this.flushing = undefined;
        this.inflightCallbacks = undefined;
        this.failure = err instanceof Error ? err : new Error(String(err));
        // fail-stop: callbacks never run, so no publisher is told a message is safe that may not be
        this.log('message store write failed; the store is stopped', { error: this.failure.message });
      },
    );
    this.flushing = flush;
    return flush;
  }

  private async flushOnce(): Promise<void> {
    const msgs = this.msgsPending;
    const acks = this.acksPending;
    const queues = this.queuesPending;
    const callbacks = this.callbacks;
    const reclaim = [...this.toReclaim];
    this.msgsPending = new Map();
    this.acksPending = new Map();
    this.queuesPending = undefined;
    this.pendingBytes = 0;
    this.callbacks = [];
    this.toReclaim.clear();
    const inflight: Callback[] = [];
    this.inflightCallbacks = inflight;

    const files: [string, WriteBuffer][] = [
      ...[...msgs].map(([segment, wb]): [string, WriteBuffer] => [msgsPath(this.dir, segment), wb]),
      ...[...acks].map(([segment, wb]): [string, WriteBuffer] => [acksPath(this.dir, segment), wb]),
      ...(queues !== undefined ? [[join(this.dir, QUEUES_LOG), queues] as [string, WriteBuffer]] : []),
    ];
    const created = files.some(([, wb]) => wb.position === 0);
    await this.untilSpace(async () => {
      const results = await Promise.allSettled(files.map(([path, wb]) => this.writeAndSync(path, wb)));
      const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failed) throw failed.reason;
      // a file created by this flush must still be there after a crash before its data can count as safe
      if (created) await this.dirHandle!.sync();
    });
    for (const [segment, wb] of msgs) {
      const seg = this.segments.get(segment);
      if (seg !== undefined) seg.msgsWritten = wb.position + wb.bytes;
    }
    for (const [segment, wb] of acks) {
      const seg = this.segments.get(segment);
      if (seg !== undefined) seg.acksWritten = wb.position + wb.bytes;
    }
    // Only now, with every file of the flush written: a retry after ENOSPC writes these bytes again.
    for (const [, wb] of files) {
      wb.recycle();
      this.stats.datasyncs++;
      this.stats.bytesWritten += wb.bytes;
      this.diskBytesOnDisk += wb.bytes;
    }
    if (files.length > 0) this.stats.flushes++;

    this.inflightCallbacks = undefined;
    for (const cb of callbacks) this.runCallback(cb);
    for (const cb of inflight) this.runCallback(cb);

    if (reclaim.length > 0) await this.reclaim(reclaim);
  }

  private runCallback(cb: Callback): void {
    try {
      cb();
    } catch (err) {
      this.log('message store: whenSynced callback threw', {
        error: err instanceof Error ? err.message : err,
      });
    }
  }

  private async writeAndSync(path: string, wb: WriteBuffer): Promise<void> {
    const buffers = wb.buffers();
    await this.handles.use(path, true, async (h) => {
      let position = wb.position;
      let rest = buffers;
      while (rest.length > 0) {
        const { bytesWritten } = await h.writev(rest, position);
        position += bytesWritten;
        rest = skipBytes(rest, bytesWritten);
      }
      await h.datasync();
    });
  }

  /**
   * Runs `attempt` until it does not fail for want of space, waiting longer between tries (up to 2 s),
   * and tells onNoSpace when that starts and ends. A closing store gives up after CLOSE_NO_SPACE_MS:
   * what it held was never confirmed.
   */
  private async untilSpace(attempt: () => Promise<void>): Promise<void> {
    for (let wait = 50; ; wait = Math.min(2 * wait, 2000)) {
      try {
        await attempt();
        break;
      } catch (err) {
        if (!isNoSpace(err)) throw err;
        if (this.phase === 'closing' && Date.now() - this.closingSince > CLOSE_NO_SPACE_MS) throw err;
        if (!this.noSpace) {
          this.noSpace = true;
          this.log('message store: no space left on the device; writes wait until there is', {
            error: (err as Error).message,
          });
          this.onNoSpace(true);
        }
        await new Promise((r) => setTimeout(r, wait));
      }
    }
    if (this.noSpace) {
      this.noSpace = false;
      this.log('message store: space again, held writes are on disk');
      this.onNoSpace(false);
    }
  }

  /**
   * Deletes segments with nothing live. Runs inside a flush, so no write to them is in progress, and
   * after that flush's acks are on disk (harmless either way: the files go).
   */
  private async reclaim(segments: number[]): Promise<void> {
    const gone = segments.filter((s) => {
      const seg = this.segments.get(s);
      return seg !== undefined && seg.live <= 0 && s !== this.current;
    });
    if (gone.length === 0) return;
    for (const s of gone) {
      await this.handles.forget(msgsPath(this.dir, s));
      await this.handles.forget(acksPath(this.dir, s));
    }
    await Promise.all(gone.map((s) => unlinkIfExists(msgsPath(this.dir, s))));
    await this.dirHandle!.sync(); // msgs.N durably gone before acks.N goes: see the crash story
    await Promise.all(gone.map((s) => unlinkIfExists(acksPath(this.dir, s))));
    for (const s of gone) {
      const seg = this.segments.get(s)!;
      this.diskBytesOnDisk -= seg.msgsWritten + seg.acksWritten;
      this.segments.delete(s);
    }
    this.stats.segmentsReclaimed += gone.length;
  }
}

/** The buffers left after the first `n` bytes were written (a short writev). */
function skipBytes(buffers: Buffer[], n: number): Buffer[] {
  let i = 0;
  while (i < buffers.length && n >= buffers[i]!.length) n -= buffers[i++]!.length;
  const rest = buffers.slice(i);
  if (n > 0 && rest[0] !== undefined) rest[0] = rest[0].subarray(n);
  return rest;
}

async function unlinkIfExists(path: string): Promise<void> {
  try {
    await unlink(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
}
