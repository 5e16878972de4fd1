/**
 * `warren perf` against an in-process Warren: a short timed run and a run by message count, checking
 * the summary it writes with --json (rates, latency percentiles, counts that add up) and its lines.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { PerfSummary } from '../../src/perf/summary.js';
import { startBroker, type TestBroker } from '../helpers/broker.js';

const WARREN_CLI = fileURLToPath(new URL('../../src/cli/warren.js', import.meta.url));
const run = promisify(execFile);

let broker: TestBroker;
let dir: string;

before(async () => {
  broker = await startBroker();
  dir = mkdtempSync(join(tmpdir(), 'perf-test-'));
});

after(async () => {
  await broker.close();
  rmSync(dir, { recursive: true, force: true });
});

async function perf(name: string, args: string[]): Promise<{ summary: PerfSummary; stdout: string }> {
  const json = join(dir, `${name}.json`);
  const { stdout } = await run(
    process.execPath,
    [WARREN_CLI, 'perf', '--uri', broker.url, ...args, '--json', json],
    {
      timeout: 60_000,
    },
  );
  return { summary: JSON.parse(readFileSync(json, 'utf8')) as PerfSummary, stdout };
}

test('a timed run reports rates every second and latency percentiles at the end', async () => {
  const { summary: s, stdout } = await perf('timed', [
    '-z',
    '2',
    '-c',
    '64',
    '-q',
    '100',
    '-A',
    '10',
    '--workers',
    '2',
  ]);
  assert.match(stdout, /^ {3}1 s {2}sent +[\d,]+ msg\/s {2}confirmed +[\d,]+ msg\/s {2}received/m);
  assert.match(stdout, /^summary \(2\.\d s measured\)/m);
  assert.match(stdout, /^latency \(ms\): min [\d.]+ {2}p50 [\d.]+ .* p99 [\d.]+ .* max [\d.]+/m);
  assert.match(stdout, /^perf tool: \d+% CPU \(of one core\) over 2 worker threads/m);
  assert.ok(s.window.seconds >= 1.9 && s.window.seconds < 3, `window ${s.window.seconds} s`);
  assert.ok(s.rates.published > 0 && s.rates.received > 0 && s.rates.confirmed > 0);
  assert.equal(s.totals.nacked, 0);
  assert.ok(s.totals.confirmed <= s.totals.published);
  // At most the confirm window is unconfirmed, and no more arrives than was sent.
  assert.ok(s.totals.published - s.totals.confirmed <= 64);
  assert.ok(s.totals.received <= s.totals.published);
  const l = s.latencyMicros;
  assert.ok(l, 'latency measured');
  assert.ok(l.count > 0);
  assert.ok(l.min <= l.p50 && l.p50 <= l.p95 && l.p95 <= l.p99 && l.p99 <= l.p999 && l.p999 <= l.max);
  assert.equal(s.workers, 2);
  assert.equal(s.perf.eventLoopBusyPercent.length, 2);
  assert.equal(s.perf.threadCpuPercent.length, 2);
  assert.match(stdout, /busiest thread \d+% \(threads \d+% \/ \d+%, event loops busy \d+% \/ \d+%\)/);
});

test('a run by message count ends when every message has arrived, and the counts agree', async () => {
  const { summary: s } = await perf('counted', [
    '-C',
    '5000',
    '-x',
    '2',
    '-y',
    '2',
    '-f',
    '-c',
    '100',
    '--quiet',
  ]);
  assert.equal(s.totals.published, 10_000);
  assert.equal(s.totals.confirmed, 10_000);
  assert.equal(s.totals.received, 10_000);
  // No warm-up: the window holds the whole run, and every delivery carried a timestamp.
  assert.deepEqual(s.counts, s.totals);
  assert.equal(s.latencyMicros?.count, 10_000);
  // The queue is deleted afterwards: nothing of the run is left in the broker.
  const queues = [...(broker.warren?.broker.vhosts.get('/')?.queues.keys() ?? [])];
  assert.deepEqual(
    queues.filter((q) => q.startsWith('perf-')),
    [],
  );
});
