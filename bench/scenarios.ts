/**
 * The benchmark matrix (GitHub issue 7): eleven scenarios, every one run with `warren perf` against
 * both brokers, plus two extras kept from the first benchmark (ttl-dlx, priority). Each scenario
 * yields one or more table rows; each row knows its unit, which direction is better and its target.
 */

export type TargetName = 'rabbitmq' | 'warren';

/** what a row's ratio is held against */
export type Goal =
  | { kind: 'ratio'; want: number; floor: number }
  | { kind: 'beats' }
  | { kind: 'below'; limit: number }
  | { kind: 'none' };

export interface RowDef {
  key: string;
  label: string;
  unit: string;
  /** true: more is better (rates); false: less is better (latency, memory, time) */
  higherIsBetter: boolean;
  goal: Goal;
}

export interface RunSettings {
  seconds: number;
  warmup: number;
  backlogCount: number;
  connections: number;
  startupCount: number;
}

export type Kind = 'perf' | 'connections' | 'backlog' | 'startup';

export interface ScenarioDef {
  id: string;
  name: string;
  title: string;
  kind: Kind;
  /** `warren perf` arguments (kind 'perf'), without --uri, --time and --warmup */
  perfArgs?: string[];
  rows: RowDef[];
  /** not one of the eleven: run only when asked for by name */
  extra?: boolean;
}

const TWICE: Goal = { kind: 'ratio', want: 2, floor: 1.5 };
const rate = (key: string, label: string, goal: Goal = TWICE): RowDef => ({
  key,
  label,
  unit: 'msg/s',
  higherIsBetter: true,
  goal,
});
const MANUAL = ['-q', '100', '-A', '50'];

