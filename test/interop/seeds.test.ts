/**
 * The seed programs (test/interop/seeds/*.py, taken from the documents Warren grew from) run unchanged
 * against the broker, the way their tutorials run them: as separate processes, consumers left running
 * in the background while producers come and go, and the outcome read from what they print.
 *
 * Every program is started through test/interop/run_seed.py, which points pika / py-amqp at the broker
 * under test (the programs themselves hardcode localhost:5672). With WARREN_TEST_URL set, the same
 * tests run against another broker (the reference RabbitMQ). The seeds fix their queue and exchange
 * names, so those are deleted before each case and after the file: neither an earlier case nor an
 * earlier run on a shared broker can leave anything behind.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { after, before, test, type TestContext } from 'node:test';
import { fileURLToPath } from 'node:url';
import amqp from 'amqplib';
import { startBroker, type TestBroker } from '../helpers/broker.js';

/** Debian's interpreter, where python3-pika and python3-amqp are installed (not a pyenv `python3`). */
const PYTHON = '/usr/bin/python3';
/** Bound for a single step: a program starting up, a message arriving, a consumer registering. */
const STEP_MS = 15_000;

/** Queues and exchanges whose names the seed programs fix. */
const SEED_QUEUES = ['hello', 'task_queue', 'test', 'test_persistent', 'rpc_queue', 'po_box'];
const SEED_EXCHANGES = ['test123', 'test321', 'test333', 'sorting_room'];

function findInteropDir(): string {
  // Compiled, this file lives in dist/test/interop; the .py files stay in test/interop.
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = join(dir, 'test', 'interop');
    if (existsSync(join(candidate, 'run_seed.py'))) return candidate;
    const parent = dirname(dir);
    if (parent === dir)
      throw new Error(`test/interop/run_seed.py not found above ${fileURLToPath(import.meta.url)}`);
    dir = parent;
  }
}

const INTEROP_DIR = findInteropDir();
const RUN_SEED = join(INTEROP_DIR, 'run_seed.py');
const SEEDS_DIR = join(INTEROP_DIR, 'seeds');

/** Why the suite cannot run here, or undefined when /usr/bin/python3 can import pika. */
function pythonProblem(): string | undefined {
  const probe = spawnSync(PYTHON, ['-c', 'import pika'], { encoding: 'utf8', timeout: 30_000 });
  if (probe.error) return `${PYTHON} cannot be run (${probe.error.message}); install python3-pika`;
  if (probe.status !== 0) {
    const last = probe.stderr.trim().split('\n').pop() ?? '';
    return `${PYTHON} cannot import pika (${last}); install Debian's python3-pika`;
  }
  return undefined;
}

const skipReason = pythonProblem();

let broker: TestBroker | undefined;
let admin: amqp.ChannelModel | undefined;
const live = new Set<SeedProcess>();

function currentBroker(): TestBroker {
  assert.ok(broker, 'broker not started');
  return broker;
}

function adminConnection(): amqp.ChannelModel {
  assert.ok(admin, 'admin connection not open');
  return admin;
}

/** One seed program running as a child process, with everything it printed. */
class SeedProcess {
  stdout = '';
  stderr = '';
  exitCode: number | null = null;
  exitSignal: NodeJS.Signals | null = null;
  running = true;
  readonly exited: Promise<void>;
  private readonly child: ChildProcess;
  private readonly listeners = new Set<() => void>();

