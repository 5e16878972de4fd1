/**
 * Starting and stopping Warren as a child process for the benchmark, and finding a free port.
 * Every Warren gets a fresh temporary data directory, deleted when it stops: a benchmark must not
 * recover (or trip over the lock of) another run's store, and the default ./data would land in
 * whatever directory the benchmark was started from.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, createServer } from 'node:net';
import { fileURLToPath } from 'node:url';

/** dist/bench/broker.js -> dist/src/cli/warren.js; WARREN_CLI in the environment overrides it (another build). */
export const WARREN_CLI =
  process.env['WARREN_CLI'] ?? fileURLToPath(new URL('../src/cli/warren.js', import.meta.url));

export async function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, host, () => {
      const addr = server.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Resolves true once a TCP connection to host:port succeeds (the connection is closed right away). */
function canConnect(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = connect({ host, port });
    sock.once('connect', () => {
      sock.destroy();
      resolve(true);
    });
    sock.once('error', () => resolve(false));
  });
}

export interface WarrenChild {
  url: string;
  pid: number;
  port: number;
  /** the --data-dir (deleted by stop() when startWarren made it) */
  dataDir: string;
  /** milliseconds from spawning the process until a TCP connection to its port succeeded */
  startedMs: number;
  /** stops Warren (SIGTERM, SIGKILL after 10 s) and deletes its data directory */
  stop(): Promise<void>;
}

/**
 * Warrens not yet stopped. If the runner exits without stopping them (an error, Ctrl-C: bench/run.ts
 * turns SIGINT into process.exit), they are killed and their directories deleted on the way out,
 * so an interrupted backlog run does not leave a gigabyte behind in /tmp.
 */
const live = new Set<{ child: ChildProcess; dataDir: string | undefined }>();
process.once('exit', () => {
  for (const w of live) {
    w.child.kill('SIGKILL');
    if (w.dataDir === undefined) continue;
    try {
      rmSync(w.dataDir, { recursive: true, force: true });
    } catch {
      // best effort: the killed process may still have been writing into it
    }
  }
});

/** Keeps the last bytes of the child's output, to show when it fails to start or dies. */
function tail(child: ChildProcess, limit = 8192): () => string {
  let text = '';
  const add = (chunk: Buffer): void => {
    text = (text + chunk.toString('utf8')).slice(-limit);
  };
  child.stdout?.on('data', add);
  child.stderr?.on('data', add);
  return () => text;
}

export interface StartOptions {
  host?: string;
  timeoutMs?: number;
  /** use this data directory (kept on stop) instead of a fresh temporary one (deleted on stop) */
  dataDir?: string;
  /** node flags for the broker process, e.g. --cpu-prof */
  execArgv?: string[];
  /** how often to try connecting while it starts (ms); small to time startup precisely */
  pollMs?: number;
  /** environment on top of the defaults below (e.g. WARREN_MGMT_PORT: 'none') */
  env?: Record<string, string>;
}

export async function startWarren(options: StartOptions = {}): Promise<WarrenChild> {
  const host = options.host ?? '127.0.0.1';
  const timeoutMs = options.timeoutMs ?? 20000;
  if (!existsSync(WARREN_CLI))
    throw new Error(`${WARREN_CLI} does not exist: build Warren first (npm run build)`);
  const port = await freePort(host);
  // Same file system as /tmp/reference-rabbitmq on the reference machine, so fsync costs compare.
  const ownDir = options.dataDir === undefined;
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'warren-bench-'));
  const removeDataDir = (): void => {
    if (ownDir) rmSync(dataDir, { recursive: true, force: true });
  };
  const spawnedAt = process.hrtime.bigint();
  const child = spawn(
    process.execPath,
    [...(options.execArgv ?? []), WARREN_CLI, '--port', String(port), '--host', host, '--data-dir', dataDir],
    // Free HTTP ports (an environment variable, which an older WARREN_CLI build simply ignores).
    {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, WARREN_MGMT_PORT: '0', WARREN_PROMETHEUS_PORT: '0', ...options.env },
    },
  );
  const entry = { child, dataDir: ownDir ? dataDir : undefined };
  live.add(entry);
  const output = tail(child);
  let exited: string | undefined;
  const exitPromise = new Promise<void>((resolve) => {
    child.once('exit', (code, signal) => {
      exited = signal ? `signal ${signal}` : `code ${code}`;
      resolve();
    });
  });
  child.once('error', (err) => {
    exited = err.message;
  });

  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (exited !== undefined) {
      live.delete(entry);
      removeDataDir();
      throw new Error(`warren exited during startup (${exited}):\n${output()}`);
    }
    if (await canConnect(host, port)) break;
    await new Promise((r) => setTimeout(r, options.pollMs ?? 50));
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      await exitPromise;
      live.delete(entry);
      removeDataDir();
      throw new Error(
        `warren did not accept connections on ${host}:${port} within ${timeoutMs} ms:\n${output()}`,
      );
    }
  }
  const startedMs = Number(process.hrtime.bigint() - spawnedAt) / 1e6;
  if (child.pid === undefined) throw new Error('warren has no pid');

  return {
    url: `amqp://guest:guest@${host}:${port}`,
    pid: child.pid,
    port,
    dataDir,
    startedMs,
    async stop() {
      if (exited === undefined) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => {
          process.stderr.write(`warren did not exit 10 s after SIGTERM; killing it\n${output()}\n`);
          child.kill('SIGKILL');
        }, 10000);
        await exitPromise;
        clearTimeout(timer);
      }
      // Only after exit: Warren may still be writing (and holds the directory's lock) until then.
      live.delete(entry);
      removeDataDir();
    },
  };
}
