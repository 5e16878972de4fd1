/**
 * BENCHMARKS.md, rewritten by a complete `npm run bench`: the table, the machine it ran on, how busy
 * that machine was with other work, and the result line of every measurement.
 */
import { writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import type { Machine, RowResult } from './results.js';
import type { BenchOptions } from './session.js';
import { LEGEND, markdownTable, type TableRow } from './table.js';

export interface Report {
  startedAt: Date;
  command: string;
  machine: Machine;
  options: BenchOptions;
  rows: TableRow[];
  lines: string[];
  errors: { scenario: string; target: string; error: string }[];
  results: RowResult[];
}

/** "other" CPU (work on the machine besides broker, perf and runner) over the throughput windows */
function otherLoad(results: RowResult[]): string {
  const others: number[] = [];
  for (const r of results) {
    const w = r.details['window'] as { other?: number } | undefined;
    if (w?.other !== undefined) others.push(w.other);
  }
  if (others.length === 0) return 'not measured';
  others.sort((a, b) => a - b);
  const median = others[Math.floor(others.length / 2)] as number;
  const max = others[others.length - 1] as number;
  return (
    `median ${Math.round(median)}%, highest ${Math.round(max)}% of one core (of ${cpus().length * 100}%) ` +
    `over ${others.length} measured windows`
  );
}

/** Formats with the repository's prettier settings when prettier is installed (a dev dependency). */
async function formatted(path: string, text: string): Promise<string> {
  try {
    const prettier = await import('prettier');
    const config = (await prettier.resolveConfig(path)) ?? {};
    return await prettier.format(text, { ...config, filepath: path });
  } catch {
    return text;
  }
}

export async function writeBenchmarksMd(path: string, r: Report): Promise<void> {
  const m = r.machine;
  const o = r.options;
  const text = [
    '# Benchmarks',
    '',
    'Written by `npm run bench` (see [docs/benchmarks.md](docs/benchmarks.md) for the scenarios and how',
    'they are measured). Every scenario ran with the same client, `warren perf`, against both brokers,',
    'one after the other on the same machine.',
    '',
    `- **When**: ${r.startedAt.toISOString()}, \`${r.command}\``,
    `- **Machine**: ${m.cpuModel}, ${m.cores} cores, ${m.memoryGB} GB RAM, ${m.os}`,
    `- **Software**: Warren ${m.warrenVersion}${m.gitCommit ? ` (${m.gitCommit})` : ''} on Node ${m.node}; ` +
      `RabbitMQ ${m.rabbitmqVersion ?? '(not run)'}`,
    `- **Settings**: ${o.seconds} s measured after ${o.warmup} s warm-up per throughput scenario; backlog ` +
      `${o.backlogCount.toLocaleString('en-US')} messages; ${o.connections.toLocaleString('en-US')} idle connections; ` +
      `startup with ${o.startupCount.toLocaleString('en-US')} durable messages`,
    `- **Machine busy with other work** ("other" CPU): ${otherLoad(r.results)}`,
    '',
    markdownTable(r.rows),
    '',
    LEGEND,
    '',
    ...(r.errors.length > 0
      ? ['## Failures', '', ...r.errors.map((e) => `- ${e.scenario} on ${e.target}: ${e.error}`), '']
      : []),
    '## Result lines',
    '',
    '```',
    ...r.lines,
    '```',
    '',
  ].join('\n');
  writeFileSync(path, await formatted(path, text));
}