  constructor(
    readonly script: string,
    readonly args: readonly string[],
  ) {
    const b = currentBroker();
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      AMQP_HOST: b.host,
      AMQP_PORT: String(b.port),
      PYTHONUNBUFFERED: '1',
      PYTHONIOENCODING: 'utf-8',
    };
    // A pyenv environment must not leak into Debian's interpreter.
    delete env['PYTHONHOME'];
    delete env['PYTHONPATH'];
    this.child = spawn(PYTHON, ['-u', RUN_SEED, join(SEEDS_DIR, script), ...args], {
      cwd: SEEDS_DIR,
      env,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    this.child.stdout?.setEncoding('utf8');
    this.child.stderr?.setEncoding('utf8');
    this.child.stdout?.on('data', (chunk: string) => {
      this.stdout += chunk;
      this.notify();
    });
    this.child.stderr?.on('data', (chunk: string) => {
      this.stderr += chunk;
    });
    // A program that exits early must not crash the test runner through EPIPE on stdin.
    this.child.stdin?.on('error', () => {});
    this.exited = new Promise((resolve) => {
      this.child.on('close', (code, signal) => {
        this.exitCode = code;
        this.exitSignal = signal;
        this.running = false;
        live.delete(this);
        this.notify();
        resolve();
      });
      this.child.on('error', (err) => {
        this.stderr += `\n[spawn error] ${err.message}`;
        this.running = false;
        live.delete(this);
        this.notify();
        resolve();
      });
    });
    live.add(this);
  }

  /** Complete lines printed so far. */
  lines(): string[] {
    const all = this.stdout.split('\n');
    all.pop();
    return all;
  }

  /** The bodies from " [x] Received <body>" lines, as printed (Python reprs such as b'0'). */
  received(): string[] {
    return this.lines().flatMap((line) => {
      const m = /^ \[x\] Received (.*)$/.exec(line);
      return m?.[1] === undefined ? [] : [m[1]];
    });
  }

  describe(): string {
    const state = this.running
      ? 'still running'
      : `exited with code ${this.exitCode} signal ${this.exitSignal}`;
    return `${this.script} ${this.args.join(' ')} (${state})\n--- stdout ---\n${this.stdout}\n--- stderr ---\n${this.stderr}`;
  }

  /** Resolves once `done(stdout)` holds; fails on timeout or when the program exits first. */
  waitFor(done: string | ((stdout: string) => boolean), what: string, timeoutMs = STEP_MS): Promise<void> {
    const check = typeof done === 'string' ? (out: string) => out.includes(done) : done;
    return new Promise((resolve, reject) => {
      const finish = (err?: Error) => {
        clearTimeout(timer);
        this.listeners.delete(listener);
        if (err) reject(err);
        else resolve();
      };
      const listener = () => {
        if (check(this.stdout)) finish();
        else if (!this.running) finish(new Error(`${this.script} exited before ${what}\n${this.describe()}`));
      };
      const timer = setTimeout(
        () => finish(new Error(`timed out after ${timeoutMs} ms waiting for ${what}\n${this.describe()}`)),
        timeoutMs,
      );
      this.listeners.add(listener);
      listener();
    });
  }

  /** Waits for `count` complete " [x] Received" lines. */
  waitForReceived(count: number, timeoutMs = STEP_MS): Promise<void> {
    return this.waitFor(() => this.received().length >= count, `${count} received message(s)`, timeoutMs);
  }

  /** Types a line on the program's standard input. */
  type(line: string): void {
    this.child.stdin?.write(`${line}\n`);
  }

  /** Ends the program (SIGTERM, then SIGKILL if it lingers) and waits until it is gone. */
  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    if (!this.running) return;
    this.child.kill(signal);
    const gone = await Promise.race([this.exited.then(() => true), delay(5_000, false)]);
    if (!gone) {
      this.child.kill('SIGKILL');
      await this.exited;
    }
  }

  private notify(): void {
    for (const listener of [...this.listeners]) listener();
  }
}

function startSeed(script: string, ...args: string[]): SeedProcess {
  return new SeedProcess(script, args);
}

/** Runs a program that is meant to finish, checks it exited 0 and returns what it printed. */
async function runSeed(script: string, ...args: string[]): Promise<string> {
  const seed = startSeed(script, ...args);
  const finished = await Promise.race([seed.exited.then(() => true), delay(STEP_MS, false)]);
  if (!finished) {
    await seed.stop('SIGKILL');
    assert.fail(`${script} did not finish within ${STEP_MS} ms\n${seed.describe()}`);
  }
  assert.equal(seed.exitCode, 0, `${script} failed\n${seed.describe()}`);
  return seed.stdout;
}

