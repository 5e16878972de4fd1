/**
 * What every verb module shares: the context a verb runs in, the shape of a verb definition, and the
 * column picking of the list_* verbs.
 */
import type { Command } from 'commander';
import type { ApiClient } from './client.js';
import { CtlError, EXIT } from './errors.js';
import type { Column, Printer } from './format.js';

export interface Ctx {
  api: ApiClient;
  /** -p/--vhost, default "/" */
  vhost: string;
  print: Printer;
  /** --timeout in seconds */
  timeoutSeconds: number;
  /** all of standard input, for add_user without a password and import_definitions - */
  readStdin(): Promise<string>;
}

export interface Verb {
  name: string;
  /** commander argument syntax, e.g. `<username> [password]` */
  args?: string;
  description: string;
  /** more text for `warrenctl <verb> --help`, e.g. the columns a list verb knows */
  help?: string;
  /** verb-specific options */
  options?(cmd: Command): void;
  /** `args` are commander's processed arguments (a variadic one is an array); `opts` the verb's options */
  run(ctx: Ctx, args: unknown[], opts: Record<string, unknown>): Promise<void>;
}

/** The columns a list verb prints: the ones asked for, in that order, or its defaults. */
export function pickColumns<R>(all: Column<R>[], requested: string[], defaults: string[]): Column<R>[] {
  const names = requested.length > 0 ? requested : defaults;
  const byName = new Map(all.map((c) => [c.name, c]));
  const unknown = names.filter((n) => !byName.has(n));
  if (unknown.length > 0)
    throw new CtlError(`Info key(s) ${unknown.join(',')} are not supported`, EXIT.USAGE);
  return names.map((n) => byName.get(n) as Column<R>);
}

/** Column helper: a field of the API object under the same name. */
export function field<R>(name: string, show?: Column<R>['show'], from = name): Column<R> {
  return {
    name,
    get: (r) => (r as Record<string, unknown>)[from],
    ...(show ? { show } : {}),
  };
}

/** The --help text of a list verb: its defaults and every column it knows. */
export function columnHelp<R>(all: Column<R>[], defaults: string[]): string {
  return `\nDefault columns: ${defaults.join(' ')}\nColumns: ${all.map((c) => c.name).join(' ')}`;
}

export function str(v: unknown): string {
  return typeof v === 'string' ? v : '';
}

export interface ListSpec<R> {
  name: string;
  description: string;
  columns: Column<R>[];
  defaults: string[];
  /** rabbitmqctl prints list_consumers' columns in its own order, whatever order they are asked in */
  fixedOrder?: boolean;
  /** the informational lines before the table ("Listing queues for vhost / ...") */
  info(ctx: Ctx): string[];
  fetch(ctx: Ctx): Promise<R[]>;
}

/** A list_* verb taking rabbitmqctl's optional column names. */
export function listVerb<R>(spec: ListSpec<R>): Verb {
  return {
    name: spec.name,
    args: '[column...]',
    description: spec.description,
    help: columnHelp(spec.columns, spec.defaults),
    async run(ctx, [requested]) {
      let columns = pickColumns(spec.columns, (requested as string[] | undefined) ?? [], spec.defaults);
      if (spec.fixedOrder) columns = spec.columns.filter((c) => columns.includes(c));
      const rows = await spec.fetch(ctx);
      for (const line of spec.info(ctx)) ctx.print.info(line);
      ctx.print.list(undefined, columns, rows);
    },
  };
}
