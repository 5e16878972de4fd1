/**
 * A pika application's retry-with-backoff built from dead-lettering (test/interop/retry_backoff.py):
 * a worker rejects, the work queue dead-letters into per-attempt retry queues whose TTLs grow, their
 * expiry dead-letters the message back to the work queue, and the third failure parks it. The script
 * prints one JSON line per delivery; this test checks the attempts, the waits between them and the
 * x-death history pika decodes at every step.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import amqp from 'amqplib';
import { startBroker, uniqueName, type TestBroker } from '../helpers/broker.js';

const PYTHON = '/usr/bin/python3';
const RUN_MS = 30_000;
const RETRY_TTLS_MS = [150, 400];

function findInteropDir(): string {
  // Compiled, this file lives in dist/test/interop; the .py files stay in test/interop.
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = join(dir, 'test', 'interop');
    if (existsSync(join(candidate, 'retry_backoff.py'))) return candidate;
    const parent = dirname(dir);
    if (parent === dir)
      throw new Error(`test/interop/retry_backoff.py not found above ${fileURLToPath(import.meta.url)}`);
    dir = parent;
  }
}

const SCRIPT = join(findInteropDir(), 'retry_backoff.py');

function pythonProblem(): string | undefined {
  const probe = spawnSync(PYTHON, ['-c', 'import pika'], { encoding: 'utf8', timeout: 30_000 });
  if (probe.error) return `${PYTHON} cannot be run (${probe.error.message}); install python3-pika`;
  if (probe.status !== 0) return `${PYTHON} cannot import pika; install Debian's python3-pika`;
  return undefined;
}

const skipReason = pythonProblem();
let broker: TestBroker | undefined;
const prefix = uniqueName('retry-demo');

before(async () => {
  if (skipReason === undefined) broker = await startBroker();
});

after(async () => {
  if (broker) {
    // The script deletes its topology; this is for a run that died half-way.
    const conn = await amqp.connect(broker.url);
    conn.on('error', () => {});
    const ch = await conn.createChannel();
    ch.on('error', () => {});
    for (const q of ['work', 'retry-1', 'retry-2', 'parking']) await ch.deleteQueue(`${prefix}.${q}`);
    for (const x of ['work-x', 'retry-x']) await ch.deleteExchange(`${prefix}.${x}`);
    await conn.close();
    await broker.close();
  }
});

interface Death {
  count: number;
  reason: string;
  queue: string;
  exchange: string;
  'routing-keys': string[];
  time: number;
  'original-expiration'?: string;
}

interface Event {
  event: string;
  [key: string]: unknown;
}

async function runScript(b: TestBroker): Promise<{ code: number | null; events: Event[]; output: string }> {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    AMQP_HOST: b.host,
    AMQP_PORT: String(b.port),
    PYTHONUNBUFFERED: '1',
  };
  delete env['PYTHONHOME'];
  delete env['PYTHONPATH'];
  const child = spawn(PYTHON, ['-u', SCRIPT, prefix], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (s: string) => (stdout += s));
  child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
  const code = await new Promise<number | null>((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), RUN_MS);
    child.on('close', (c) => {
      clearTimeout(timer);
      resolve(c);
    });
  });
  const output = `--- stdout ---\n${stdout}\n--- stderr ---\n${stderr}`;
  const events = stdout
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Event);
  return { code, events, output };
}

/** [queue suffix, reason, count] per x-death entry, in header order. */
function summary(deaths: unknown): Array<[string, string, number]> {
  assert.ok(Array.isArray(deaths));
  return (deaths as Death[]).map((d) => [d.queue.slice(prefix.length + 1), d.reason, d.count]);
}

/** The summary in a fixed order, for brokers that order x-death differently (RabbitMQ 3.10). */
function sorted(entries: Array<[string, string, number]>): Array<[string, string, number]> {
  return [...entries].sort((a, b) => a[0].localeCompare(b[0]));
}