async function killAll(): Promise<void> {
  await Promise.all([...live].map((seed) => seed.stop('SIGKILL')));
}

/** Queue counts seen by a separate client, or undefined when the queue does not exist. */
async function queueState(
  queue: string,
): Promise<{ messageCount: number; consumerCount: number } | undefined> {
  const ch = await adminConnection().createChannel();
  ch.on('error', () => {});
  try {
    const ok = await ch.checkQueue(queue);
    return { messageCount: ok.messageCount, consumerCount: ok.consumerCount };
  } catch {
    return undefined;
  } finally {
    await ch.close().catch(() => {});
  }
}

async function waitUntil(
  condition: () => Promise<boolean>,
  what: string,
  timeoutMs = STEP_MS,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await condition()) return;
    if (Date.now() > deadline) assert.fail(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await delay(50);
  }
}

function waitForConsumers(queue: string, count: number): Promise<void> {
  return waitUntil(
    async () => (await queueState(queue))?.consumerCount === count,
    `${count} consumer(s) on queue '${queue}'`,
  );
}

/** Waits (polling, so no waiter is left dangling) until one of the programs printed a " [x] Received" line. */
async function firstToReceive(seeds: readonly SeedProcess[]): Promise<SeedProcess> {
  const winner = () => seeds.find((s) => s.received().length > 0);
  await waitUntil(async () => winner() !== undefined, 'a consumer to receive the message');
  const seed = winner();
  assert.ok(seed);
  return seed;
}

/** Deletes whatever the seeds' fixed names left behind (an earlier case, or an earlier run on a shared broker). */
async function resetSeedObjects(): Promise<void> {
  const ch = await adminConnection().createChannel();
  ch.on('error', () => {});
  for (const queue of SEED_QUEUES) await ch.deleteQueue(queue);
  for (const exchange of SEED_EXCHANGES) await ch.deleteExchange(exchange);
  await ch.close();
}

function seedTest(name: string, timeoutMs: number, body: (t: TestContext) => Promise<void>): void {
  test(name, { timeout: timeoutMs }, async (t) => {
    if (skipReason !== undefined) {
      t.skip(skipReason);
      return;
    }
    await resetSeedObjects();
    try {
      await body(t);
    } finally {
      await killAll();
    }
  });
}

before(async () => {
  if (skipReason !== undefined) return;
  broker = await startBroker();
  admin = await amqp.connect(broker.url);
  admin.on('error', () => {});
});

after(async () => {
  await killAll();
  if (admin) {
    // Leave a shared broker as clean as we found it.
    await resetSeedObjects().catch(() => {});
    await admin.close().catch(() => {});
  }
  await broker?.close();
});

const WAITING = ' [*] Waiting for messages. To exit press CTRL+C';

// ---------------------------------------------------------------- hello world (000, 002)

seedTest('000 hello world: send.py queues a message that receive.py then prints', 30_000, async () => {
  assert.equal(await runSeed('000_send.py'), " [x] Sent 'Hello World!'\n");

  const receive = startSeed('000_receive.py');
  await receive.waitForReceived(1);
  assert.deepEqual(receive.lines(), [WAITING, " [x] Received b'Hello World!'"]);
});

seedTest('002 hello world: receive.py is listening while send.py runs twice', 30_000, async () => {
  const receive = startSeed('002_receive.py');
  await receive.waitFor(WAITING, 'receive.py to start');
  await waitForConsumers('hello', 1);

  assert.equal(await runSeed('002_send.py'), " [x] Sent 'Hello World!'\n");
  assert.equal(await runSeed('002_send.py'), " [x] Sent 'Hello World!'\n");
  await receive.waitForReceived(2);
  assert.deepEqual(receive.lines(), [
    WAITING,
    " [x] Received b'Hello World!'",
    " [x] Received b'Hello World!'",
  ]);
});

// ---------------------------------------------------------------- work queues (000, 003)

