/**
 * Scenario 10: one producer publishes N persistent 1 KiB messages (confirms, window 256) to a
 * durable queue nobody consumes; once all are confirmed and the queue holds them, one consumer
 * (prefetch 100, ack multiple every 50) drains it. Two `warren perf` runs on the same queue.
 */
import { randomBytes } from 'node:crypto';
import { queueDepth } from '../src/perf/topology.js';
import { runPerfProcess } from './perf-process.js';
import type { RowResult, Target } from './results.js';
import type { ScenarioDef } from './scenarios.js';
import { perfExecArgv, withBroker, type BenchOptions } from './session.js';
import { fmt1, fmtInt, pct } from './format.js';

export async function measureBacklog(
  scenario: ScenarioDef,
  target: Target,
  o: BenchOptions,
  log: (line: string) => void,
): Promise<RowResult[]> {
  return withBroker(target, o, scenario.name, async (session) => {
    const queue = `perf-backlog-${randomBytes(4).toString('hex')}`;
    const n = String(o.backlogCount);
    const common = { brokerPid: session.pid, verbose: o.verbose, label: target.label };
    const execArgv = perfExecArgv(o, scenario.name, target.name);
    const problems: string[] = [];
    const pub = await runPerfProcess(
      [
        '--uri',
        session.url,
        '-u',
        queue,
        '-x',
        '1',
        '-y',
        '0',
        '-s',
        '1024',
        '-f',
        '-c',
        '256',
        '-C',
        n,
        '--keep',
      ],
      { ...common, execArgv },
    );
    const depth = await queueDepth(session.url, queue);
    if (pub.summary.totals.nacked > 0) problems.push(`${pub.summary.totals.nacked} publishes nacked`);
    if (depth !== pub.summary.totals.confirmed)
      problems.push(`queue holds ${fmtInt(depth)} after ${fmtInt(pub.summary.totals.confirmed)} confirms`);
    const drain = await runPerfProcess(
      [
        '--uri',
        session.url,
        '-u',
        queue,
        '-x',
        '0',
        '-y',
        '1',
        '-f',
        '-q',
        '100',
        '-A',
        '50',
        '-D',
        String(depth ?? n),
      ],
      { ...common, execArgv },
    );
    if (drain.summary.totals.received !== depth)
      problems.push(`drained ${fmtInt(drain.summary.totals.received)} of ${fmtInt(depth)}`);
    const peak = Math.max(pub.peakRssMB ?? 0, drain.peakRssMB ?? 0) || undefined;
    log(
      `${target.label.padEnd(8)} backlog ${fmtInt(o.backlogCount)} x 1 KiB: published ${fmtInt(pub.summary.rates.confirmed)} msg/s ` +
        `(${fmt1(pub.summary.window.seconds)} s, broker CPU ${pct(pub.window.brokerCpu)}), drained ` +
        `${fmtInt(drain.summary.rates.received)} msg/s (${fmt1(drain.summary.window.seconds)} s, broker CPU ` +
        `${pct(drain.window.brokerCpu)}); broker RSS after publish ${fmt1(pub.window.brokerRssMB)} MB, peak ${fmt1(peak)} MB; ` +
        `other ${pct(pub.window.other)} / ${pct(drain.window.other)}` +
        (problems.length ? `\n  PROBLEMS: ${problems.join('; ')}` : ''),
    );
    const details = {
      count: o.backlogCount,
      depthAfterPublish: depth,
      problems,
      publish: pub.window,
      drain: drain.window,
      peakRssMB: peak,
    };
    if (problems.length > 0) throw new Error(problems.join('; '));
    return [
      { row: '10-pub', target: target.name, value: pub.summary.rates.confirmed, brokerRssMB: peak, details },
      {
        row: '10-drain',
        target: target.name,
        value: drain.summary.rates.received,
        brokerRssMB: peak,
        details: {},
      },
    ];
  });
}
