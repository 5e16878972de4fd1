/**
 * Runs the compiled `warrenctl` as a child process, the way an operator does, against a broker's
 * management API: an in-process Warren (its `managementUrl`), or with WARREN_TEST_URL set the reference
 * RabbitMQ, whose management API is WARREN_TEST_MGMT_URL (default http://127.0.0.1:15682), to prove a
 * test right. RabbitMQ's API refreshes message counts every 5 s: tests poll rather than read once.
 */
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startBroker, type TestBroker } from '../helpers/broker.js';
import type { Warren, WarrenOptions } from '../../src/index.js';

const here = dirname(fileURLToPath(import.meta.url));
/** dist/src/cli/warrenctl.js, beside this file's compiled copy in dist/test/ctl */
export const WARRENCTL = join(here, '..', '..', 'src', 'cli', 'warrenctl.js');
/** test/ctl/fixtures in the source tree (tsc does not copy them into dist) */
export const FIXTURES = join(here, '..', '..', '..', 'test', 'ctl', 'fixtures');

export interface CtlResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface CtlBroker extends TestBroker {
  /** management API base URL */
  mgmtUrl: string;
  /** runs warrenctl against this broker (--url set; more global options may follow in `args`) */
  ctl(args: string[], options?: { input?: string; env?: Record<string, string> }): Promise<CtlResult>;
}

export function runCtl(
  args: string[],
  options: { input?: string; env?: Record<string, string> } = {},
): Promise<CtlResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [WARRENCTL, ...args], {
      env: { ...process.env, WARREN_URL: '', WARREN_USERNAME: '', WARREN_PASSWORD: '', ...options.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(options.input ?? '');
  });
}

export async function startCtlBroker(options: Partial<WarrenOptions> = {}): Promise<CtlBroker> {
  const broker = await startBroker(options);
  const mgmtUrl = broker.external
    ? (process.env['WARREN_TEST_MGMT_URL'] ?? 'http://127.0.0.1:15682')
    : (broker.warren as Warren).managementUrl;
  return {
    ...broker,
    mgmtUrl,
    ctl: (args, opts = {}) => runCtl(['--url', mgmtUrl, ...args], opts),
  };
}

/** The data rows of table output (after the info lines and the header), sorted: row order is not defined. */
export function rows(stdout: string, skip: number): string[] {
  return stdout.split('\n').slice(skip).filter(Boolean).sort();
}