/** Checks that a worker printed " [x] Done" after every " [x] Received" and nothing else. */
function assertWorkerTranscript(worker: SeedProcess, bodies: string[]): void {
  assert.deepEqual(worker.lines(), [WAITING, ...bodies.flatMap((b) => [` [x] Received ${b}`, ' [x] Done'])]);
}

seedTest('003 work queues: two work.py share the five tasks round-robin', 90_000, async () => {
  const workers = [startSeed('003_work.py'), startSeed('003_work.py')] as const;
  await waitForConsumers('task_queue', 2);

  const tasks = [
    'First message.',
    'Second message..',
    'Third message...',
    'Fourth message....',
    'Fifth message.....',
  ];
  for (const task of tasks) {
    assert.equal(await runSeed('003_new_task.py', ...task.split(' ')), ` [x] Sent '${task}'\n`);
  }
  // One worker sleeps 1 + 3 + 5 seconds, the other 2 + 4.
  const doneCount = () => workers.reduce((n, w) => n + w.lines().filter((l) => l === ' [x] Done').length, 0);
  await waitUntil(async () => doneCount() === 5, 'five tasks done', 40_000);

  const [w0, w1] = workers;
  const [first, second] = w0.received()[0] === "b'First message.'" ? [w0, w1] : [w1, w0];
  assertWorkerTranscript(first, ["b'First message.'", "b'Third message...'", "b'Fifth message.....'"]);
  assertWorkerTranscript(second, ["b'Second message..'", "b'Fourth message....'"]);
});

seedTest(
  '000 work queues: basic_qos(prefetch_count=1) keeps new tasks away from a busy worker',
  60_000,
  async () => {
    const workers = [startSeed('000_worker.py'), startSeed('000_worker.py')] as const;
    await waitForConsumers('task_queue', 2);

    assert.equal(await runSeed('000_new_task.py', 'Long', 'task......'), " [x] Sent 'Long task......'\n");
    const [w0, w1] = workers;
    const busy = await firstToReceive(workers);
    const idle = busy === w0 ? w1 : w0;

    // The busy worker sleeps six seconds on its task; everything sent meanwhile goes to the idle one.
    for (const n of ['1', '2', '3']) {
      assert.equal(await runSeed('000_new_task.py', 'Quick', n), ` [x] Sent 'Quick ${n}'\n`);
    }
    await idle.waitForReceived(3);
    await idle.waitFor(
      (out) => out.split(' [x] Done\n').length - 1 === 3,
      'the idle worker to finish its three tasks',
    );
    assert.deepEqual(busy.received(), ["b'Long task......'"], 'the busy worker got a second task');
    await busy.waitFor(' [x] Done\n', 'the busy worker to finish');

    assertWorkerTranscript(busy, ["b'Long task......'"]);
    assertWorkerTranscript(idle, ["b'Quick 1'", "b'Quick 2'", "b'Quick 3'"]);
  },
);

seedTest(
  '000 work queues: a task whose worker dies before basic_ack goes to the other worker',
  60_000,
  async () => {
    const workers = [startSeed('000_worker.py'), startSeed('000_worker.py')] as const;
    await waitForConsumers('task_queue', 2);

    assert.equal(await runSeed('000_new_task.py', 'Doomed', 'task.....'), " [x] Sent 'Doomed task.....'\n");
    const [w0, w1] = workers;
    const victim = await firstToReceive(workers);
    const survivor = victim === w0 ? w1 : w0;
    await victim.stop('SIGKILL');
    assert.equal(victim.lines().includes(' [x] Done'), false, 'the worker finished before it was killed');

    await survivor.waitFor(' [x] Done\n', 'the other worker to process the redelivered task');
    assertWorkerTranscript(survivor, ["b'Doomed task.....'"]);
  },
);

// ---------------------------------------------------------------- 001: simple queue, acks, persistence

