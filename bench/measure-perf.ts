/** Throughput and latency scenarios: one `warren perf` run per row (scenario 3 has two). */
import type { PerfRun } from './perf-process.js';
import { runPerfProcess } from './perf-process.js';
import type { RowResult, Target } from './results.js';
import { perfVariants, type ScenarioDef } from './scenarios.js';
import { perfExecArgv, withBroker, type BenchOptions } from './session.js';
import { fmt1, fmtInt, pct } from './format.js';

function details(run: PerfRun): Record<string, unknown> {
  const s = run.summary;
  return {
    sentPerSec: s.rates.published,
    confirmedPerSec: s.options.confirm > 0 ? s.rates.confirmed : undefined,
    receivedPerSec: s.rates.received,
    seconds: s.window.seconds,
    counts: s.counts,
    latencyMicros: s.latencyMicros,
    perf: s.perf,
    workers: s.workers,
    window: run.window,
  };
}

/** the perf worker thread with the most CPU, percent of one core (undefined where /proc cannot tell) */
function busiestThread(s: PerfRun['summary']): number | undefined {
  const t = s.perf.threadCpuPercent.filter((c): c is number => c !== null);
  return t.length > 0 ? Math.max(...t) : undefined;
}

export function describeRun(label: string, what: string, run: PerfRun): string {
  const s = run.summary;
  const w = run.window;
  const l = s.latencyMicros;
  return (
    `${label.padEnd(8)} ${what}: received ${fmtInt(s.rates.received)} msg/s, sent ${fmtInt(s.rates.published)}` +
    (s.options.confirm > 0
      ? `, confirmed ${fmtInt(s.rates.confirmed)}${s.counts.nacked ? ` (${s.counts.nacked} NACKED)` : ''}`
      : '') +
    (l ? `, latency p50 ${fmt1(l.p50 / 1000)} p99 ${fmt1(l.p99 / 1000)} ms` : '') +
    `; broker RSS ${fmt1(w.brokerRssMB)} MB; CPU broker ${pct(w.brokerCpu)}` +
    (w.brokerCpu !== undefined && s.rates.received > 0
      ? ` (${fmt1((w.brokerCpu * 1e4) / s.rates.received)} µs/msg received)`
      : '') +
    ` perf ${pct(w.perfCpu)} ` +
    `(busiest thread ${pct(busiestThread(s))}) other ${pct(w.other)}`
  );
}

export async function measurePerf(
  scenario: ScenarioDef,
  target: Target,
  o: BenchOptions,
  log: (line: string) => void,
): Promise<RowResult[]> {
  const out: RowResult[] = [];
  for (const { row, args } of perfVariants(scenario)) {
    const run = await withBroker(target, o, scenario.name, (session) =>
      runPerfProcess(['--uri', session.url, '-z', String(o.seconds), '--warmup', String(o.warmup), ...args], {
        brokerPid: session.pid,
        verbose: o.verbose,
        execArgv: perfExecArgv(o, scenario.name, target.name),
        label: target.label,
      }),
    );
    log(describeRun(target.label, row.label, run));
    const base = { target: target.name, brokerRssMB: run.window.brokerRssMB, details: details(run) };
    if (scenario.name === 'latency') {
      const l = run.summary.latencyMicros;
      out.push({ ...base, row: row.key, value: l ? l.p99 / 1000 : undefined });
      out.push({ ...base, row: '8-p50', value: l ? l.p50 / 1000 : undefined });
    } else {
      out.push({ ...base, row: row.key, value: run.summary.rates.received });
    }
  }
  return out;
}
