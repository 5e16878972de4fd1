/**
 * What a config file sets: a subset of Warren.start's options. Only keys present in the file appear,
 * so the caller can layer the file over the defaults and under environment variables and flags.
 */
import type { WarrenOptions } from '../warren.js';

/**
 * Options the config file can set that Warren.start does not take yet: the management HTTP API and
 * the Prometheus endpoint are not built. They are carried along so nothing the operator wrote is
 * lost; docs/configuration.md says so.
 */
export interface PendingOptions {
  /** management.tcp.port */
  managementPort?: number;
  /** prometheus.tcp.port */
  prometheusPort?: number;
}

export type ConfigOptions = Partial<WarrenOptions> & PendingOptions;

/** A parsed config file: its options, and warnings RabbitMQ would also print (logged at startup). */
export interface ConfigResult {
  file: string;
  options: ConfigOptions;
  warnings: string[];
}