seedTest('001 simple queue: Product sends, Consume prints', 30_000, async () => {
  assert.equal(await runSeed('001_producer.py'), 'send success msg to rabbitmq\n');

  const consumer = startSeed('001_consumer.py');
  await consumer.waitForReceived(1);
  assert.deepEqual(consumer.lines(), [WAITING, " [x] Received b'Hello World!'"]);
});

seedTest(
  '001 acknowledgements: unacked message returns when the consumer dies, acked one is gone',
  60_000,
  async () => {
    // The consumer sleeps five seconds before basic_ack: kill it in between.
    const doomed = startSeed('001_consumer_ack.py');
    await doomed.waitFor(WAITING, 'the ack consumer to start');
    assert.equal(await runSeed('001_producer.py'), 'send success msg to rabbitmq\n');
    await doomed.waitForReceived(1);
    await doomed.stop('SIGKILL');
    await waitForConsumers('test', 0);
    await waitUntil(
      async () => (await queueState('test'))?.messageCount === 1,
      'the unacked message back in the queue',
    );

    const rescuer = startSeed('001_consumer.py');
    await rescuer.waitForReceived(1);
    assert.deepEqual(rescuer.lines(), [WAITING, " [x] Received b'Hello World!'"]);
    await rescuer.stop();
    await waitForConsumers('test', 0);

    // This time let it ack, then stop it: nothing may come back.
    const patient = startSeed('001_consumer_ack.py');
    await patient.waitFor(WAITING, 'the ack consumer to start');
    assert.equal(await runSeed('001_producer.py'), 'send success msg to rabbitmq\n');
    await patient.waitForReceived(1);
    await delay(6_500);
    await patient.stop();
    await waitForConsumers('test', 0);
    await delay(200);
    assert.deepEqual(await queueState('test'), { messageCount: 0, consumerCount: 0 });
    assert.deepEqual(patient.lines(), [WAITING, " [x] Received b'Hello World!'"]);
  },
);

seedTest(
  '001 persistence: ten persistent messages in a durable queue, consumed in order',
  45_000,
  async () => {
    const expected = Array.from({ length: 10 }, (_, i) => `send success msg[${i}] to rabbitmq\n`).join('');
    assert.equal(await runSeed('001_persistent_producer.py'), expected);
    assert.deepEqual(await queueState('test_persistent'), { messageCount: 10, consumerCount: 0 });

    // The seed warns that declaring the queue without durable=True fails with 406 PRECONDITION_FAILED.
    const ch = await adminConnection().createChannel();
    ch.on('error', () => {});
    await assert.rejects(ch.assertQueue('test_persistent', { durable: false }), (err: unknown) => {
      assert.ok(err instanceof Error);
      assert.match(err.message, /406/);
      assert.match(err.message, /PRECONDITION_FAILED/);
      return true;
    });

    const consumer = startSeed('001_persistent_consumer.py');
    await consumer.waitForReceived(10);
    assert.deepEqual(
      consumer.received(),
      Array.from({ length: 10 }, (_, i) => `b'${i}'`),
    );
    // The seed prints before it acks: give the last ack time to arrive before the process is
    // killed, or that message is (rightly) requeued.
    await delay(300);
    await consumer.stop();
    await waitForConsumers('test_persistent', 0);
    await delay(200);
    assert.deepEqual(await queueState('test_persistent'), { messageCount: 0, consumerCount: 0 });
  },
);

// ---------------------------------------------------------------- 001: exchanges

seedTest('001 fanout: both subscribers get all ten messages', 60_000, async () => {
  const subscribers = [startSeed('001_fanout_subscriber.py'), startSeed('001_fanout_subscriber.py')];
  for (const s of subscribers) await s.waitFor(WAITING, 'the subscriber to bind and consume');

  const expected = Array.from({ length: 10 }, (_, i) => `send success msg[${i}] to rabbitmq\n`).join('');
  assert.equal(await runSeed('001_fanout_publisher.py'), expected);

  // Each subscriber sleeps a second per message.
  await Promise.all(subscribers.map((s) => s.waitForReceived(10, 30_000)));
  for (const s of subscribers) {
    assert.deepEqual(
      s.received(),
      Array.from({ length: 10 }, (_, i) => `b'${i}'`),
    );
  }
});

