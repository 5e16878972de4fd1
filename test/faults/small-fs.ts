/**
 * A real, small filesystem for the disk-full test: a tmpfs of a few megabytes mounted on a fresh
 * directory, so ENOSPC comes from the kernel, not from a mock. Mounting needs root (CI runs as root);
 * elsewhere the caller gets the reason to skip.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface SmallFs {
  readonly dir: string;
  unmount(): void;
}

/** Mounts a tmpfs of `megabytes`; returns why not when it cannot. */
export function mountSmallFs(megabytes: number): SmallFs | string {
  if (process.platform !== 'linux') return 'needs Linux (tmpfs)';
  if (process.getuid?.() !== 0) return 'needs root to mount a small filesystem';
  const dir = mkdtempSync(join(tmpdir(), 'rel-enospc-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${megabytes}m`, 'tmpfs', dir], { stdio: 'pipe' });
  } catch (e) {
    rmSync(dir, { recursive: true, force: true });
    return `mount is not permitted here: ${String((e as { stderr?: Buffer }).stderr ?? e).trim()}`;
  }
  return {
    dir,
    unmount() {
      try {
        execFileSync('umount', [dir], { stdio: 'pipe' });
      } catch {
        execFileSync('umount', ['-l', dir], { stdio: 'pipe' }); // still busy: detach now, free later
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
