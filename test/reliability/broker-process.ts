/**
 * Starting broker-main.ts as a child process and watching it from outside: its port, its resident
 * memory (from /proc), kill -9, SIGTERM. Used wherever the broker's own memory is measured or the
 * process must die, so the measuring side never shares a heap with it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { WarrenOptions } from '../../src/index.js';

const MAIN = fileURLToPath(new URL('./broker-main.js', import.meta.url));

export interface BrokerProcess {
  readonly child: ChildProcess;
  readonly pid: number;
  readonly port: number;
  readonly url: string;
  /** resolves with the exit code (null when killed by a signal) once the process is gone */
  readonly exited: Promise<number | null>;
  /** the last 64 KiB the broker wrote to stdout and stderr (its log lines, any crash) */
  output(): string;
  /** resident set size in bytes, 0 once the process is gone */
  rss(): number;
  /** kill -9, resolves when it is gone */
  kill9(): Promise<void>;
  /** the broker's active handles and timers by type (process.getActiveResourcesInfo) */
  resources(): Promise<Record<string, number>>;
  /** open file descriptors of the broker process */
  fds(): number;
  /** SIGTERM (320 to every client, then exit), resolves with the exit code */
  terminate(): Promise<number | null>;
}

export interface SpawnOptions {
  options?: Partial<WarrenOptions>;
  /** extra flags for node itself, e.g. --max-old-space-size */
  nodeArgs?: string[];
  /** environment additions */
  env?: Record<string, string>;
  /** how long start-up (recovery included) may take */
  startMs?: number;
}

/** VmRSS of `pid` in bytes, 0 when the process is gone. */
export function readRss(pid: number): number {
  try {
    const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m?.[1] === undefined ? 0 : Number(m[1]) * 1024;
  } catch {
    return 0;
  }
}

export async function spawnBroker(spec: SpawnOptions = {}): Promise<BrokerProcess> {
  const env: NodeJS.ProcessEnv = { ...process.env, ...spec.env };
  // Not a test file: it must run, not skip itself (main-guard.ts).
  delete env['NODE_TEST_CONTEXT'];
  env['WARREN_CHILD_OPTIONS'] = JSON.stringify(spec.options ?? {});
  const child = spawn(process.execPath, [...(spec.nodeArgs ?? []), MAIN], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let err = '';
  const keep = (d: string): void => {
    // The tail only: a long soak must not grow the test's memory with the broker's log.
    err = (err + d).slice(-64 * 1024);
  };
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', keep);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const port = await new Promise<number>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(
      () => reject(new Error(`broker did not start within ${spec.startMs ?? 30_000} ms: ${err}`)),
      spec.startMs ?? 30_000,
    );
    child.stdout?.setEncoding('utf8');
    let ready = false;
    child.stdout?.on('data', (d: string) => {
      keep(d);
      if (ready) return;
      out += d;
      const m = /READY (\d+)/.exec(out);
      if (m) {
        ready = true;
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`broker exited with ${code} before it was ready: ${err}`));
    });
  });
  const pid = child.pid as number;
  return {
    child,
    pid,
    port,
    url: `amqp://guest:guest@127.0.0.1:${port}`,
    exited,
    output: () => err,
    rss: () => readRss(pid),
    fds: () => readdirSync(`/proc/${pid}/fd`).length,
    async resources() {
      const before = err.lastIndexOf('RESOURCES ');
      child.kill('SIGUSR2');
      for (let i = 0; i < 200; i++) {
        const at = err.lastIndexOf('RESOURCES ');
        const end = err.indexOf('\n', at);
        if (at > before && end > at) return JSON.parse(err.slice(at + 10, end)) as Record<string, number>;
        await new Promise((r) => setTimeout(r, 10));
      }
      throw new Error('the broker did not report its resources');
    },
    async kill9() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
    async terminate() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      return exited;
    },
  };
}

/**
 * Starts a broker and kill -9s it `ms` later, ready or not: a crash during recovery or start-up.
 * Resolves once it is gone.
 */
export async function spawnAndKill(spec: SpawnOptions, ms: number): Promise<void> {
  const env: NodeJS.ProcessEnv = { ...process.env, ...spec.env };
  delete env['NODE_TEST_CONTEXT'];
  env['WARREN_CHILD_OPTIONS'] = JSON.stringify(spec.options ?? {});
  const child = spawn(process.execPath, [...(spec.nodeArgs ?? []), MAIN], { env, stdio: 'ignore' });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  await new Promise((r) => setTimeout(r, ms));
  child.kill('SIGKILL');
  await exited;
}
