/**
 * CPU time of the calling thread, from /proc/thread-self/stat (Linux): the figure that says whether
 * one worker thread is saturated. Event-loop utilisation cannot say it on a busy machine, since a
 * thread waiting for a core counts as busy there.
 */
import { readFileSync } from 'node:fs';

/** Clock ticks per second of /proc times; 100 on every mainstream Linux build. */
const CLK_TCK = 100;

/** user + system CPU time of this thread in microseconds, or undefined where /proc does not tell. */
export function threadCpuMicros(): number | undefined {
  try {
    const stat = readFileSync('/proc/thread-self/stat', 'utf8');
    // Fields after the parenthesised name start at field 3 (state); utime is 14, stime 15.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[14 - 3]) + Number(fields[15 - 3]);
    return Number.isFinite(ticks) ? (ticks * 1e6) / CLK_TCK : undefined;
  } catch {
    return undefined;
  }
}
