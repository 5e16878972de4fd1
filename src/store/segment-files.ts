/** Names of the files in a store directory. */
import { join } from 'node:path';

export const QUEUES_LOG = 'queues.log';
/** queues.log is compacted by writing this and renaming it over the original */
export const QUEUES_LOG_TMP = 'queues.log.tmp';

const SEGMENT_FILE = /^(msgs|acks)\.(\d{10})$/;

function pad(segment: number): string {
  return String(segment).padStart(10, '0');
}

export function msgsPath(dir: string, segment: number): string {
  return join(dir, `msgs.${pad(segment)}`);
}

export function acksPath(dir: string, segment: number): string {
  return join(dir, `acks.${pad(segment)}`);
}

/** Parses `msgs.0000000042` / `acks.0000000042`; anything else in the directory is not ours. */
export function parseSegmentFile(name: string): { kind: 'msgs' | 'acks'; segment: number } | undefined {
  const m = SEGMENT_FILE.exec(name);
  if (m === null) return undefined;
  return { kind: m[1] === 'msgs' ? 'msgs' : 'acks', segment: Number(m[2]) };
}