seedTest(
  '001 direct: subscriber 1 (error, warning, info) gets both, subscriber 2 (error, warning) only the error',
  45_000,
  async () => {
    const all = startSeed('001_direct_subscriber1.py');
    const severe = startSeed('001_direct_subscriber2.py');
    await all.waitFor(WAITING, 'subscriber 1 to bind and consume');
    await severe.waitFor(WAITING, 'subscriber 2 to bind and consume');

    assert.equal(await runSeed('001_direct_publisher.py'), 'send success msg[] to rabbitmq\n');

    await all.waitForReceived(2);
    await severe.waitForReceived(1);
    assert.deepEqual(all.received(), ["b'info msg'", "b'error msg'"]);
    // 'info msg' was published first, so had it been routed to subscriber 2 it would be there already.
    assert.deepEqual(severe.received(), ["b'error msg'"]);
  },
);

seedTest("001 topic: a 'test.#' subscriber gets test.123 and test.123.321", 45_000, async () => {
  const subscriber = startSeed('001_topic_subscriber.py');
  await subscriber.waitFor(WAITING, 'the subscriber to bind and consume');

  assert.equal(await runSeed('001_topic_publisher.py'), 'send success msg[] to rabbitmq\n');

  await subscriber.waitForReceived(2);
  assert.deepEqual(subscriber.received(), ["b'test.123 msg'", "b' test.123.321 msg'"]);
});

// ---------------------------------------------------------------- 001: RPC

seedTest(
  '001 RPC: the client gets command output back through reply_to/correlation_id, fib(30) included',
  60_000,
  async () => {
    const server = startSeed('001_rpc_server.py');
    await server.waitFor(' [x] Awaiting RPC requests', 'the RPC server to consume rpc_queue');

    const client = startSeed('001_rpc_client.py');
    await client.waitFor(' [x] Requesting server\n>> ', 'the RPC client prompt');

    // The server runs each request as a shell command and replies with str() of its output bytes.
    client.type('echo hello');
    await client.waitFor(` [.] Get "b'hello\\\\n'" \n\n>> `, 'the reply to "echo hello"');
    await server.waitFor(' [.] start Processing command : echo hello\n', 'the server to log the request');

    const fib30 = `${PYTHON} -c "f=lambda n:n if n<2 else f(n-1)+f(n-2);print(f(30))"`;
    client.type(fib30);
    await client.waitFor(` [.] Get "b'832040\\\\n'" \n\n>> `, 'fib(30) from the server');
    await server.waitFor(` [.] start Processing command : ${fib30}`, 'the server to log the second request');

    assert.equal(
      client.stdout,
      ` [x] Requesting server\n>>  [.] Get "b'hello\\\\n'" \n\n>>  [.] Get "b'832040\\\\n'" \n\n>> `,
    );
  },
);

// ---------------------------------------------------------------- 004: py-amqplib (ported to py-amqp)

seedTest(
  '004 py-amqplib: amqp_consumer.py prints what amqp_publisher.py sends; basic_get takes a parked one',
  60_000,
  async () => {
    const consumer = startSeed('004_amqp_consumer.py');
    await waitForConsumers('po_box', 1);

    assert.equal(await runSeed('004_amqp_publisher.py'), '');
    await consumer.waitFor('Received: Test message!\n', 'the consumer to print the message');
    assert.equal(consumer.stdout, 'Received: Test message!\n');
    await consumer.stop();
    await waitForConsumers('po_box', 0);

    // With nobody consuming, the persistent message waits in the durable queue for basic_get.
    assert.equal(await runSeed('004_amqp_publisher.py'), '');
    assert.deepEqual(await queueState('po_box'), { messageCount: 1, consumerCount: 0 });
    assert.equal(await runSeed('004_amqp_get.py'), 'Test message!\n');
    assert.deepEqual(await queueState('po_box'), { messageCount: 0, consumerCount: 0 });
  },
);
