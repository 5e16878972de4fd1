/**
 * End-to-end sequence checking for the soak. Every message carries its publisher's id and a sequence
 * number; each (queue, publisher) pair is a stream, checked on arrival: the numbers seen so far are
 * kept as "everything below `next`" plus the few that came early, so memory stays small over
 * millions of messages. A number seen twice must come marked redelivered (at-least-once: the consumer
 * holding it went away before its ack arrived); anything else is a duplicate beyond at-least-once. At
 * the end, every number a publisher sent must have arrived.
 */

const HEADER = 6;

/** The body for message `seq` of publisher `publisher`, `size` bytes (at least 6). */
export function encodeBody(publisher: number, seq: number, size: number): Buffer {
  const b = Buffer.alloc(Math.max(HEADER, size), 0x73);
  b.writeUInt16BE(publisher, 0);
  b.writeUInt32BE(seq, 2);
  return b;
}

export function decodeBody(b: Buffer): { publisher: number; seq: number } {
  return { publisher: b.readUInt16BE(0), seq: b.readUInt32BE(2) };
}

export class Stream {
  /** every number below this has arrived */
  next = 0;
  /** numbers at or above `next` that arrived early */
  private readonly early = new Set<number>();
  /** arrivals of a number already seen, marked redelivered */
  redelivered = 0;
  /** arrivals of a number already seen, not marked redelivered */
  duplicates = 0;

  arrived(seq: number, redelivered: boolean): void {
    if (seq < this.next || this.early.has(seq)) {
      if (redelivered) this.redelivered++;
      else this.duplicates++;
      return;
    }
    this.early.add(seq);
    while (this.early.delete(this.next)) this.next++;
  }

  /** how many of the first `sent` numbers have not arrived */
  missing(sent: number): number {
    let n = Math.max(0, sent - this.next);
    for (const s of this.early) if (s < sent) n--;
    return n;
  }
}

/** All streams of a run, by queue and publisher. */
export class Streams {
  private readonly all = new Map<string, Stream>();

  get(queue: string, publisher: number): Stream {
    const key = `${queue}/${publisher}`;
    let s = this.all.get(key);
    if (!s) this.all.set(key, (s = new Stream()));
    return s;
  }

  entries(): IterableIterator<[string, Stream]> {
    return this.all.entries();
  }
}
