/**
 * Scenario 9: open N idle connections with one channel each (heartbeat 60 s, as most clients ask
 * for), hold them a few seconds, and take the broker's RSS growth per connection and the time to
 * open them all. Warren is freshly started for it; RabbitMQ is the running reference, so its baseline
 * is whatever it holds at that moment.
 */
import { readRss } from './proc.js';
import { runPerfProcess } from './perf-process.js';
import type { RowResult, Target } from './results.js';
import type { ScenarioDef } from './scenarios.js';
import { perfExecArgv, withBroker, type BenchOptions } from './session.js';
import { fmt1, fmtInt, pct } from './format.js';

const HOLD_SECONDS = 5;
const MB = 1024 * 1024;

export async function measureConnections(
  scenario: ScenarioDef,
  target: Target,
  o: BenchOptions,
  log: (line: string) => void,
): Promise<RowResult[]> {
  return withBroker(target, o, scenario.name, async (session) => {
    // Let a fresh broker finish starting up before taking its baseline.
    await new Promise((r) => setTimeout(r, 1000));
    const before = session.pid === undefined ? undefined : readRss(session.pid);
    const run = await runPerfProcess(
      [
        '--uri',
        session.url,
        '--idle-connections',
        String(o.connections),
        '--heartbeat',
        '60',
        '-z',
        String(HOLD_SECONDS),
      ],
      {
        brokerPid: session.pid,
        verbose: o.verbose,
        execArgv: perfExecArgv(o, scenario.name, target.name),
        label: target.label,
      },
    );
    const idle = run.summary.idle;
    const after = run.window.brokerRssMB;
    const perConnKB =
      before === undefined || after === undefined || !idle
        ? undefined
        : ((after - before / MB) * 1024) / idle.connections;
    log(
      `${target.label.padEnd(8)} ${fmtInt(idle?.connections)} idle connections: opened in ${fmt1(idle?.openSeconds)} s, ` +
        `broker RSS ${fmt1(before === undefined ? undefined : before / MB)} -> ${fmt1(after)} MB ` +
        `(${fmt1(perConnKB)} KB per connection); CPU perf ${pct(run.window.perfCpu)} other ${pct(run.window.other)}`,
    );
    const details = {
      connections: idle?.connections,
      rssBeforeMB: before === undefined ? undefined : before / MB,
      rssAfterMB: after,
      window: run.window,
    };
    return [
      { row: '9', target: target.name, value: perConnKB, brokerRssMB: after, details },
      { row: '9-open', target: target.name, value: idle?.openSeconds, brokerRssMB: after, details: {} },
    ];
  });
}
