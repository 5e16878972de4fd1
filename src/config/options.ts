/**
 * What a config file sets: a subset of Warren.start's options. Only keys present in the file appear,
 * so the caller can layer the file over the defaults and under environment variables and flags.
 */
import type { WarrenOptions } from '../warren.js';

export type ConfigOptions = Partial<WarrenOptions>;

/** A parsed config file: its options, and warnings RabbitMQ would also print (logged at startup). */
export interface ConfigResult {
  file: string;
  options: ConfigOptions;
  warnings: string[];
}