export const SCENARIOS: ScenarioDef[] = [
  {
    id: '1',
    name: 'autoack',
    title: '1 producer, 1 consumer, 1 queue, 16 B transient, auto-ack',
    kind: 'perf',
    perfArgs: ['-x', '1', '-y', '1', '-s', '16', '-a'],
    rows: [rate('1', '1 queue, auto-ack')],
  },
  {
    id: '2',
    name: 'ack',
    title: 'as 1 with manual acks (multiple every 50), prefetch 100',
    kind: 'perf',
    perfArgs: ['-x', '1', '-y', '1', '-s', '16', ...MANUAL],
    rows: [rate('2', '1 queue, manual ack, prefetch 100')],
  },
  {
    id: '3',
    name: 'persistent',
    title: 'persistent 16 B and 1 KiB, durable queue, confirms (window 256), manual acks',
    kind: 'perf',
    perfArgs: ['-x', '1', '-y', '1', '-f', '-c', '256', ...MANUAL],
    rows: [rate('3a', 'persistent 16 B, confirms'), rate('3b', 'persistent 1 KiB, confirms')],
  },
  {
    id: '4',
    name: 'fanout',
    title: 'fanout exchange to 10 queues, 10 consumers (auto-ack), 1 producer; rate = deliveries',
    kind: 'perf',
    perfArgs: [
      '-e',
      'perf-fanout',
      '-t',
      'fanout',
      '--queues',
      '10',
      '-y',
      '10',
      '-x',
      '1',
      '-s',
      '16',
      '-a',
    ],
    rows: [rate('4', 'fanout to 10 queues (deliveries)')],
  },
  {
    id: '5',
    name: 'topic',
    title: 'topic exchange, 10,000 bindings over 100 queues, 2 producers spreading keys, 100 consumers',
    kind: 'perf',
    perfArgs: [
      ...['-e', 'perf-topic', '-t', 'topic', '--queues', '100', '--bindings-per-queue', '100'],
      ...['-y', '100', '-x', '2', '-s', '16', '-a'],
    ],
    rows: [rate('5', 'topic, 10,000 bindings')],
  },
  {
    id: '6',
    name: 'queues',
    title: '1,000 queues with one consumer each (auto-ack), 10 producers',
    kind: 'perf',
    perfArgs: ['--queues', '1000', '-y', '1000', '-x', '10', '-s', '16', '-a'],
    rows: [rate('6', '1,000 queues, 10 producers')],
  },
  {
    id: '7',
    name: 'large',
    title: '1 MiB bodies, 1 producer (confirms, window 10), 1 consumer (auto-ack)',
    kind: 'perf',
    perfArgs: ['-x', '1', '-y', '1', '-s', String(1024 * 1024), '-c', '10', '-a'],
    rows: [rate('7', '1 MiB messages')],
  },
  {
    id: '8',
    name: 'latency',
    title: '1,000 msg/s steady, 16 B, auto-ack: end-to-end latency',
    kind: 'perf',
    perfArgs: ['-x', '1', '-y', '1', '-s', '16', '-r', '1000', '-a'],
    rows: [
      {
        key: '8',
        label: 'latency p99 at 1,000 msg/s',
        unit: 'ms',
        higherIsBetter: false,
        goal: { kind: 'beats' },
      },
      {
        key: '8-p50',
        label: 'latency p50 at 1,000 msg/s',
        unit: 'ms',
        higherIsBetter: false,
        goal: { kind: 'none' },
      },
    ],
  },
  {
    id: '9',
    name: 'connections',
    title: 'idle connections with a channel each: broker RSS per connection, time to open them',
    kind: 'connections',
    rows: [
      {
        key: '9',
        label: 'RSS per idle connection',
        unit: 'KB',
        higherIsBetter: false,
        goal: { kind: 'beats' },
      },
      { key: '9-open', label: 'time to open them', unit: 's', higherIsBetter: false, goal: { kind: 'none' } },
    ],
  },
  {
    id: '10',
    name: 'backlog',
    title: 'publish persistent 1 KiB (confirms 256) to a durable queue nobody consumes, then drain it',
    kind: 'backlog',
    rows: [
      rate('10-pub', 'backlog: publish', { kind: 'none' }),
      rate('10-drain', 'backlog: drain', { kind: 'none' }),
    ],
  },
  {
    id: '11',
    name: 'startup',
    title: 'process start to an accepted AMQP connection; idle RSS',
    kind: 'startup',
    rows: [
      {
        key: '11',
        label: 'startup, empty',
        unit: 'ms',
        higherIsBetter: false,
        goal: { kind: 'below', limit: 300 },
      },
      {
        key: '11-full',
        label: 'startup, durable messages',
        unit: 'ms',
        higherIsBetter: false,
        goal: { kind: 'none' },
      },
      {
        key: '11-rss',
        label: 'idle RSS',
        unit: 'MB',
        higherIsBetter: false,
        goal: { kind: 'below', limit: 60 },
      },
    ],
  },
  {
    id: 'x1',
    name: 'ttl-dlx',
    title: 'as 2, into a queue with x-message-ttl 60 s and a dead-letter exchange',
    kind: 'perf',
    perfArgs: [
      ...['-x', '1', '-y', '1', '-s', '16', ...MANUAL],
      ...['--queue-arg', 'x-message-ttl=60000', '--queue-arg', 'x-dead-letter-exchange=amq.fanout'],
    ],
    rows: [rate('x1', 'extra: TTL + DLX queue', { kind: 'none' })],
    extra: true,
  },
  {
    id: 'x2',
    name: 'priority',
    title: 'as 2, into a queue with x-max-priority 10, priorities 0-9 in turn',
    kind: 'perf',
    perfArgs: [
      '-x',
      '1',
      '-y',
      '1',
      '-s',
      '16',
      ...MANUAL,
      '--queue-arg',
      'x-max-priority=10',
      '--priorities',
      '10',
    ],
    rows: [rate('x2', 'extra: priority queue', { kind: 'none' })],
    extra: true,
  },
];

/** The variants of a perf scenario: scenario 3 runs twice (16 B and 1 KiB), one row each. */
export function perfVariants(s: ScenarioDef): { row: RowDef; args: string[] }[] {
  const args = s.perfArgs ?? [];
  if (s.id === '3') return s.rows.map((row, i) => ({ row, args: [...args, '-s', i === 0 ? '16' : '1024'] }));
  return [{ row: s.rows[0] as RowDef, args }];
}

/** Picks scenarios by id or name ("1,2,backlog"); "all" means the eleven; extras only by name. */
export function selectScenarios(spec: string | undefined): ScenarioDef[] {
  if (spec === undefined || spec === 'all') return SCENARIOS.filter((s) => !s.extra);
  if (spec === 'everything') return SCENARIOS;
  const wanted = spec.split(',').map((w) => w.trim());
  for (const w of wanted)
    if (!SCENARIOS.some((s) => s.id === w || s.name === w))
      throw new Error(
        `unknown scenario ${w}; known: ${SCENARIOS.map((s) => `${s.id} (${s.name})`).join(', ')}`,
      );
  return SCENARIOS.filter((s) => wanted.includes(s.id) || wanted.includes(s.name));
}
