/**
 * Runs `warren perf` (this tree's build, the same client for every broker) as a child process with
 * --json, samples the broker and the machine meanwhile (sampler.ts), and returns the perf summary
 * with the CPU and memory figures of its measured window.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { PerfSummary } from '../src/perf/summary.js';
import { Sampler, type WindowStats } from './sampler.js';

/**
 * dist/bench/perf-process.js -> dist/src/perf/main.js: `warren perf` without the broker's modules, so
 * the client never depends on (or pays for loading) the broker code under test.
 */
const PERF_CLI = fileURLToPath(new URL('../src/perf/main.js', import.meta.url));

export interface PerfRun {
  summary: PerfSummary;
  window: WindowStats;
  /** highest broker RSS sampled during the whole perf process, MB */
  peakRssMB: number | undefined;
}

export interface PerfRunOptions {
  brokerPid: number | undefined;
  /** echo perf's per-second lines */
  verbose: boolean;
  /** node flags for the perf process (e.g. --cpu-prof) */
  execArgv?: string[];
  /** prefix of echoed lines */
  label: string;
}

export async function runPerfProcess(args: string[], o: PerfRunOptions): Promise<PerfRun> {
  const json = join(tmpdir(), `perf-bench-${randomBytes(4).toString('hex')}.json`);
  const sampler = new Sampler(o.brokerPid);
  const child = spawn(
    process.execPath,
    [...(o.execArgv ?? []), PERF_CLI, ...args, '--json', json, ...(o.verbose ? [] : ['--quiet'])],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  sampler.perfPid = child.pid;
  let stderr = '';
  let stdout = '';
  child.stdout.on('data', (b: Buffer) => {
    const text = b.toString('utf8');
    stdout = (stdout + text).slice(-8192);
    if (o.verbose)
      for (const line of text.split('\n')) if (line.trim()) console.log(`    ${o.label}| ${line}`);
  });
  child.stderr.on('data', (b: Buffer) => (stderr = (stderr + b.toString('utf8')).slice(-8192)));
  const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
  sampler.sample();
  sampler.stop();
  try {
    // Exit code 1 with a summary written means nacks: the summary says so; without one it failed.
    let text: string;
    try {
      text = readFileSync(json, 'utf8');
    } catch {
      throw new Error(`warren perf ${args.join(' ')} failed (exit ${code}): ${(stderr || stdout).trim()}`);
    }
    const summary = JSON.parse(text) as PerfSummary;
    const window = sampler.window(BigInt(summary.window.startNanos), BigInt(summary.window.endNanos));
    return { summary, window, peakRssMB: sampler.peakRssMB };
  } finally {
    rmSync(json, { force: true });
  }
}
