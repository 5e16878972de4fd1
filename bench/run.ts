/**
 * Throughput benchmark: Warren (started here as a child process) against RabbitMQ (when given its URL),
 * same scenarios, same clients, one table. See docs/benchmarks.md.
 *
 *   npm run bench -- [--seconds 10] [--warmup 2] [--rabbitmq amqp://guest:guest@127.0.0.1:5682]
 *                    [--only warren|rabbitmq] [--url amqp://...] [--scenario name,...]
 *                    [--publisher raw|amqplib] [--size 16] [--max-backlog N] [--cpu-prof]
 */
import { connect } from 'amqplib';
import { fork, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { startWarren, type WarrenChild } from './broker.js';
import type { ClientConfig, FromClient, Mark, ToClient } from './messages.js';
import {
  cpuPercent,
  findListeningPid,
  machineBusyPercent,
  readPeakRss,
  readRss,
  sampleCpu,
  sampleMachine,
} from './proc.js';

const CLIENT_JS = fileURLToPath(new URL('./client.js', import.meta.url));
/** dist/bench/run.js -> <repo>/bench/results/ */
const RESULTS_DIR = fileURLToPath(new URL('../../bench/results/', import.meta.url));

interface Scenario {
  name: string;
  description: string;
  consumer: { noAck: boolean; prefetch: number; ackEvery: number };
}

const SCENARIOS: Scenario[] = [
  {
    name: 'autoack',
    description: '1 publisher -> 1 queue -> 1 consumer, auto-ack',
    consumer: { noAck: true, prefetch: 0, ackEvery: 0 },
  },
  {
    name: 'ack-p100',
    description: '1 publisher -> 1 queue -> 1 consumer, manual ack, prefetch 100, ack multiple every 50',
    consumer: { noAck: false, prefetch: 100, ackEvery: 50 },
  },
];

type TargetName = 'rabbitmq' | 'warren';

interface Target {
  name: TargetName;
  label: string;
  /** undefined: start a fresh Warren child for each scenario */
  url: string | undefined;
}

interface Options {
  seconds: number;
  warmup: number;
  size: number;
  publisher: 'raw' | 'amqplib';
  cpuProf: boolean;
  maxBacklog: number;
  scenarios: Scenario[];
  targets: Target[];
}

interface ScenarioResult {
  target: TargetName;
  scenario: string;
  description: string;
  url: string;
  publisher: 'raw' | 'amqplib';
  /** 0: publisher unbounded (only TCP backpressure); else the --max-backlog limit */
  maxBacklog: number;
  bodyBytes: number;
  seconds: number;
  sentPerSec: number;
  receivedPerSec: number;
  /** messages ready in the queue when the measurement ended */
  queueDepthAtEnd: number | undefined;
  brokerPid: number | undefined;
  brokerRssMB: number | undefined;
  brokerPeakRssMB: number | undefined;
  /** CPU use over the measured window, percent of one core */
  cpu: {
    publisher: number;
    consumer: number;
    broker: number | undefined;
    /** this runner process (relaying progress, sampling) */
    runner: number | undefined;
    /** all cores together, percent of the whole machine (100 = every core busy) */
    machineBusyPercent: number | undefined;
    /** machine busy time not explained by the processes above (other work on the machine), percent of one core */
    other: number | undefined;
  };
}

const USAGE = `usage: npm run bench -- [options]
  --seconds N          measured duration per scenario (default 10)
  --warmup N           warm-up before measuring, seconds (default 2)
  --rabbitmq URL       also bench RabbitMQ at URL (or env RABBITMQ_URL)
  --only T             only 'warren' or only 'rabbitmq'
  --url URL            bench an already running Warren (or any broker) at URL instead of starting one
  --scenario A,B       run only these scenarios (${SCENARIOS.map((s) => s.name).join(', ')})
  --publisher P        'raw' (pre-encoded frames, default) or 'amqplib'
  --size N             message body size in bytes (default 16)
  --max-backlog N      pause the publisher while it is N messages ahead of the consumer (default 0: never)
  --cpu-prof           write V8 CPU profiles of the client processes to bench/results/profiles/`;

function parseOptions(): Options {
  const { values } = parseArgs({
    options: {
      seconds: { type: 'string', default: '10' },
      warmup: { type: 'string', default: '2' },
      rabbitmq: { type: 'string' },
      only: { type: 'string' },
      url: { type: 'string' },
      scenario: { type: 'string' },
      publisher: { type: 'string', default: 'raw' },
      size: { type: 'string', default: '16' },
      'max-backlog': { type: 'string', default: '0' },
      'cpu-prof': { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const num = (name: string, v: string | undefined, min: number): number => {
    const n = Number(v);
    if (!Number.isFinite(n) || n < min) throw new Error(`--${name} must be a number >= ${min}`);
    return n;
  };
  const only = values.only;
  if (only !== undefined && only !== 'warren' && only !== 'rabbitmq')
    throw new Error('--only must be warren or rabbitmq');
  const publisher = values.publisher;
  if (publisher !== 'raw' && publisher !== 'amqplib') throw new Error('--publisher must be raw or amqplib');
  const rabbitUrl = values.rabbitmq ?? process.env['RABBITMQ_URL'];
  const targets: Target[] = [];
  if (only !== 'warren') {
    if (rabbitUrl) targets.push({ name: 'rabbitmq', label: 'RabbitMQ', url: rabbitUrl });
    else if (only === 'rabbitmq') throw new Error('--only rabbitmq needs --rabbitmq URL or RABBITMQ_URL');
  }
  if (only !== 'rabbitmq') targets.push({ name: 'warren', label: 'Warren', url: values.url });
  let scenarios = SCENARIOS;
  if (values.scenario !== undefined) {
    const wanted = values.scenario.split(',').map((s) => s.trim());
    for (const w of wanted) {
      if (!SCENARIOS.some((s) => s.name === w)) throw new Error(`unknown scenario ${w}\n${USAGE}`);
    }
    scenarios = SCENARIOS.filter((s) => wanted.includes(s.name));
  }
  return {
    seconds: num('seconds', values.seconds, 0.5),
    warmup: num('warmup', values.warmup, 0),
    size: num('size', values.size, 0),
    publisher,
    cpuProf: values['cpu-prof'],
    maxBacklog: num('max-backlog', values['max-backlog'], 0),
    scenarios,
    targets,
  };
}

const sleep = (seconds: number): Promise<void> => new Promise((r) => setTimeout(r, seconds * 1000));

/** A forked publisher or consumer (bench/client.ts) and the request/reply protocol with it. */
class ClientProcess {
  private readonly child: ChildProcess;
  private readonly waiting = new Map<
    string,
    { resolve: (m: FromClient) => void; reject: (e: Error) => void }
  >();
  private failure: Error | undefined;
  private readonly exited: Promise<void>;

  constructor(
    readonly name: string,
    config: ClientConfig,
    execArgv: string[],
  ) {
    this.child = fork(CLIENT_JS, [JSON.stringify(config)], {
      execArgv,
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    // An IPC write to a client that has just exited fails asynchronously (EPIPE); its exit is
    // reported through 'exit' anyway.
    this.child.on('error', (err) => this.fail(new Error(`${name}: ${err.message}`)));
    this.child.on('message', (msg: FromClient) => {
      if (msg.type === 'progress') this.onProgress?.(msg.count);
      else if (msg.type === 'error') this.fail(new Error(`${name}: ${msg.message}`));
      else this.take(msg.type)?.resolve(msg);
    });
    this.exited = new Promise((resolve) => {
      this.child.once('exit', (code, signal) => {
        this.fail(new Error(`${name} exited (${signal ?? `code ${code}`})`));
        resolve();
      });
    });
  }

  /** called with the consumer's delivery count when it reports progress */
  onProgress: ((count: number) => void) | undefined;

  send(cmd: ToClient): void {
    if (this.child.connected) this.child.send(cmd, () => {});
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  private take(type: string): { resolve: (m: FromClient) => void; reject: (e: Error) => void } | undefined {
    const w = this.waiting.get(type);
    this.waiting.delete(type);
    return w;
  }

  private fail(err: Error): void {
    this.failure ??= err;
    for (const w of this.waiting.values()) w.reject(this.failure);
    this.waiting.clear();
  }

  /** Sends a command and waits for the reply of the given type. */
  private request(
    cmd: ToClient | undefined,
    replyType: FromClient['type'],
    timeoutMs: number,
  ): Promise<FromClient> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting.delete(replyType);
        reject(new Error(`${this.name}: no '${replyType}' within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiting.set(replyType, {
        resolve: (m) => {
          clearTimeout(timer);
          resolve(m);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      });
      if (cmd) this.child.send(cmd);
    });
  }

  ready(): Promise<unknown> {
    return this.request(undefined, 'ready', 15000);
  }

  go(): void {
    this.child.send({ type: 'go' } satisfies ToClient);
  }

  async mark(): Promise<Mark> {
    return (await this.request({ type: 'mark' }, 'mark', 5000)) as FromClient & Mark;
  }

  async stop(): Promise<Mark | undefined> {
    let final: Mark | undefined;
    if (!this.failure && this.child.connected) {
      final = (await this.request({ type: 'stop' }, 'stopped', 10000).catch(() => undefined)) as
        Mark | undefined;
    }
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 5000);
    await this.exited;
    clearTimeout(timer);
    return final;
  }

  kill(): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
  }
}

function rate(a: Mark, b: Mark): number {
  const seconds = Number(BigInt(b.hrtime) - BigInt(a.hrtime)) / 1e9;
  return seconds > 0 ? (b.count - a.count) / seconds : 0;
}

function clientCpu(a: Mark, b: Mark): number {
  const micros = Number(BigInt(b.hrtime) - BigInt(a.hrtime)) / 1000;
  return micros > 0 ? ((b.cpuMicros - a.cpuMicros) / micros) * 100 : 0;
}

function localPid(url: string): number | undefined {
  const u = new URL(url);
  if (!['127.0.0.1', 'localhost', '::1', '[::1]'].includes(u.hostname)) return undefined;
  return findListeningPid(Number(u.port || 5672));
}

const MB = 1024 * 1024;

async function runScenario(opts: Options, target: Target, scenario: Scenario): Promise<ScenarioResult> {
  let warren: WarrenChild | undefined;
  const clients: ClientProcess[] = [];
  try {
    let url: string;
    let brokerPid: number | undefined;
    if (target.url === undefined) {
      warren = await startWarren();
      url = warren.url;
      brokerPid = warren.pid;
    } else {
      url = target.url;
      brokerPid = localPid(url);
    }

    const queue = `warren-bench-${scenario.name}-${randomBytes(4).toString('hex')}`;
    const admin = await connect(url);
    admin.on('error', () => {});
    const adminCh = await admin.createChannel();
    adminCh.on('error', () => {});
    await adminCh.assertQueue(queue, { durable: false, autoDelete: false, exclusive: false });

    try {
      const profDir = `${RESULTS_DIR}profiles`;
      const execArgv = (role: string): string[] =>
        opts.cpuProf
          ? [
              '--cpu-prof',
              `--cpu-prof-dir=${profDir}`,
              `--cpu-prof-name=${target.name}-${scenario.name}-${role}.cpuprofile`,
            ]
          : [];
      const consumer = new ClientProcess(
        'consumer',
        { role: 'consumer', url, queue, ...scenario.consumer, progressMs: opts.maxBacklog > 0 ? 5 : 0 },
        execArgv('consumer'),
      );
      clients.push(consumer);
      await consumer.ready();
      const publisher = new ClientProcess(
        'publisher',
        { role: 'publisher', url, queue, size: opts.size, impl: opts.publisher, maxBacklog: opts.maxBacklog },
        execArgv('publisher'),
      );
      clients.push(publisher);
      consumer.onProgress = (count) => publisher.send({ type: 'consumed', count });
      await publisher.ready();
      publisher.go();

      await sleep(opts.warmup);
      const [p0, c0] = await Promise.all([publisher.mark(), consumer.mark()]);
      const b0 = sampleCpu(brokerPid);
      const r0 = sampleCpu(process.pid);
      const m0 = sampleMachine();
      await sleep(opts.seconds);
      const [p1, c1] = await Promise.all([publisher.mark(), consumer.mark()]);
      const b1 = sampleCpu(brokerPid);
      const r1 = sampleCpu(process.pid);
      const m1 = sampleMachine();
      const rss = brokerPid === undefined ? undefined : readRss(brokerPid);
      const peak = brokerPid === undefined ? undefined : readPeakRss(brokerPid);
      const depth = await adminCh
        .checkQueue(queue)
        .then((q) => q.messageCount)
        .catch(() => undefined);

      consumer.onProgress = undefined;
      await publisher.stop();
      await consumer.stop();

      const cpu = {
        publisher: clientCpu(p0, p1),
        consumer: clientCpu(c0, c1),
        broker: cpuPercent(b0, b1),
        runner: cpuPercent(r0, r1),
        machineBusyPercent: machineBusyPercent(m0, m1),
      };
      const other =
        cpu.machineBusyPercent === undefined || cpu.broker === undefined
          ? undefined
          : Math.max(
              0,
              cpu.machineBusyPercent * cpus().length -
                cpu.publisher -
                cpu.consumer -
                cpu.broker -
                (cpu.runner ?? 0),
            );
      return {
        target: target.name,
        scenario: scenario.name,
        description: scenario.description,
        url: url.replace(/\/\/[^@/]*@/, '//'),
        publisher: opts.publisher,
        maxBacklog: opts.maxBacklog,
        bodyBytes: opts.size,
        seconds: opts.seconds,
        sentPerSec: rate(p0, p1),
        receivedPerSec: rate(c0, c1),
        queueDepthAtEnd: depth,
        brokerPid,
        brokerRssMB: rss === undefined ? undefined : rss / MB,
        brokerPeakRssMB: peak === undefined ? undefined : peak / MB,
        cpu: { ...cpu, other },
      };
    } finally {
      await adminCh.deleteQueue(queue).catch(() => {});
      await admin.close().catch(() => {});
    }
  } finally {
    for (const c of clients) c.kill();
    await warren?.stop();
  }
}

const fmtInt = (n: number | undefined): string =>
  n === undefined ? '-' : Math.round(n).toLocaleString('en-US');
const fmt1 = (n: number | undefined): string => (n === undefined ? '-' : n.toFixed(1));
const pct = (n: number | undefined): string => (n === undefined ? '-' : `${Math.round(n)}%`);

function describe(r: ScenarioResult, label: string): string {
  return (
    `${label.padEnd(8)} ${r.scenario.padEnd(9)} received ${fmtInt(r.receivedPerSec).padStart(9)} msg/s, ` +
    `sent ${fmtInt(r.sentPerSec).padStart(9)} msg/s, queue depth at end ${fmtInt(r.queueDepthAtEnd)}, ` +
    `broker RSS ${fmt1(r.brokerRssMB)} MB (peak ${fmt1(r.brokerPeakRssMB)}), CPU: publisher ${pct(r.cpu.publisher)} ` +
    `consumer ${pct(r.cpu.consumer)} broker ${pct(r.cpu.broker)} runner ${pct(r.cpu.runner)} ` +
    `other ${pct(r.cpu.other)} (of ${cpus().length * 100}%)`
  );
}

function table(rows: string[][]): string {
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length))) ?? [];
  return rows
    .map((r, ri) =>
      r
        .map((cell, i) => (i === 0 || ri === 0 ? cell.padEnd(widths[i] ?? 0) : cell.padStart(widths[i] ?? 0)))
        .join('  '),
    )
    .join('\n');
}

function summary(results: ScenarioResult[], opts: Options): string {
  const header = ['scenario', 'RabbitMQ msg/s', '(sent)', 'Warren msg/s', '(sent)', 'ratio', 'Warren RSS MB'];
  const rows = [header];
  for (const s of opts.scenarios) {
    const rmq = results.find((r) => r.scenario === s.name && r.target === 'rabbitmq');
    const w = results.find((r) => r.scenario === s.name && r.target === 'warren');
    rows.push([
      s.name,
      fmtInt(rmq?.receivedPerSec),
      fmtInt(rmq?.sentPerSec),
      fmtInt(w?.receivedPerSec),
      fmtInt(w?.sentPerSec),
      rmq && w && rmq.receivedPerSec > 0 ? (w.receivedPerSec / rmq.receivedPerSec).toFixed(2) : '-',
      fmt1(w?.brokerRssMB),
    ]);
  }
  return table(rows);
}

async function main(): Promise<void> {
  const opts = parseOptions();
  const startedAt = new Date();
  console.log(
    `warren bench: ${opts.seconds} s per scenario after ${opts.warmup} s warm-up, ${opts.size}-byte transient ` +
      `messages, ${opts.publisher} publisher` +
      (opts.maxBacklog > 0 ? ` (max backlog ${opts.maxBacklog})` : '') +
      `, targets: ${opts.targets.map((t) => t.label).join(', ')}`,
  );
  const results: ScenarioResult[] = [];
  const errors: { target: TargetName; scenario: string; error: string }[] = [];
  for (const scenario of opts.scenarios) {
    for (const target of opts.targets) {
      try {
        const r = await runScenario(opts, target, scenario);
        results.push(r);
        console.log(describe(r, target.label));
        for (const [role, cpu] of [
          ['publisher', r.cpu.publisher],
          ['consumer', r.cpu.consumer],
        ] as const) {
          if (cpu > 90)
            console.log(`  note: the ${role} used ${Math.round(cpu)}% of a core; it may be the limit`);
        }
      } catch (err) {
        const error = err instanceof Error ? err.message : String(err);
        errors.push({ target: target.name, scenario: scenario.name, error });
        console.log(`${target.label.padEnd(8)} ${scenario.name.padEnd(9)} FAILED: ${error}`);
      }
      await sleep(0.5);
    }
  }
  const text = summary(results, opts);
  console.log(`\n${text}`);

  mkdirSync(RESULTS_DIR, { recursive: true });
  const file = `${RESULTS_DIR}${startedAt.toISOString().replace(/[:.]/g, '-')}.json`;
  const cpuInfo = cpus();
  writeFileSync(
    file,
    JSON.stringify(
      {
        startedAt: startedAt.toISOString(),
        machine: {
          cpus: cpuInfo.length,
          cpuModel: cpuInfo[0]?.model,
          node: process.version,
          platform: process.platform,
        },
        options: {
          seconds: opts.seconds,
          warmup: opts.warmup,
          size: opts.size,
          publisher: opts.publisher,
          maxBacklog: opts.maxBacklog,
          scenarios: opts.scenarios.map((s) => s.name),
          targets: opts.targets.map((t) => ({
            name: t.name,
            url: t.url?.replace(/\/\/[^@/]*@/, '//') ?? 'spawned',
          })),
        },
        results,
        errors,
        table: text,
      },
      null,
      2,
    ) + '\n',
  );
  console.log(`\nresults: ${file}`);
  if (errors.length > 0) process.exitCode = 1;
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
