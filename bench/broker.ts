/**
 * Starting and stopping Warren as a child process for the benchmark, and finding a free port.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
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
  stop(): Promise<void>;
}

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
  const child = spawn(process.execPath, [WARREN_CLI, '--port', String(port), '--host', host], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
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
    if (exited !== undefined) throw new Error(`warren exited during startup (${exited}):\n${output()}`);
    if (await canConnect(host, port)) break;
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
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
    async stop() {
      if (exited !== undefined) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => {
        process.stderr.write(`warren did not exit 10 s after SIGTERM; killing it\n${output()}\n`);
        child.kill('SIGKILL');
      }, 10000);
      await exitPromise;
      clearTimeout(timer);
    },
  };
}
