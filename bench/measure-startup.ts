/**
 * Scenario 11: Warren's time from process start to a completed AMQP handshake, with an empty data
 * directory (median of three starts) and with N durable messages to recover; and its RSS idling
 * after an empty start. The shared RabbitMQ is not restarted: its row is its last boot as its own log
 * tells it (process start to "started TCP listener"), whatever its data held then, and its RSS now.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PerfConnection } from '../src/perf/connection.js';
import { queueDepth } from '../src/perf/topology.js';
import { startWarren } from './broker.js';
import { runPerfProcess } from './perf-process.js';
import { readRss } from './proc.js';
import { rabbitPid, rabbitStartupFromLog } from './rabbitmq.js';
import type { RowResult, Target } from './results.js';
import type { BenchOptions } from './session.js';
import { fmt1, fmtInt } from './format.js';

const MB = 1024 * 1024;
const EMPTY_STARTS = 3;

/** Starts Warren, completes one AMQP handshake; returns the times (ms) and the running broker. */
async function timedStart(
  dataDir: string | undefined,
  env: Record<string, string> = {},
): Promise<{
  tcpMs: number;
  amqpMs: number;
  warren: Awaited<ReturnType<typeof startWarren>>;
}> {
  const warren = await startWarren({ pollMs: 1, env, ...(dataDir === undefined ? {} : { dataDir }) });
  const t0 = process.hrtime.bigint();
  const conn = await PerfConnection.open(warren.url, { heartbeat: 0, name: 'bench: startup' });
  const handshakeMs = Number(process.hrtime.bigint() - t0) / 1e6;
  await conn.close();
  return { tcpMs: warren.startedMs, amqpMs: warren.startedMs + handshakeMs, warren };
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

async function warrenStartup(o: BenchOptions, log: (line: string) => void): Promise<RowResult[]> {
  const empty: number[] = [];
  const tcp: number[] = [];
  let idleRss: number | undefined;
  for (let i = 0; i < EMPTY_STARTS; i++) {
    const { tcpMs, amqpMs, warren } = await timedStart(undefined);
    empty.push(amqpMs);
    tcp.push(tcpMs);
    if (i === EMPTY_STARTS - 1) {
      // Idle: started, one connection opened and closed, then left alone for a moment.
      await new Promise((r) => setTimeout(r, 2000));
      idleRss = readRss(warren.pid);
    }
    await warren.stop();
  }

  // The same without the management and Prometheus listeners (RabbitMQ's reference runs its management
  // plugin, so the row is taken with them; this says what they cost).
  const bare = await timedStart(undefined, { WARREN_MGMT_PORT: 'none', WARREN_PROMETHEUS_PORT: 'none' });
  await new Promise((r) => setTimeout(r, 2000));
  const bareRssB = readRss(bare.warren.pid);
  const bareRss = bareRssB === undefined ? undefined : bareRssB / MB;
  await bare.warren.stop();

  const dataDir = mkdtempSync(join(tmpdir(), 'perf-startup-'));
  try {
    const filler = await startWarren({ dataDir });
    try {
      await runPerfProcess(
        [
          '--uri',
          filler.url,
          '-u',
          'perf-startup',
          '-x',
          '1',
          '-y',
          '0',
          '-s',
          '16',
          '-f',
          '-c',
          '256',
          '-C',
          String(o.startupCount),
          '--keep',
        ],
        { brokerPid: filler.pid, verbose: o.verbose, label: 'Warren' },
      );
    } finally {
      await filler.stop();
    }
    const { tcpMs, amqpMs, warren } = await timedStart(dataDir);
    const depth = await queueDepth(warren.url, 'perf-startup');
    const rss = readRss(warren.pid);
    await warren.stop();
    if (depth !== o.startupCount)
      throw new Error(`after the restart the queue holds ${fmtInt(depth)} of ${fmtInt(o.startupCount)}`);
    log(
      `Warren   startup: empty ${fmt1(median(empty))} ms to an AMQP handshake (TCP accept ${fmt1(median(tcp))} ms; ` +
        `runs ${empty.map((x) => fmt1(x)).join(', ')}), idle RSS ${fmt1(idleRss === undefined ? undefined : idleRss / MB)} MB ` +
        `(without the management and Prometheus listeners: ${fmt1(bare.amqpMs)} ms, ${fmt1(bareRss)} MB); ` +
        `with ${fmtInt(o.startupCount)} durable messages ${fmt1(amqpMs)} ms (TCP ${fmt1(tcpMs)} ms), RSS then ${fmt1(rss === undefined ? undefined : rss / MB)} MB`,
    );
    return [
      {
        row: '11',
        target: 'warren',
        value: median(empty),
        brokerRssMB: idleRss === undefined ? undefined : idleRss / MB,
        details: { runsMs: empty, tcpMs: tcp, withoutHttpListeners: { ms: bare.amqpMs, rssMB: bareRss } },
      },
      {
        row: '11-full',
        target: 'warren',
        value: amqpMs,
        note: `${fmtInt(o.startupCount)} msgs`,
        brokerRssMB: rss === undefined ? undefined : rss / MB,
        details: { messages: o.startupCount, tcpMs },
      },
      {
        row: '11-rss',
        target: 'warren',
        value: idleRss === undefined ? undefined : idleRss / MB,
        brokerRssMB: undefined,
        details: {},
      },
    ];
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}

function rabbitStartup(target: Target, log: (line: string) => void): RowResult[] {
  const pid = target.url === undefined ? undefined : rabbitPid(target.url);
  const boot = pid === undefined ? undefined : rabbitStartupFromLog(pid);
  const rss = pid === undefined ? undefined : readRss(pid);
  log(
    `RabbitMQ startup: ${boot ? `${fmtInt(boot.ms)} ms from process start to "started TCP listener" in ${boot.log} (its last boot; not restarted here)` : 'n/a (no log to read)'}; ` +
      `RSS now ${fmt1(rss === undefined ? undefined : rss / MB)} MB (after the runs so far, not idle from a fresh start)`,
  );
  return [
    {
      row: '11',
      target: 'rabbitmq',
      value: boot?.ms,
      note: boot ? 'last boot, from its log' : 'n/a',
      brokerRssMB: undefined,
      details: { log: boot?.log },
    },
    {
      row: '11-full',
      target: 'rabbitmq',
      value: undefined,
      note: 'n/a (shared, not restarted)',
      brokerRssMB: undefined,
      details: {},
    },
    {
      row: '11-rss',
      target: 'rabbitmq',
      value: rss === undefined ? undefined : rss / MB,
      note: 'now, not fresh',
      brokerRssMB: undefined,
      details: {},
    },
  ];
}

export async function measureStartup(
  target: Target,
  o: BenchOptions,
  log: (line: string) => void,
): Promise<RowResult[]> {
  if (target.name === 'rabbitmq') return rabbitStartup(target, log);
  if (target.url !== undefined)
    throw new Error('startup needs a Warren started by the benchmark (not --url)');
  return warrenStartup(o, log);
}
