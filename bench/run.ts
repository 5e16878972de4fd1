/**
 * Throughput benchmark: Warren (started here as a child process) against RabbitMQ (when given its URL),
 * same scenarios, same clients, one table (and a second one for the backlog scenario). See
 * docs/benchmarks.md.
 *
 *   npm run bench -- [--seconds 10] [--warmup 2] [--rabbitmq amqp://guest:guest@127.0.0.1:5682]
 *                    [--only warren|rabbitmq] [--url amqp://...] [--scenario name,...]
 *                    [--publisher raw|amqplib] [--size 16] [--max-backlog N] [--backlog-count N]
 *                    [--cpu-prof]
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
  readWriteBytes,
  sampleCpu,
  sampleMachine,
} from './proc.js';

const CLIENT_JS = fileURLToPath(new URL('./client.js', import.meta.url));
/** dist/bench/run.js -> <repo>/bench/results/ */
const RESULTS_DIR = fileURLToPath(new URL('../../bench/results/', import.meta.url));

interface Scenario {
  name: string;
  description: string;
  /** 'throughput': publisher and consumer run together for --seconds; 'backlog': fill, then drain */
  kind: 'throughput' | 'backlog';
  /** body size in bytes; undefined: --size */
  size: number | undefined;
  /** durable queue and delivery-mode 2 messages */
  persistent: boolean;
  /** > 0: publisher confirms, at most this many publishes unconfirmed */
  confirmWindow: number;
  consumer: { noAck: boolean; prefetch: number; ackEvery: number };
  /** x- arguments of the queue under test */
  queueArguments: Record<string, unknown>;
  /** > 0: messages carry priorities 0..priorities-1 in turn */
  priorities: number;
}

const MANUAL_ACK = { noAck: false, prefetch: 100, ackEvery: 50 };
const CONFIRM_WINDOW = 256;

const SCENARIOS: Scenario[] = [
  {
    name: 'autoack',
    description: '1 publisher -> 1 queue -> 1 consumer, auto-ack',
    kind: 'throughput',
    size: undefined,
    persistent: false,
    confirmWindow: 0,
    consumer: { noAck: true, prefetch: 0, ackEvery: 0 },
    queueArguments: {},
    priorities: 0,
  },
  {
    name: 'ack-p100',
    description: '1 publisher -> 1 queue -> 1 consumer, manual ack, prefetch 100, ack multiple every 50',
    kind: 'throughput',
    size: undefined,
    persistent: false,
    confirmWindow: 0,
    consumer: MANUAL_ACK,
    queueArguments: {},
    priorities: 0,
  },
  {
    name: 'ttl-dlx',
    description: 'ack-p100 into a queue with x-message-ttl 60 s and a dead-letter exchange',
    kind: 'throughput',
    size: undefined,
    persistent: false,
    confirmWindow: 0,
    consumer: MANUAL_ACK,
    queueArguments: { 'x-message-ttl': 60_000, 'x-dead-letter-exchange': 'amq.fanout' },
    priorities: 0,
  },
  {
    name: 'priority',
    description: 'ack-p100 into a queue with x-max-priority 10, messages with priorities 0-9 in turn',
    kind: 'throughput',
    size: undefined,
    persistent: false,
    confirmWindow: 0,
    consumer: MANUAL_ACK,
    queueArguments: { 'x-max-priority': 10 },
    priorities: 10,
  },
  ...[16, 1024].map((size): Scenario => ({
    name: size === 1024 ? 'persistent-1k' : `persistent-${size}`,
    description:
      `durable queue, ${size}-byte persistent messages, confirms (window ${CONFIRM_WINDOW}), ` +
      'manual ack, prefetch 100, ack multiple every 50',
    kind: 'throughput',
    size,
    persistent: true,
    confirmWindow: CONFIRM_WINDOW,
    consumer: MANUAL_ACK,
    queueArguments: {},
    priorities: 0,
  })),
  {
    name: 'backlog',
    description:
      `publish --backlog-count 1 KiB persistent messages to a durable queue with no consumer (confirms, ` +
      `window ${CONFIRM_WINDOW}), then drain it (manual ack, prefetch 100, ack multiple every 50)`,
    kind: 'backlog',
    size: 1024,
    persistent: true,
    confirmWindow: CONFIRM_WINDOW,
    consumer: MANUAL_ACK,
    queueArguments: {},
    priorities: 0,
  },
];

