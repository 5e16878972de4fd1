/**
 * `npm run bench`: the scenario matrix of docs/benchmarks.md, every scenario run with `warren perf`
 * against RabbitMQ (when it is reachable) and a freshly started Warren, one after the other, then one
 * table. Results go to bench/results/<time>.json; a complete run also rewrites BENCHMARKS.md.
 *
 *   npm run bench -- [--quick] [--scenario 1,2,backlog] [--rabbitmq URL | --no-rabbitmq]
 *                    [--only warren|rabbitmq] [--url URL] [--seconds 10] [--warmup 2]
 *                    [--backlog-count N] [--connections N] [--startup-count N] [--verbose]
 *                    [--broker-cpu-prof] [--perf-cpu-prof] [--markdown | --no-markdown]
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { PerfConnection } from '../src/perf/connection.js';
import { describeMachine } from './machine.js';
import { writeBenchmarksMd } from './markdown.js';
import { measureBacklog } from './measure-backlog.js';
import { measureConnections } from './measure-connections.js';
import { measurePerf } from './measure-perf.js';
import { measureStartup } from './measure-startup.js';
import type { RowResult, Target } from './results.js';
import { SCENARIOS, selectScenarios, type ScenarioDef } from './scenarios.js';
import { RESULTS_DIR, type BenchOptions } from './session.js';
import { buildRows, LEGEND, textTable } from './table.js';

const DEFAULT_RABBITMQ = 'amqp://guest:guest@127.0.0.1:5682';
const BENCHMARKS_MD = fileURLToPath(new URL('../../BENCHMARKS.md', import.meta.url));

const USAGE = `usage: npm run bench -- [options]
  --scenario A,B       ids or names (default: the eleven; extras ttl-dlx, priority by name; 'everything')
                       ${SCENARIOS.map((s) => `${s.id} ${s.name}`).join(', ')}
  --quick              short run: 3 s per scenario after 1 s warm-up, backlog 100,000, 2,000 connections,
                       100,000 messages for the startup
  --seconds N          measured seconds per throughput scenario (default 10)
  --warmup N           warm-up seconds before measuring (default 2)
  --backlog-count N    messages of the backlog scenario (default 1,000,000)
  --connections N      idle connections of scenario 9 (default 10,000)
  --startup-count N    durable messages Warren recovers in scenario 11 (default 1,000,000)
  --rabbitmq URL       RabbitMQ to compare with (default ${DEFAULT_RABBITMQ} when it answers; env RABBITMQ_URL)
  --no-rabbitmq        Warren only
  --only T             'warren' or 'rabbitmq'
  --url URL            use this running Warren instead of starting one per scenario
  --verbose            show warren perf's per-second lines
  --broker-cpu-prof    V8 CPU profiles of the Warren brokers into bench/results/profiles/
  --perf-cpu-prof      V8 CPU profiles of the perf processes into bench/results/profiles/
  --markdown           rewrite BENCHMARKS.md even after a partial run (--no-markdown: never)`;

interface Plan {
  options: BenchOptions;
  scenarios: ScenarioDef[];
  targets: Target[];
  /** all eleven, both brokers, full length */
  complete: boolean;
  markdown: boolean | undefined;
  rabbitmqVersion: string | undefined;
}

async function probeRabbit(url: string): Promise<string | undefined> {
  const conn = await PerfConnection.open(url, { heartbeat: 0, name: 'bench: probe', timeoutMs: 3000 }).catch(
    () => undefined,
  );
  if (!conn) return undefined;
  const version = conn.serverProperties['version'];
  await conn.close();
  return typeof version === 'string' ? version : 'unknown';
}

