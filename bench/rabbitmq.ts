/**
 * Facts about the RabbitMQ under comparison that a client cannot ask for: its process (for CPU and
 * memory) and how long its last boot took, from its own log. The reference RabbitMQ is shared and is
 * not restarted by the benchmark, so its startup is what its log says about the boot that started the
 * running process.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { findListeningPid } from './proc.js';

const CLK_TCK = 100;

export function rabbitPid(url: string): number | undefined {
  const u = new URL(url);
  if (!['127.0.0.1', 'localhost', '[::1]'].includes(u.hostname)) return undefined;
  return findListeningPid(Number(u.port || 5672));
}

/** Wall-clock time (ms since the epoch) at which process `pid` started. */
function processStart(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const startTicks = Number(fields[22 - 3]); // field 22: starttime, in clock ticks since boot
    const btime = /^btime (\d+)/m.exec(readFileSync('/proc/stat', 'utf8'))?.[1];
    if (btime === undefined || !Number.isFinite(startTicks)) return undefined;
    return Number(btime) * 1000 + (startTicks / CLK_TCK) * 1000;
  } catch {
    return undefined;
  }
}

function logDir(pid: number): string {
  try {
    const env = readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0');
    const base = env.find((e) => e.startsWith('RABBITMQ_LOG_BASE='));
    if (base) return base.slice('RABBITMQ_LOG_BASE='.length);
  } catch {
    // not ours to read
  }
  return '/var/log/rabbitmq';
}

export interface RabbitStartup {
  /** from process start to the log's "started TCP listener" line, ms */
  ms: number;
  log: string;
}

/** How long the running RabbitMQ took from process start to listening, from its log; undefined if unknown. */
export function rabbitStartupFromLog(pid: number): RabbitStartup | undefined {
  const started = processStart(pid);
  if (started === undefined) return undefined;
  const dir = logDir(pid);
  let files: string[];
  try {
    files = readdirSync(dir).filter((f) => f.endsWith('.log') && !f.includes('upgrade'));
  } catch {
    return undefined;
  }
  for (const f of files) {
    let text: string;
    try {
      text = readFileSync(join(dir, f), 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n')) {
      if (!line.includes('started TCP listener')) continue;
      const at = Date.parse(line.slice(0, 32).replace(' ', 'T'));
      // The first listener line after the process started belongs to its boot.
      if (Number.isFinite(at) && at >= started) return { ms: at - started, log: join(dir, f) };
    }
  }
  return undefined;
}