test(
  'retry with growing backoff through dead-lettering: three attempts, then parked',
  { timeout: 60_000 },
  async (t) => {
    if (skipReason !== undefined || !broker) {
      t.skip(skipReason ?? 'no broker');
      return;
    }
    const { code, events, output } = await runScript(broker);
    assert.equal(code, 0, `retry_backoff.py failed\n${output}`);
    const attempts = events.filter((e) => e.event === 'attempt');
    const parked = events.find((e) => e.event === 'parked');
    assert.equal(attempts.length, 3, output);
    assert.ok(parked, output);
    assert.deepEqual(events.at(-1), { event: 'done' });

    const workX = `${prefix}.work-x`;
    const retryX = `${prefix}.retry-x`;
    assert.deepEqual(
      attempts.map((a) => [a['attempt'], a['routing_key'], a['exchange'], a['redelivered'], a['expiration']]),
      [
        [1, 'try-1', workX, false, '60000'],
        [2, 'try-2', workX, false, null],
        [3, 'try-3', workX, false, null],
      ],
    );
    // The wait before each retry is at least that retry queue's TTL, so it grows per attempt.
    RETRY_TTLS_MS.forEach((ttl, i) => {
      const waited = attempts[i + 1]?.['since_previous_ms'];
      assert.ok(
        typeof waited === 'number' && waited >= ttl - 10,
        `attempt ${i + 2} came after ${String(waited)} ms`,
      );
    });

    // x-death as the worker saw it. RabbitMQ 3.13 orders entries by recency (an updated entry moves to
    // the front); 3.10 reverses the untouched ones on every update, so only the entries are compared there.
    const expectations: Array<[unknown, Array<[string, string, number]>]> = [
      [attempts[0]?.['deaths'], []],
      [
        attempts[1]?.['deaths'],
        [
          ['retry-1', 'expired', 1],
          ['work', 'rejected', 1],
        ],
      ],
      [
        attempts[2]?.['deaths'],
        [
          ['retry-2', 'expired', 1],
          ['work', 'rejected', 2],
          ['retry-1', 'expired', 1],
        ],
      ],
      [
        parked['deaths'],
        [
          ['work', 'rejected', 3],
          ['retry-2', 'expired', 1],
          ['retry-1', 'expired', 1],
        ],
      ],
    ];
    for (const [deaths, expected] of expectations) {
      if (broker.external) assert.deepEqual(sorted(summary(deaths)), sorted(expected));
      else assert.deepEqual(summary(deaths), expected);
    }

    assert.deepEqual(
      [
        parked['body'],
        parked['routing_key'],
        parked['exchange'],
        parked['message_id'],
        parked['app'],
        parked['expiration'],
      ],
      ['job-1', 'try-3', retryX, 'job-1', 'retry-demo', null],
    );
    assert.deepEqual(parked['first_death'], [`${prefix}.work`, 'rejected', workX]);
    const byQueue = new Map((parked['deaths'] as Death[]).map((d) => [d.queue.slice(prefix.length + 1), d]));
    const { time: workTime, ...work } = byQueue.get('work') ?? assert.fail('no work entry');
    // The merged entry keeps what its first death recorded: exchange, routing keys, the per-message
    // expiration the original publish carried, and the time.
    assert.deepEqual(work, {
      count: 3,
      reason: 'rejected',
      queue: `${prefix}.work`,
      exchange: workX,
      'routing-keys': ['try-1'],
      'original-expiration': '60000',
    });
    const { time: _t1, ...retry1 } = byQueue.get('retry-1') ?? assert.fail('no retry-1 entry');
    assert.deepEqual(retry1, {
      count: 1,
      reason: 'expired',
      queue: `${prefix}.retry-1`,
      exchange: retryX,
      'routing-keys': ['try-1'],
    });
    const { time: _t2, ...retry2 } = byQueue.get('retry-2') ?? assert.fail('no retry-2 entry');
    assert.deepEqual(retry2, {
      count: 1,
      reason: 'expired',
      queue: `${prefix}.retry-2`,
      exchange: retryX,
      'routing-keys': ['try-2'],
    });
    const now = Math.floor(Date.now() / 1000);
    assert.ok(workTime <= now && workTime > now - 60, `x-death time ${workTime}`);
  },
);
