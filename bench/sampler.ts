/**
 * Samples CPU time and memory of the broker, of the perf process and of this runner, and the busy
 * time of the whole machine, every few hundred milliseconds while a perf run goes on. The perf tool
 * reports its measured window in CLOCK_MONOTONIC nanoseconds (the clock of process.hrtime in every
 * process), so the samples at the window's edges give each process's CPU share over exactly that
 * window, and what is left of the machine's busy time is "other": work that disturbed the run.
 */
import { cpus } from 'node:os';
import { readCpuMicros, readRss, sampleMachine, type MachineSample } from './proc.js';

interface Sample {
  ns: bigint;
  brokerCpuMicros: number | undefined;
  brokerRss: number | undefined;
  perfCpuMicros: number | undefined;
  runnerCpuMicros: number;
  machine: MachineSample | undefined;
}

export interface WindowStats {
  /** percent of one core */
  brokerCpu: number | undefined;
  perfCpu: number | undefined;
  runnerCpu: number;
  /** all cores together, percent of the whole machine */
  machineBusy: number | undefined;
  /** machine busy time not explained by broker, perf and runner, percent of one core */
  other: number | undefined;
  /** broker VmRSS at the end of the window, and the highest sampled in it, MB */
  brokerRssMB: number | undefined;
  brokerPeakRssMB: number | undefined;
}

const MB = 1024 * 1024;

export class Sampler {
  private readonly samples: Sample[] = [];
  private readonly timer: NodeJS.Timeout;
  perfPid: number | undefined;

  constructor(
    private readonly brokerPid: number | undefined,
    intervalMs = 200,
  ) {
    this.sample();
    this.timer = setInterval(() => this.sample(), intervalMs);
  }

  sample(): void {
    const cpu = process.cpuUsage();
    this.samples.push({
      ns: process.hrtime.bigint(),
      brokerCpuMicros: this.brokerPid === undefined ? undefined : readCpuMicros(this.brokerPid),
      brokerRss: this.brokerPid === undefined ? undefined : readRss(this.brokerPid),
      perfCpuMicros: this.perfPid === undefined ? undefined : readCpuMicros(this.perfPid),
      runnerCpuMicros: cpu.user + cpu.system,
      machine: sampleMachine(),
    });
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** highest broker RSS over every sample so far, MB */
  get peakRssMB(): number | undefined {
    let peak: number | undefined;
    for (const s of this.samples)
      if (s.brokerRss !== undefined && (peak === undefined || s.brokerRss > peak)) peak = s.brokerRss;
    return peak === undefined ? undefined : peak / MB;
  }

  /**
   * Statistics between the samples closest to `startNs` and `endNs` (process.hrtime.bigint values).
   * Each figure uses the samples nearest the edges that have it: the perf process may have exited
   * by the first sample after the window's end.
   */
  window(startNs: bigint, endNs: bigint): WindowStats {
    const all = this.samples;
    const edges = (has: (s: Sample) => boolean): [Sample, Sample] | undefined => {
      const with_ = all.filter(has);
      const a = [...with_].reverse().find((s) => s.ns <= startNs) ?? with_[0];
      const b = with_.find((s) => s.ns >= endNs) ?? with_[with_.length - 1];
      return a && b && b.ns > a.ns ? [a, b] : undefined;
    };
    const percent = (get: (s: Sample) => number | undefined): number | undefined => {
      const e = edges((s) => get(s) !== undefined);
      if (!e) return undefined;
      const [a, b] = e;
      return (((get(b) as number) - (get(a) as number)) / (Number(b.ns - a.ns) / 1000)) * 100;
    };
    const brokerCpu = percent((s) => s.brokerCpuMicros);
    const perfCpu = percent((s) => s.perfCpuMicros);
    const runnerCpu = percent((s) => s.runnerCpuMicros) ?? 0;
    let machineBusy: number | undefined;
    const m = edges((s) => s.machine !== undefined);
    if (m) {
      const [a, b] = m as [Sample & { machine: MachineSample }, Sample & { machine: MachineSample }];
      if (b.machine.total > a.machine.total)
        machineBusy = ((b.machine.busy - a.machine.busy) / (b.machine.total - a.machine.total)) * 100;
    }
    const other =
      machineBusy === undefined
        ? undefined
        : Math.max(0, machineBusy * cpus().length - (brokerCpu ?? 0) - (perfCpu ?? 0) - runnerCpu);
    const a = all.find((s) => s.ns >= startNs) ?? (all[0] as Sample);
    const b = [...all].reverse().find((s) => s.ns <= endNs) ?? (all[all.length - 1] as Sample);
    let peak: number | undefined;
    for (const s of all)
      if (
        s.ns >= a.ns &&
        s.ns <= b.ns &&
        s.brokerRss !== undefined &&
        (peak === undefined || s.brokerRss > peak)
      )
        peak = s.brokerRss;
    const endSample = [...all].reverse().find((s) => s.ns <= endNs && s.brokerRss !== undefined) ?? b;
    return {
      brokerCpu,
      perfCpu,
      runnerCpu,
      machineBusy,
      other,
      brokerRssMB: endSample.brokerRss === undefined ? undefined : endSample.brokerRss / MB,
      brokerPeakRssMB: peak === undefined ? undefined : peak / MB,
    };
  }
}
