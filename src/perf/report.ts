/** Human-readable lines of `warren perf`: one per second while it runs, a few for the summary. */
import type { LatencySummary } from './histogram.js';
import type { PerfSummary } from './summary.js';

const int = (n: number): string => Math.round(n).toLocaleString('en-US');

/** microseconds as ms with enough digits to compare */
export function ms(micros: number): string {
  const v = micros / 1000;
  return v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2);
}

export interface SecondLine {
  second: number;
  warmup: boolean;
  published: number;
  confirmed: number | undefined;
  received: number;
  latency: LatencySummary | undefined;
  cpuPercent: number;
}

export function secondLine(s: SecondLine): string {
  return (
    `${String(s.second).padStart(4)} s${s.warmup ? ' (warm-up)' : ''}  sent ${int(s.published).padStart(9)} msg/s` +
    (s.confirmed === undefined ? '' : `  confirmed ${int(s.confirmed).padStart(9)} msg/s`) +
    `  received ${int(s.received).padStart(9)} msg/s` +
    (s.latency ? `  latency p50 ${ms(s.latency.p50)} ms p99 ${ms(s.latency.p99)} ms` : '') +
    `  perf CPU ${Math.round(s.cpuPercent)}%`
  );
}

/**
 * The tool's own load. A worker thread near a full core is the limit, whatever the broker does; the
 * thread's CPU time says so reliably, its event-loop utilisation only on an otherwise idle machine
 * (a thread waiting for a core counts as busy), so the latter decides only where the former is missing.
 */
export function perfLine(s: PerfSummary): string {
  const pcts = (xs: number[]): string => xs.map((x) => `${Math.round(x)}%`).join(' / ');
  const threads = s.perf.threadCpuPercent.filter((c): c is number => c !== null);
  const loops = s.perf.eventLoopBusyPercent;
  const known = threads.length === s.workers;
  const busiest = Math.max(0, ...(known ? threads : loops));
  const saturated = known ? busiest > 90 : busiest > 95;
  return (
    `perf tool: ${Math.round(s.perf.cpuPercent)}% CPU (of one core) over ${s.workers} worker ` +
    `thread${s.workers === 1 ? '' : 's'}` +
    (known ? `, busiest thread ${Math.round(busiest)}%` : '') +
    (s.workers <= 4 ? ` (threads ${known ? pcts(threads) : '?'}, event loops busy ${pcts(loops)})` : '') +
    (saturated ? ' (SATURATED: the tool may be the limit; add --workers)' : ' (not the bottleneck)')
  );
}

export function summaryLines(s: PerfSummary): string[] {
  const lines: string[] = [];
  const o = s.options;
  const perf = perfLine(s);
  if (s.idle) {
    lines.push(
      `summary: ${int(s.idle.connections)} connections with a channel each opened in ` +
        `${s.idle.openSeconds.toFixed(2)} s (${int(s.idle.connections / s.idle.openSeconds)}/s), held ${s.window.seconds.toFixed(1)} s`,
    );
    lines.push(perf);
    return lines;
  }
  lines.push(
    `summary (${s.window.seconds.toFixed(1)} s measured${o.warmup > 0 ? ` after ${o.warmup} s warm-up` : ''}): ` +
      `sent ${int(s.rates.published)} msg/s` +
      (o.confirm > 0
        ? `, confirmed ${int(s.rates.confirmed)} msg/s${s.counts.nacked > 0 ? ` (${int(s.counts.nacked)} NACKED)` : ''}`
        : '') +
      `, received ${int(s.rates.received)} msg/s`,
  );
  lines.push(
    `totals: sent ${int(s.totals.published)}` +
      (o.confirm > 0 ? `, confirmed ${int(s.totals.confirmed)}, nacked ${int(s.totals.nacked)}` : '') +
      `, received ${int(s.totals.received)}`,
  );
  const l = s.latencyMicros;
  if (l)
    lines.push(
      `latency (ms): min ${ms(l.min)}  p50 ${ms(l.p50)}  p75 ${ms(l.p75)}  p95 ${ms(l.p95)}  p99 ${ms(l.p99)}  ` +
        `p99.9 ${ms(l.p999)}  max ${ms(l.max)}  (${int(l.count)} messages)`,
    );
  else if (o.consumers > 0) lines.push('latency: none measured (bodies under 8 bytes carry no timestamp)');
  lines.push(perf);
  return lines;
}