async function plan(): Promise<Plan> {
  const { values } = parseArgs({
    options: {
      scenario: { type: 'string' },
      quick: { type: 'boolean', default: false },
      seconds: { type: 'string' },
      warmup: { type: 'string' },
      'backlog-count': { type: 'string' },
      connections: { type: 'string' },
      'startup-count': { type: 'string' },
      rabbitmq: { type: 'string' },
      'no-rabbitmq': { type: 'boolean', default: false },
      only: { type: 'string' },
      url: { type: 'string' },
      verbose: { type: 'boolean', default: false },
      'broker-cpu-prof': { type: 'boolean', default: false },
      'perf-cpu-prof': { type: 'boolean', default: false },
      markdown: { type: 'boolean' },
      'no-markdown': { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const num = (name: string, v: string | undefined, fallback: number, min: number): number => {
    if (v === undefined) return fallback;
    const n = Number(v.replace(/_/g, ''));
    if (!Number.isFinite(n) || n < min) throw new Error(`--${name} must be a number >= ${min}`);
    return n;
  };
  const quick = values.quick;
  const options: BenchOptions = {
    seconds: num('seconds', values.seconds, quick ? 3 : 10, 0.5),
    warmup: num('warmup', values.warmup, quick ? 1 : 2, 0),
    backlogCount: Math.round(num('backlog-count', values['backlog-count'], quick ? 100_000 : 1_000_000, 1)),
    connections: Math.round(num('connections', values.connections, quick ? 2_000 : 10_000, 1)),
    startupCount: Math.round(num('startup-count', values['startup-count'], quick ? 100_000 : 1_000_000, 1)),
    verbose: values.verbose,
    brokerCpuProf: values['broker-cpu-prof'],
    perfCpuProf: values['perf-cpu-prof'],
  };
  const only = values.only;
  if (only !== undefined && only !== 'warren' && only !== 'rabbitmq')
    throw new Error('--only must be warren or rabbitmq');
  const targets: Target[] = [];
  let rabbitmqVersion: string | undefined;
  if (only !== 'warren' && !values['no-rabbitmq']) {
    const given = values.rabbitmq ?? process.env['RABBITMQ_URL'];
    const url = given ?? DEFAULT_RABBITMQ;
    rabbitmqVersion = await probeRabbit(url);
    if (rabbitmqVersion !== undefined) targets.push({ name: 'rabbitmq', label: 'RabbitMQ', url });
    else if (given !== undefined || only === 'rabbitmq')
      throw new Error(`RabbitMQ at ${url.replace(/\/\/[^@/]*@/, '//')} does not answer`);
    else console.log(`(no RabbitMQ at ${DEFAULT_RABBITMQ.replace(/\/\/[^@/]*@/, '//')}: Warren only)`);
  }
  if (only !== 'rabbitmq') targets.push({ name: 'warren', label: 'Warren', url: values.url });
  const scenarios = selectScenarios(values.scenario);
  const eleven = SCENARIOS.filter((s) => !s.extra).every((s) => scenarios.includes(s));
  const overridden = ['seconds', 'warmup', 'backlog-count', 'connections', 'startup-count'].some(
    (k) => (values as Record<string, unknown>)[k] !== undefined,
  );
  return {
    options,
    scenarios,
    targets,
    complete: eleven && targets.length === 2 && !quick && !overridden && values.url === undefined,
    markdown: values['no-markdown'] ? false : values.markdown,
    rabbitmqVersion,
  };
}

async function measure(
  s: ScenarioDef,
  t: Target,
  o: BenchOptions,
  log: (l: string) => void,
): Promise<RowResult[]> {
  switch (s.kind) {
    case 'perf':
      return measurePerf(s, t, o, log);
    case 'connections':
      return measureConnections(s, t, o, log);
    case 'backlog':
      return measureBacklog(s, t, o, log);
    case 'startup':
      return measureStartup(t, o, log);
  }
}

async function main(): Promise<void> {
  const p = await plan();
  const startedAt = new Date();
  const o = p.options;
  console.log(
    `warren bench: scenarios ${p.scenarios.map((s) => s.id).join(', ')} against ${p.targets.map((t) => t.label).join(' and ')}; ` +
      `${o.seconds} s per throughput scenario after ${o.warmup} s warm-up, backlog ${o.backlogCount.toLocaleString('en-US')}, ` +
      `${o.connections.toLocaleString('en-US')} connections, startup with ${o.startupCount.toLocaleString('en-US')} messages`,
  );
  const results: RowResult[] = [];
  const lines: string[] = [];
  const errors: { scenario: string; target: string; error: string }[] = [];
  const log = (line: string): void => {
    lines.push(line);
    console.log(line);
  };
  for (const s of p.scenarios) {
    console.log(`\n${s.id}. ${s.title}`);
    for (const t of p.targets) {
      try {
        results.push(...(await measure(s, t, o, log)));
      } catch (e) {
        const error = e instanceof Error ? e.message : String(e);
        errors.push({ scenario: s.name, target: t.name, error });
        log(`${t.label.padEnd(8)} ${s.name} FAILED: ${error}`);
      }
    }
  }
  const rows = buildRows(p.scenarios, results);
  const table = textTable(rows);
  console.log(`\n${table}\n${LEGEND}`);

  const machine = describeMachine(p.rabbitmqVersion);
  mkdirSync(RESULTS_DIR, { recursive: true });
  const file = `${RESULTS_DIR}${startedAt.toISOString().replace(/[:.]/g, '-')}.json`;
  const command = `npm run bench${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`;
  writeFileSync(
    file,
    JSON.stringify(
      {
        startedAt,
        command,
        machine,
        options: o,
        targets: p.targets.map((t) => ({
          name: t.name,
          url: t.url?.replace(/\/\/[^@/]*@/, '//') ?? 'spawned',
        })),
        results,
        errors,
        lines,
        table,
      },
      null,
      2,
    ) + '\n',
  );
  console.log(`\nresults: ${file}`);
  if (p.markdown ?? p.complete) {
    await writeBenchmarksMd(BENCHMARKS_MD, {
      startedAt,
      command,
      machine,
      options: o,
      rows,
      lines,
      errors,
      results,
    });
    console.log(`written: ${BENCHMARKS_MD}`);
  } else if (p.markdown === undefined) {
    console.log('(BENCHMARKS.md left as it is: not a complete run; --markdown writes it anyway)');
  }
  if (errors.length > 0) process.exitCode = 1;
}

// Ctrl-C: exit through process.exit so that bench/broker.ts's exit hook kills the Warren it started
// and deletes its data directory.
process.once('SIGINT', () => process.exit(130));

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
