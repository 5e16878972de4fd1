/** What the runner records per table row and broker, and the whole run's JSON file. */
import type { TargetName } from './scenarios.js';

export interface RowResult {
  /** RowDef.key */
  row: string;
  target: TargetName;
  value: number | undefined;
  /** shown instead of a number when there is none (e.g. "n/a"), or beside it */
  note?: string;
  /** the broker's VmRSS at the end of the measurement (or its peak, for the backlog), MB */
  brokerRssMB: number | undefined;
  /** everything else measured, for the JSON file */
  details: Record<string, unknown>;
}

export interface Target {
  name: TargetName;
  label: string;
  /** undefined: start a fresh Warren child for each scenario */
  url: string | undefined;
}

export interface Machine {
  cpuModel: string;
  cores: number;
  memoryGB: number;
  os: string;
  node: string;
  warrenVersion: string;
  rabbitmqVersion: string | undefined;
  gitCommit: string | undefined;
}
