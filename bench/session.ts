/**
 * One scenario's broker: a fresh Warren child (started here, stopped and its data deleted afterwards)
 * or the already running broker at the target's URL (RabbitMQ), with the process id to sample.
 */
import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { startWarren, type WarrenChild } from './broker.js';
import { rabbitPid } from './rabbitmq.js';
import type { Target } from './results.js';

/** dist/bench/session.js -> <repo>/bench/results/ */
export const RESULTS_DIR = fileURLToPath(new URL('../../bench/results/', import.meta.url));

export interface BenchOptions {
  seconds: number;
  warmup: number;
  backlogCount: number;
  connections: number;
  startupCount: number;
  verbose: boolean;
  /** V8 CPU profiles of the Warren broker processes into bench/results/profiles/ */
  brokerCpuProf: boolean;
  /** V8 CPU profiles of the perf processes */
  perfCpuProf: boolean;
}

export interface Session {
  url: string;
  pid: number | undefined;
  warren: WarrenChild | undefined;
}

function profileArgs(enabled: boolean, name: string): string[] {
  if (!enabled) return [];
  const dir = `${RESULTS_DIR}profiles`;
  mkdirSync(dir, { recursive: true });
  return ['--cpu-prof', '--cpu-prof-dir', dir, '--cpu-prof-name', `${name}-${Date.now()}.cpuprofile`];
}

export function perfExecArgv(o: BenchOptions, scenario: string, target: string): string[] {
  return profileArgs(o.perfCpuProf, `perf-${scenario}-${target}`);
}

export async function withBroker<T>(
  target: Target,
  o: BenchOptions,
  scenario: string,
  fn: (s: Session) => Promise<T>,
): Promise<T> {
  if (target.url !== undefined) return fn({ url: target.url, pid: rabbitPid(target.url), warren: undefined });
  const warren = await startWarren({ execArgv: profileArgs(o.brokerCpuProf, `warren-${scenario}`) });
  try {
    return await fn({ url: warren.url, pid: warren.pid, warren });
  } finally {
    await warren.stop();
  }
}