/** A backlog phase (publishing or draining) that makes no progress for this long has hung. */
const STALL_SECONDS = 60;

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
  backlogCount: number;
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
  persistent: boolean;
  /** 0: no publisher confirms */
  confirmWindow: number;
  seconds: number;
  sentPerSec: number;
  /** with confirms: publishes acked per second */
  confirmedPerSec: number | undefined;
  /** with confirms: publishes nacked during the whole run (should be 0) */
  nacked: number | undefined;
  receivedPerSec: number;
  /** messages ready in the queue when the measurement ended */
  queueDepthAtEnd: number | undefined;
  brokerPid: number | undefined;
  brokerRssMB: number | undefined;
  brokerPeakRssMB: number | undefined;
  /** bytes the broker sent to storage (/proc/<pid>/io write_bytes) per received message in the window */
  brokerDiskBytesPerMsg: number | undefined;
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

interface BacklogResult {
  target: TargetName;
  scenario: string;
  description: string;
  url: string;
  /** messages the publisher was asked to publish (--backlog-count) */
  count: number;
  bodyBytes: number;
  confirmWindow: number;
  publish: {
    seconds: number;
    /** published and confirmed per second: count / (last confirm - first publish) */
    perSec: number;
    confirmed: number;
    nacked: number;
    /** messages ready in the queue once every publish was confirmed (should be `confirmed`) */
    queueDepth: number | undefined;
    cpu: { publisher: number; broker: number | undefined };
    /** bytes the broker sent to storage while publishing (/proc/<pid>/io write_bytes) */
    brokerDiskMB: number | undefined;
  };
  drain: {
    seconds: number;
    /** received per second, from basic.consume to the last delivery */
    perSec: number;
    received: number;
    /** messages ready in the queue after the drain (should be 0) */
    queueDepth: number | undefined;
    cpu: { consumer: number; broker: number | undefined };
  };
  /** from the first publish to the last delivery, including starting the consumer process */
  totalSeconds: number;
  brokerPid: number | undefined;
  rssMB: {
    before: number | undefined;
    afterPublish: number | undefined;
    afterDrain: number | undefined;
    /** highest VmRSS sampled every 100 ms from the first publish to the end of the drain */
    peakSampled: number | undefined;
    /** the process's VmHWM: its peak since it started (for RabbitMQ that includes earlier runs) */
    vmHwm: number | undefined;
  };
  /** what did not add up: nacks, a queue depth that does not match the confirms, ... */
  problems: string[];
}

