/**
 * `warren perf`: the command line of the benchmark client. Flags follow RabbitMQ's PerfTest where it
 * has the same knob (-x producers, -y consumers, -u queue, -s size, -f persistent, -c confirm, -q qos,
 * -A multi-ack-every, -r rate, -C pmessages, -D cmessages, -z time, -a auto-ack, -e exchange, -t type,
 * -k routing key). Returns the process exit code; prints through `io`.
 */
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { Command, InvalidArgumentError, Option } from 'commander';
import { PERF_DEFAULTS, type ExchangeType, type PerfOptions } from './options.js';
import { runPerf } from './run.js';

function whole(v: string): number {
  const n = Number(v);
  if (v.trim() === '' || !Number.isSafeInteger(n) || n < 0)
    throw new InvalidArgumentError(`not a whole number: ${v}`);
  return n;
}

function positive(v: string): number {
  const n = Number(v);
  if (v.trim() === '' || !Number.isFinite(n) || n < 0)
    throw new InvalidArgumentError(`not a number >= 0: ${v}`);
  return n;
}

/** --queue-arg x-max-priority=10: numbers become integers, true/false booleans, the rest strings */
function queueArg(
  v: string,
  prev: Record<string, string | number | boolean>,
): Record<string, string | number | boolean> {
  const eq = v.indexOf('=');
  if (eq <= 0) throw new InvalidArgumentError(`expected key=value: ${v}`);
  const key = v.slice(0, eq);
  const raw = v.slice(eq + 1);
  const value = /^-?\d+$/.test(raw) ? Number(raw) : raw === 'true' ? true : raw === 'false' ? false : raw;
  return { ...prev, [key]: value };
}

interface Flags {
  uri: string;
  producers: number;
  consumers: number;
  queue?: string;
  queues: number;
  queuePrefix?: string;
  queueArg: Record<string, string | number | boolean>;
  exchange: string;
  type: ExchangeType;
  routingKey?: string;
  bindingsPerQueue: number;
  size: number;
  persistent: boolean;
  confirm: number;
  priorities: number;
  rate: number;
  pmessages: number;
  cmessages: number;
  autoAck: boolean;
  qos: number;
  multiAckEvery: number;
  time?: number;
  warmup: number;
  workers: number;
  idleConnections: number;
  heartbeat: number;
  keep: boolean;
  quiet: boolean;
  json?: string;
}

function command(): Command {
  const d = PERF_DEFAULTS;
  return new Command('warren perf')
    .description(
      'Benchmark an AMQP 0-9-1 broker (Warren, RabbitMQ, ...): producers and consumers in worker threads, ' +
        'pre-encoded publishes, rates every second, latency percentiles at the end.',
    )
    .option(
      '--uri <url>',
      'broker to benchmark (env WARREN_PERF_URI)',
      process.env['WARREN_PERF_URI'] ?? d.uri,
    )
    .option('-x, --producers <n>', 'producer connections', whole, d.producers)
    .option('-y, --consumers <n>', 'consumer connections', whole, d.consumers)
    .option('-u, --queue <name>', 'one queue by this name (instead of --queues)')
    .option(
      '--queues <n>',
      'queues, named <prefix>-1 .. <prefix>-n; consumers are spread over them',
      whole,
      d.queues,
    )
    .option('--queue-prefix <prefix>', 'queue name prefix (default: perf-<random>)')
    .option('--queue-arg <key=value>', 'an x- argument for every queue (repeatable)', queueArg, {})
    .option('-e, --exchange <name>', "exchange to publish to ('' = the default exchange)", d.exchange)
    .addOption(
      new Option('-t, --type <type>', 'exchange type')
        .choices(['direct', 'fanout', 'topic', 'headers'])
        .default(d.exchangeType),
    )
    .option('-k, --routing-key <key>', 'one routing key for every binding and publish (default: generated)')
    .option(
      '--bindings-per-queue <n>',
      'keys bound per queue on a direct or topic exchange',
      whole,
      d.bindingsPerQueue,
    )
    .option('-s, --size <bytes>', 'message body size (8 or more carries the send time)', whole, d.size)
    .option('-f, --persistent', 'persistent messages (delivery-mode 2), durable queues and exchange', false)
    .option(
      '-c, --confirm <n>',
      'publisher confirms with at most n unconfirmed per producer (0 = off)',
      whole,
      d.confirm,
    )
    .option('--priorities <n>', 'messages carry priorities 0..n-1 in turn', whole, d.priorities)
    .option('-r, --rate <n>', 'messages per second per producer (0 = unlimited)', positive, d.rate)
    .option('-C, --pmessages <n>', 'messages per producer, then it stops (0 = no limit)', whole, d.pmessages)
    .option('-D, --cmessages <n>', 'messages per consumer, then it stops (0 = no limit)', whole, d.cmessages)
    .option('-a, --auto-ack', 'consume with no-ack', false)
    .option('-q, --qos <n>', 'prefetch count per consumer (manual ack; 0 = unlimited)', whole, d.prefetch)
    .option('-A, --multi-ack-every <n>', 'ack every n deliveries with multiple=true', whole, d.multiAckEvery)
    .option(
      '-z, --time <seconds>',
      `measured seconds (default ${d.time}, or until -C/-D are reached)`,
      positive,
    )
    .option('--warmup <seconds>', 'seconds of traffic before measuring', positive, d.warmup)
    .option('--workers <n>', 'worker threads for the clients (default: one per core)', whole, d.workers)
    .option(
      '--idle-connections <n>',
      'only open n connections with a channel each and hold them for --time',
      whole,
      0,
    )
    .option('--heartbeat <seconds>', 'heartbeat asked for in tune-ok (0 = off)', whole, d.heartbeat)
    .option('--keep', 'leave queues and exchange in place at the end', false)
    .option('--quiet', 'no per-second lines', false)
    .option('--json <file>', "write the summary as JSON to file ('-' = stdout)")
    .allowExcessArguments(false);
}

