/**
 * pika against direct reply-to: test/interop/rpc_direct_reply_to.py runs as an RPC server and as
 * clients in separate processes (as the RabbitMQ RPC tutorial runs them), and the outcome is read from
 * what they print. With WARREN_TEST_URL the same runs go against another broker (the reference
 * RabbitMQ). Needs Debian's /usr/bin/python3 with python3-pika; skips otherwise.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { startBroker, uniqueName, type TestBroker } from '../helpers/broker.js';

const PYTHON = '/usr/bin/python3';
const STEP_MS = 15_000;

function findScript(): string {
  // Compiled, this file lives in dist/test/interop; the .py file stays in test/interop.
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = join(dir, 'test', 'interop', 'rpc_direct_reply_to.py');
    if (existsSync(candidate)) return candidate;
    const parent = dirname(dir);
    if (parent === dir) throw new Error('test/interop/rpc_direct_reply_to.py not found');
    dir = parent;
  }
}

const SCRIPT = findScript();

function pythonProblem(): string | undefined {
  const probe = spawnSync(PYTHON, ['-c', 'import pika'], { encoding: 'utf8', timeout: 30_000 });
  if (probe.error) return `${PYTHON} cannot be run (${probe.error.message}); install python3-pika`;
  if (probe.status !== 0) return `${PYTHON} cannot import pika; install Debian's python3-pika`;
  return undefined;
}

const skipReason = pythonProblem();
let broker: TestBroker | undefined;
const live = new Set<ChildProcess>();

/** One run of the script, with what it printed. */
class Run {
  stdout = '';
  stderr = '';
  code: number | null = null;
  readonly exited: Promise<void>;
  private readonly child: ChildProcess;

  constructor(args: string[]) {
    assert.ok(broker, 'broker not started');
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      AMQP_HOST: broker.host,
      AMQP_PORT: String(broker.port),
      PYTHONUNBUFFERED: '1',
    };
    delete env['PYTHONHOME'];
    delete env['PYTHONPATH'];
    this.child = spawn(PYTHON, ['-u', SCRIPT, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    live.add(this.child);
    this.child.stdout?.setEncoding('utf8').on('data', (s: string) => (this.stdout += s));
    this.child.stderr?.setEncoding('utf8').on('data', (s: string) => (this.stderr += s));
    this.exited = new Promise((resolve) =>
      this.child.on('close', (code) => {
        this.code = code;
        live.delete(this.child);
        resolve();
      }),
    );
  }

  describe(): string {
    return `exit ${this.code}\n--- stdout ---\n${this.stdout}\n--- stderr ---\n${this.stderr}`;
  }

  async waitFor(text: string): Promise<void> {
    const deadline = Date.now() + STEP_MS;
    while (!this.stdout.includes(text)) {
      if (this.code !== null || Date.now() > deadline)
        assert.fail(`no '${text}' printed\n${this.describe()}`);
      await delay(20);
    }
  }

  /** Waits for the program to end by itself and returns its output; it must exit 0. */
  async finished(): Promise<string> {
    const ended = await Promise.race([this.exited.then(() => true), delay(STEP_MS, false, { ref: false })]);
    if (!ended) this.child.kill('SIGKILL');
    assert.equal(this.code, 0, this.describe());
    return this.stdout;
  }
}

before(async () => {
  if (skipReason === undefined) broker = await startBroker();
});

after(async () => {
  for (const child of live) child.kill('SIGKILL');
  await broker?.close();
});

test(
  'pika RPC over direct reply-to: requests carry a reply address, answers come back',
  { timeout: 60_000 },
  async (t) => {
    if (skipReason !== undefined) return t.skip(skipReason);
    const queue = uniqueName('rpc-direct');
    const server = new Run(['server', queue]);
    await server.waitFor(' [x] Awaiting RPC requests\n');

    const first = await new Run(['client', queue, '1', '10', '30']).finished();
    assert.equal(first, ' [.] Got fib(1) = 1\n [.] Got fib(10) = 55\n [.] Got fib(30) = 832040\n');
    // Two clients at once: each gets its own answers (a stray one would make a client fail).
    const [a, b] = await Promise.all([
      new Run(['client', queue, '5', '6', '7']).finished(),
      new Run(['client', queue, '20', '21']).finished(),
    ]);
    assert.equal(a, ' [.] Got fib(5) = 5\n [.] Got fib(6) = 8\n [.] Got fib(7) = 13\n');
    assert.equal(b, ' [.] Got fib(20) = 6765\n [.] Got fib(21) = 10946\n');

    await server.waitFor(' [.] fib(21) for ');
    const served = server.stdout.split('\n').filter((l) => l.startsWith(' [.] fib('));
    assert.equal(served.length, 8);
    const addresses = new Set(served.map((l) => l.replace(/^ \[\.\] fib\(\d+\) for /, '')));
    // One address per client process: the one-shot client, then the two concurrent ones.
    assert.equal(addresses.size, 3);
    for (const address of addresses) assert.match(address, /^amq\.rabbitmq\.reply-to\.\S{16,}$/);
  },
);

test(
  'pika: a request with reply_to amq.rabbitmq.reply-to but no reply consumer gets 406',
  { timeout: 30_000 },
  async (t) => {
    if (skipReason !== undefined) return t.skip(skipReason);
    const out = await new Run(['no-consumer', uniqueName('rpc-direct')]).finished();
    assert.equal(out, 'channel closed: 406 PRECONDITION_FAILED - fast reply consumer does not exist\n');
  },
);
