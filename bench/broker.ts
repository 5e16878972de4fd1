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
  /** the temporary --data-dir (deleted by stop()) */
  dataDir: string;
  /** stops Warren (SIGTERM, SIGKILL after 10 s) and deletes its data directory */
  stop(): Promise<void>;
}

/**
 * Warrens not yet stopped. If the runner exits without stopping them (an error, Ctrl-C: bench/run.ts
 * turns SIGINT into process.exit), they are killed and their directories deleted on the way out,
 * so an interrupted backlog run does not leave a gigabyte behind in /tmp.
 */
const live = new Set<{ child: ChildProcess; dataDir: string }>();
process.once('exit', () => {
  for (const w of live) {
    w.child.kill('SIGKILL');
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

export async function startWarren(options: { host?: string; timeoutMs?: number } = {}): Promise<WarrenChild> {
  const host = options.host ?? '127.0.0.1';
  const timeoutMs = options.timeoutMs ?? 20000;
  if (!existsSync(WARREN_CLI))
    throw new Error(`${WARREN_CLI} does not exist: build Warren first (npm run build)`);
  const port = await freePort(host);
  // Same file system as /tmp/reference-rabbitmq on the reference machine, so fsync costs compare.
  const dataDir = mkdtempSync(join(tmpdir(), 'warren-bench-'));
  const removeDataDir = (): void => rmSync(dataDir, { recursive: true, force: true });
  const child = spawn(
    process.execPath,
    [WARREN_CLI, '--port', String(port), '--host', host, '--data-dir', dataDir],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const entry = { child, dataDir };
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
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      await exitPromise;
      live.delete(entry);
      removeDataDir();
      throw new Error(
        `warren did not accept connections on ${host}:${port} within ${timeoutMs} ms:\n${output()}`,
      );
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  if (child.pid === undefined) throw new Error('warren has no pid');

  return {
    url: `amqp://guest:guest@${host}:${port}`,
    pid: child.pid,
    port,
    dataDir,
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
