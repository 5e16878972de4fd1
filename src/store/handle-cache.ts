/**
 * Open file handles by path, at most `max` of them idle at once (least recently used closed first), so
 * a store with thousands of segments does not run into the file descriptor limit. A handle is pinned
 * while a `use` callback runs: a flush between its write and its datasync can never see it closed.
 */
import { constants } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';

interface Entry {
  readonly handle: Promise<FileHandle>;
  users: number;
}

export class HandleCache {
  private readonly entries = new Map<string, Entry>();

  constructor(private readonly max: number) {}

  /** Runs `fn` with an open handle for `path`; `create` makes the file if missing (writers only). */
  async use<T>(path: string, create: boolean, fn: (handle: FileHandle) => Promise<T>): Promise<T> {
    let entry = this.entries.get(path);
    if (entry === undefined) {
      const flags = constants.O_RDWR | (create ? constants.O_CREAT : 0);
      const created: Entry = { handle: open(path, flags, 0o644), users: 0 };
      created.handle.catch(() => {
        if (this.entries.get(path) === created) this.entries.delete(path);
      });
      entry = created;
    } else {
      this.entries.delete(path); // re-inserted below: Map order is the LRU order
    }
    this.entries.set(path, entry);
    entry.users++;
    try {
      return await fn(await entry.handle);
    } finally {
      entry.users--;
      this.trim();
    }
  }

  /** Closes the handle of a file about to be deleted; the close waits for operations in progress. */
  async forget(path: string): Promise<void> {
    const entry = this.entries.get(path);
    if (entry === undefined) return;
    this.entries.delete(path);
    await closeQuietly(entry.handle);
  }

  async closeAll(): Promise<void> {
    const all = [...this.entries.values()];
    this.entries.clear();
    await Promise.all(all.map((e) => closeQuietly(e.handle)));
  }

  private trim(): void {
    if (this.entries.size <= this.max) return;
    for (const [path, entry] of this.entries) {
      if (this.entries.size <= this.max) break;
      if (entry.users > 0) continue;
      this.entries.delete(path);
      void closeQuietly(entry.handle);
    }
  }
}

async function closeQuietly(handle: Promise<FileHandle>): Promise<void> {
  try {
    await (await handle).close();
  } catch {
    // the open failed (already reported to its user) or the handle is already closed
  }
}