export function optionsFrom(f: Flags): PerfOptions {
  return {
    uri: f.uri,
    producers: f.producers,
    consumers: f.consumers,
    queue: f.queue,
    queues: f.queues,
    queuePrefix: f.queuePrefix ?? `perf-${randomBytes(3).toString('hex')}`,
    queueArguments: f.queueArg,
    exchange: f.exchange,
    exchangeType: f.type,
    routingKey: f.routingKey,
    bindingsPerQueue: f.bindingsPerQueue,
    size: f.size,
    persistent: f.persistent,
    confirm: f.confirm,
    priorities: f.priorities,
    rate: f.rate,
    pmessages: f.pmessages,
    cmessages: f.cmessages,
    autoAck: f.autoAck,
    prefetch: f.qos,
    multiAckEvery: f.multiAckEvery,
    // Without -z: 10 s, unless message counts say when to stop.
    time: f.time ?? (f.pmessages > 0 || f.cmessages > 0 ? 0 : PERF_DEFAULTS.time),
    warmup: f.warmup,
    workers: f.workers,
    idleConnections: f.idleConnections,
    heartbeat: f.heartbeat,
    keep: f.keep,
    progress: !f.quiet,
  };
}

/** Parses `argv` (the arguments after `perf`), runs, prints; resolves to the exit code. */
export async function perfMain(
  argv: string[],
  io: { out: (line: string) => void; err: (line: string) => void },
): Promise<number> {
  const { out, err } = io;
  const program = command().exitOverride();
  program.configureOutput({ writeOut: (s) => out(s.trimEnd()), writeErr: (s) => err(s.trimEnd()) });
  try {
    program.parse(argv, { from: 'user' });
  } catch (e) {
    const code = (e as { exitCode?: number }).exitCode;
    return typeof code === 'number' ? code : 2;
  }
  const flags = program.opts<Flags>();
  const options = optionsFrom(flags);
  const toStdout = flags.json === '-';
  // With --json -, stdout carries the JSON only.
  const print = toStdout ? () => {} : out;
  try {
    const summary = await runPerf(options, print);
    const json = JSON.stringify(summary, null, 2);
    if (toStdout) out(json);
    else if (flags.json !== undefined) writeFileSync(flags.json, json + '\n');
    return summary.counts.nacked > 0 ? 1 : 0;
  } catch (e) {
    err(`warren perf: ${e instanceof Error ? e.message : String(e)}`);
    return 1;
  }
}