const USAGE = `usage: npm run bench -- [options]
  --seconds N          measured duration per scenario (default 10)
  --warmup N           warm-up before measuring, seconds (default 2)
  --rabbitmq URL       also bench RabbitMQ at URL (or env RABBITMQ_URL)
  --only T             only 'warren' or only 'rabbitmq'
  --url URL            bench an already running Warren (or any broker) at URL instead of starting one
  --scenario A,B       run only these scenarios (${SCENARIOS.map((s) => s.name).join(', ')})
  --publisher P        'raw' (pre-encoded frames, default) or 'amqplib'
  --size N             body size in bytes for autoack and ack-p100 (default 16; the others have fixed sizes)
  --max-backlog N      pause the publisher while it is N messages ahead of the consumer (default 0: never)
  --backlog-count N    messages the backlog scenario publishes before draining (default 1000000)
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
      'backlog-count': { type: 'string', default: '1000000' },
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
  if (publisher === 'amqplib') {
    // amqplib's publisher here is the plain fire-and-forget one; confirms are only in the raw publisher.
    const needRaw = scenarios
      .filter((s) => s.confirmWindow > 0 || s.persistent || s.priorities > 0)
      .map((s) => s.name);
    if (needRaw.length > 0)
      throw new Error(
        `--publisher amqplib cannot run ${needRaw.join(', ')} (persistent messages with confirms need the ` +
          `raw publisher); add --scenario autoack,ack-p100`,
      );
  }
  const backlogCount = num('backlog-count', values['backlog-count'], 1);
  if (!Number.isInteger(backlogCount)) throw new Error('--backlog-count must be a whole number');
  return {
    seconds: num('seconds', values.seconds, 0.5),
    warmup: num('warmup', values.warmup, 0),
    size: num('size', values.size, 0),
    publisher,
    cpuProf: values['cpu-prof'],
    maxBacklog: num('max-backlog', values['max-backlog'], 0),
    backlogCount,
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

  /**
   * Resolves with the client's 'done' report (publisher: all of `total` confirmed; consumer: the
   * 'done-at' count reached). No timeout of its own: callers watch progress instead (waitDone).
   */
  async done(): Promise<Mark> {
    return (await this.request(undefined, 'done', 2 ** 31 - 1)) as FromClient & Mark;
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

function seconds(a: Mark, b: Mark): number {
  return Number(BigInt(b.hrtime) - BigInt(a.hrtime)) / 1e9;
}

function rate(a: Mark, b: Mark, field: 'count' | 'confirmed' = 'count'): number {
  const s = seconds(a, b);
  return s > 0 ? (b[field] - a[field]) / s : 0;
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

function execArgvFor(opts: Options, target: Target, scenario: Scenario): (role: string) => string[] {
  const profDir = `${RESULTS_DIR}profiles`;
  return (role) =>
    opts.cpuProf
      ? [
          '--cpu-prof',
          `--cpu-prof-dir=${profDir}`,
          `--cpu-prof-name=${target.name}-${scenario.name}-${role}.cpuprofile`,
        ]
      : [];
}

async function runScenario(opts: Options, target: Target, scenario: Scenario): Promise<ScenarioResult> {
  let warren: WarrenChild | undefined;
  const clients: ClientProcess[] = [];
  const size = scenario.size ?? opts.size;
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
    await adminCh.assertQueue(queue, {
      durable: scenario.persistent,
      autoDelete: false,
      exclusive: false,
      arguments: scenario.queueArguments,
    });

    try {
      const execArgv = execArgvFor(opts, target, scenario);
      const consumer = new ClientProcess(
        'consumer',
        {
          role: 'consumer',
          url,
          queue,
          ...scenario.consumer,
          progressMs: opts.maxBacklog > 0 ? 5 : 0,
          consumeOnGo: false,
        },
        execArgv('consumer'),
      );
      clients.push(consumer);
      await consumer.ready();
      const publisher = new ClientProcess(
        'publisher',
        {
          role: 'publisher',
          url,
          queue,
          size,
          impl: opts.publisher,
          maxBacklog: opts.maxBacklog,
          persistent: scenario.persistent,
          confirmWindow: scenario.confirmWindow,
          total: 0,
          priorities: scenario.priorities,
        },
        execArgv('publisher'),
      );
      clients.push(publisher);
      consumer.onProgress = (count) => publisher.send({ type: 'consumed', count });
      await publisher.ready();
      publisher.go();

      await sleep(opts.warmup);
      const [p0, c0] = await Promise.all([publisher.mark(), consumer.mark()]);
      const b0 = sampleCpu(brokerPid);
      const w0 = readWriteBytes(brokerPid);
      const r0 = sampleCpu(process.pid);
      const m0 = sampleMachine();
      await sleep(opts.seconds);
      const [p1, c1] = await Promise.all([publisher.mark(), consumer.mark()]);
      const b1 = sampleCpu(brokerPid);
      const w1 = readWriteBytes(brokerPid);
      const r1 = sampleCpu(process.pid);
      const m1 = sampleMachine();
      const rss = brokerPid === undefined ? undefined : readRss(brokerPid);
      const peak = brokerPid === undefined ? undefined : readPeakRss(brokerPid);
      const depth = await adminCh
        .checkQueue(queue)
        .then((q) => q.messageCount)
        .catch(() => undefined);

      consumer.onProgress = undefined;
      const pEnd = await publisher.stop();
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
        bodyBytes: size,
        persistent: scenario.persistent,
        confirmWindow: scenario.confirmWindow,
        seconds: opts.seconds,
        sentPerSec: rate(p0, p1),
        confirmedPerSec: scenario.confirmWindow > 0 ? rate(p0, p1, 'confirmed') : undefined,
        nacked: scenario.confirmWindow > 0 ? (pEnd ?? p1).nacked : undefined,
        receivedPerSec: rate(c0, c1),
        queueDepthAtEnd: depth,
        brokerPid,
        brokerRssMB: rss === undefined ? undefined : rss / MB,
        brokerPeakRssMB: peak === undefined ? undefined : peak / MB,
        brokerDiskBytesPerMsg:
          w0 === undefined || w1 === undefined || c1.count === c0.count
            ? undefined
            : (w1 - w0) / (c1.count - c0.count),
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

/**
 * Waits for a client's 'done', checking its progress every 5 s: a phase whose counter has not moved
 * for STALL_SECONDS has hung (e.g. confirms that never come), and is failed with what was seen.
 * Prints a progress line every 10 s so that a long run shows it is alive.
 */
async function waitDone(
  client: ClientProcess,
  progress: (m: Mark) => number,
  status: (m: Mark) => string,
): Promise<Mark> {
  const done = client.done();
  // If the watchdog gives up first, the pending promise rejects later when the client is killed.
  done.catch(() => {});
  let last = -1;
  let lastChange = Date.now();
  let lastPrint = Date.now();
  for (;;) {
    const finished = await Promise.race([done, sleep(5).then(() => undefined)]);
    if (finished !== undefined) return finished;
    const m = await client.mark();
    const p = progress(m);
    if (p !== last) {
      last = p;
      lastChange = Date.now();
    } else if (Date.now() - lastChange > STALL_SECONDS * 1000) {
      throw new Error(`${client.name}: no progress for ${STALL_SECONDS} s: ${status(m)}`);
    }
    if (Date.now() - lastPrint >= 10000) {
      lastPrint = Date.now();
      console.log(`  ... ${status(m)}`);
    }
  }
}

/** Samples a process's VmRSS every 100 ms and keeps the highest value. */
function rssSampler(pid: number | undefined): { stop(): number | undefined } {
  let peak: number | undefined;
  const sample = (): void => {
    const rss = pid === undefined ? undefined : readRss(pid);
    if (rss !== undefined && (peak === undefined || rss > peak)) peak = rss;
  };
  sample();
  const timer = setInterval(sample, 100);
  return {
    stop() {
      clearInterval(timer);
      sample();
      return peak;
    },
  };
}

/**
 * The backlog scenario: publish opts.backlogCount persistent messages (confirms) to a durable queue
 * nobody consumes, then start a consumer and drain the queue. Measures both rates and the broker's
 * memory while it holds the backlog.
 */
async function runBacklog(opts: Options, target: Target, scenario: Scenario): Promise<BacklogResult> {
  let warren: WarrenChild | undefined;
  const clients: ClientProcess[] = [];
  const size = scenario.size ?? opts.size;
  const total = opts.backlogCount;
  const problems: string[] = [];
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
    const mb = (bytes: number | undefined): number | undefined =>
      bytes === undefined ? undefined : bytes / MB;
    const rssNow = (): number | undefined => mb(brokerPid === undefined ? undefined : readRss(brokerPid));

    const queue = `warren-bench-${scenario.name}-${randomBytes(4).toString('hex')}`;
    const admin = await connect(url);
    admin.on('error', () => {});
    const adminCh = await admin.createChannel();
    adminCh.on('error', () => {});
    await adminCh.assertQueue(queue, { durable: true, autoDelete: false, exclusive: false });
    const depth = (): Promise<number | undefined> =>
      adminCh
        .checkQueue(queue)
        .then((q) => q.messageCount)
        .catch(() => undefined);

    try {
      const execArgv = execArgvFor(opts, target, scenario);
      const rssBefore = rssNow();

      // Phase 1: publish everything, nobody consuming.
      const publisher = new ClientProcess(
        'publisher',
        {
          role: 'publisher',
          url,
          queue,
          size,
          impl: 'raw',
          maxBacklog: 0,
          persistent: true,
          confirmWindow: scenario.confirmWindow,
          total,
          priorities: 0,
        },
        execArgv('publisher'),
      );
      clients.push(publisher);
      await publisher.ready();
      const sampler = rssSampler(brokerPid);
      const p0 = await publisher.mark();
      const b0 = sampleCpu(brokerPid);
      const w0 = readWriteBytes(brokerPid);
      const start = process.hrtime.bigint();
      publisher.go();
      const p1 = await waitDone(
        publisher,
        (m) => m.confirmed + m.nacked,
        (m) =>
          `${target.label} publishing: sent ${fmtInt(m.count)}, confirmed ${fmtInt(m.confirmed)}, ` +
          `nacked ${fmtInt(m.nacked)} of ${fmtInt(total)}, broker RSS ${fmt1(rssNow())} MB`,
      );
      const b1 = sampleCpu(brokerPid);
      const w1 = readWriteBytes(brokerPid);
      const rssAfterPublish = rssNow();
      const depthAfterPublish = await depth();
      await publisher.stop();
      if (p1.nacked > 0) problems.push(`${p1.nacked} publishes nacked`);
      if (depthAfterPublish !== p1.confirmed)
        problems.push(
          `queue depth ${fmtInt(depthAfterPublish)} after ${fmtInt(p1.confirmed)} confirmed publishes`,
        );

      // Phase 2: drain what the queue holds.
      const expected = depthAfterPublish ?? p1.confirmed;
      const consumer = new ClientProcess(
        'consumer',
        { role: 'consumer', url, queue, ...scenario.consumer, progressMs: 0, consumeOnGo: true },
        execArgv('consumer'),
      );
      clients.push(consumer);
      await consumer.ready();
      consumer.send({ type: 'done-at', count: expected });
      const c0 = await consumer.mark();
      const b2 = sampleCpu(brokerPid);
      consumer.go();
      const c1 = await waitDone(
        consumer,
        (m) => m.count,
        (m) =>
          `${target.label} draining: received ${fmtInt(m.count)} of ${fmtInt(expected)}, ` +
          `broker RSS ${fmt1(rssNow())} MB`,
      );
      const end = process.hrtime.bigint();
      const b3 = sampleCpu(brokerPid);
      // Give the last ack a moment to arrive before checking that nothing is left.
      await sleep(0.2);
      const depthAfterDrain = await depth();
      const rssAfterDrain = rssNow();
      const peak = sampler.stop();
      const hwm = brokerPid === undefined ? undefined : readPeakRss(brokerPid);
      await consumer.stop();
      if (depthAfterDrain !== 0) problems.push(`queue depth ${fmtInt(depthAfterDrain)} after the drain`);

      const publishSeconds = seconds(p0, p1);
      const drainSeconds = seconds(c0, c1);
      return {
        target: target.name,
        scenario: scenario.name,
        description: scenario.description,
        url: url.replace(/\/\/[^@/]*@/, '//'),
        count: total,
        bodyBytes: size,
        confirmWindow: scenario.confirmWindow,
        publish: {
          seconds: publishSeconds,
          perSec: publishSeconds > 0 ? (p1.confirmed + p1.nacked) / publishSeconds : 0,
          confirmed: p1.confirmed,
          nacked: p1.nacked,
          queueDepth: depthAfterPublish,
          cpu: { publisher: clientCpu(p0, p1), broker: cpuPercent(b0, b1) },
          brokerDiskMB: w0 === undefined || w1 === undefined ? undefined : (w1 - w0) / MB,
        },
        drain: {
          seconds: drainSeconds,
          perSec: rate(c0, c1),
          received: c1.count,
          queueDepth: depthAfterDrain,
          cpu: { consumer: clientCpu(c0, c1), broker: cpuPercent(b2, b3) },
        },
        totalSeconds: Number(end - start) / 1e9,
        brokerPid,
        rssMB: {
          before: rssBefore,
          afterPublish: rssAfterPublish,
          afterDrain: rssAfterDrain,
          peakSampled: mb(peak),
          vmHwm: mb(hwm),
        },
        problems,
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
  const confirms =
    r.confirmedPerSec === undefined
      ? ''
      : `confirmed ${fmtInt(r.confirmedPerSec).padStart(9)} msg/s${r.nacked ? ` (${fmtInt(r.nacked)} NACKED)` : ''}, `;
  return (
    `${label.padEnd(8)} ${r.scenario.padEnd(13)} received ${fmtInt(r.receivedPerSec).padStart(9)} msg/s, ` +
    `sent ${fmtInt(r.sentPerSec).padStart(9)} msg/s, ${confirms}queue depth at end ${fmtInt(r.queueDepthAtEnd)}, ` +
    `broker RSS ${fmt1(r.brokerRssMB)} MB (peak ${fmt1(r.brokerPeakRssMB)}), ` +
    (r.persistent ? `broker disk writes ${fmtInt(r.brokerDiskBytesPerMsg)} B/msg, ` : '') +
    `CPU: publisher ${pct(r.cpu.publisher)} ` +
    `consumer ${pct(r.cpu.consumer)} broker ${pct(r.cpu.broker)} runner ${pct(r.cpu.runner)} ` +
    `other ${pct(r.cpu.other)} (of ${cpus().length * 100}%)`
  );
}

function describeBacklog(r: BacklogResult, label: string): string {
  return (
    `${label.padEnd(8)} ${r.scenario.padEnd(13)} ${fmtInt(r.count)} x ${r.bodyBytes} B: ` +
    `published ${fmtInt(r.publish.perSec)} msg/s (${r.publish.seconds.toFixed(1)} s, ` +
    `confirmed ${fmtInt(r.publish.confirmed)}, nacked ${fmtInt(r.publish.nacked)}, queue depth ` +
    `${fmtInt(r.publish.queueDepth)}, broker wrote ${fmtInt(r.publish.brokerDiskMB)} MB), drained ${fmtInt(r.drain.perSec)} msg/s (${r.drain.seconds.toFixed(1)} s, ` +
    `received ${fmtInt(r.drain.received)}, left ${fmtInt(r.drain.queueDepth)}), total ` +
    `${r.totalSeconds.toFixed(1)} s; broker RSS MB: before ${fmt1(r.rssMB.before)}, after publish ` +
    `${fmt1(r.rssMB.afterPublish)}, after drain ${fmt1(r.rssMB.afterDrain)}, peak ${fmt1(r.rssMB.peakSampled)}; ` +
    `CPU publishing: publisher ${pct(r.publish.cpu.publisher)} broker ${pct(r.publish.cpu.broker)}, ` +
    `draining: consumer ${pct(r.drain.cpu.consumer)} broker ${pct(r.drain.cpu.broker)}` +
    (r.problems.length > 0 ? `\n  PROBLEMS: ${r.problems.join('; ')}` : '')
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
  for (const s of opts.scenarios.filter((x) => x.kind === 'throughput')) {
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

function backlogSummary(results: BacklogResult[], opts: Options): string {
  const rows = [
    [
      `backlog ${fmtInt(opts.backlogCount)} x 1 KiB`,
      'publish msg/s',
      'drain msg/s',
      'total s',
      'RSS after publish MB',
      'peak RSS MB',
    ],
  ];
  for (const t of opts.targets) {
    const r = results.find((x) => x.target === t.name);
    rows.push([
      t.label,
      fmtInt(r?.publish.perSec),
      fmtInt(r?.drain.perSec),
      r === undefined ? '-' : r.totalSeconds.toFixed(1),
      fmt1(r?.rssMB.afterPublish),
      fmt1(r?.rssMB.peakSampled),
    ]);
  }
  return table(rows);
}

async function main(): Promise<void> {
  const opts = parseOptions();
  const startedAt = new Date();
  const hasThroughput = opts.scenarios.some((s) => s.kind === 'throughput');
  const hasBacklog = opts.scenarios.some((s) => s.kind === 'backlog');
  console.log(
    `warren bench: ${opts.scenarios.map((s) => s.name).join(', ')}; ` +
      (hasThroughput
        ? `${opts.seconds} s per scenario after ${opts.warmup} s warm-up, ${opts.size}-byte bodies for ` +
          `autoack/ack-p100, `
        : '') +
      (hasBacklog ? `backlog of ${fmtInt(opts.backlogCount)} messages, ` : '') +
      `${opts.publisher} publisher` +
      (opts.maxBacklog > 0 ? ` (max backlog ${opts.maxBacklog})` : '') +
      `, targets: ${opts.targets.map((t) => t.label).join(', ')}`,
  );
  const results: ScenarioResult[] = [];
  const backlogResults: BacklogResult[] = [];
  const errors: { target: TargetName; scenario: string; error: string }[] = [];
  for (const scenario of opts.scenarios) {
    for (const target of opts.targets) {
      try {
        if (scenario.kind === 'backlog') {
          const r = await runBacklog(opts, target, scenario);
          backlogResults.push(r);
          console.log(describeBacklog(r, target.label));
          if (r.problems.length > 0)
            errors.push({ target: target.name, scenario: scenario.name, error: r.problems.join('; ') });
          continue;
        }
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
        console.log(`${target.label.padEnd(8)} ${scenario.name.padEnd(13)} FAILED: ${error}`);
      } finally {
        await sleep(0.5);
      }
    }
  }
  const tables: string[] = [];
  if (hasThroughput) tables.push(summary(results, opts));
  if (hasBacklog) tables.push(backlogSummary(backlogResults, opts));
  const text = tables.join('\n\n');
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
          backlogCount: opts.backlogCount,
          scenarios: opts.scenarios.map((s) => s.name),
          targets: opts.targets.map((t) => ({
            name: t.name,
            url: t.url?.replace(/\/\/[^@/]*@/, '//') ?? 'spawned',
          })),
        },
        results,
        backlogResults,
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

// Ctrl-C: exit through process.exit so that bench/broker.ts's exit hook kills the Warren it started
// and deletes its data directory.
process.once('SIGINT', () => process.exit(130));

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
