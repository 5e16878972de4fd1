/**
 * Output in rabbitmqctl's two machine-readable shapes. `table` (its default): an info line ("Listing
 * queues for vhost / ..."; dropped by -q), a header of column names (dropped by -s or --no-table-headers),
 * then one tab-separated row per item, values rendered as rabbitmqctl renders Erlang terms. `json`: one
 * object per row, in rabbitmqctl's layout ("[", rows joined by "\n,", "]"), with the API's own values.
 */
export type FormatterName = 'table' | 'json';

export interface OutputOptions {
  formatter: FormatterName;
  /** -q: no info lines */
  quiet: boolean;
  /** -s: no info lines and no header */
  silent: boolean;
  /** --no-table-headers */
  noHeaders: boolean;
}

/**
 * How a value prints in table mode. `plain`: as is; `args`: an AMQP table (arguments, client
 * properties) as rabbitmqctl shows it, `[{"x-max-length",10}]`, in the API's key order (Warren's keeps the
 * client's order, as rabbitmqctl shows it; RabbitMQ's API sorts keys); `sorted-args`: the same with keys
 * sorted, as RabbitMQ keeps binding arguments; `list`: `[a, b]` (user tags); `json`: compact JSON (policy
 * definitions, parameter values).
 */
export type Show = 'plain' | 'args' | 'sorted-args' | 'list' | 'json';

export interface Column<R> {
  name: string;
  get(row: R): unknown;
  show?: Show;
}

/** An Erlang-term rendering of a value inside an AMQP table: strings quoted, nested tables as `[{k,v}]`. */
function termValue(v: unknown): string {
  if (v === null || v === undefined) return 'void';
  if (typeof v === 'string') return JSON.stringify(v);
  if (Array.isArray(v)) return `[${v.map(termValue).join(',')}]`;
  if (typeof v === 'object') return amqpTable(v as Record<string, unknown>);
  return String(v);
}

function amqpTable(o: Record<string, unknown>, sort = false): string {
  const entries = Object.entries(o);
  if (sort) entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `[${entries.map(([k, v]) => `{${JSON.stringify(k)},${termValue(v)}}`).join(',')}]`;
}

export function renderCell(v: unknown, show: Show = 'plain'): string {
  switch (show) {
    case 'args':
    case 'sorted-args':
      if (v === null || v === undefined) return '[]';
      if (typeof v === 'object' && !Array.isArray(v))
        return amqpTable(v as Record<string, unknown>, show === 'sorted-args');
      return termValue(v);
    case 'list': {
      const items = Array.isArray(v)
        ? v.map(String)
        : typeof v === 'string' && v !== ''
          ? v.split(',').map((s) => s.trim())
          : [];
      return `[${items.join(', ')}]`;
    }
    case 'json':
      return v === undefined ? '' : JSON.stringify(v);
    case 'plain':
      if (v === null || v === undefined) return '';
      if (typeof v === 'object') return JSON.stringify(v);
      return String(v);
  }
}

/** Where verbs write; tests and the CLI both use process streams, but verbs never touch them directly. */
export interface Output {
  out(text: string): void;
  err(text: string): void;
}

export const processOutput: Output = {
  out: (t) => process.stdout.write(t),
  err: (t) => process.stderr.write(t),
};

export class Printer {
  constructor(
    readonly options: OutputOptions,
    readonly io: Output = processOutput,
  ) {}

  get json(): boolean {
    return this.options.formatter === 'json';
  }

  /** An informational line such as `Adding user "x" ...`: table mode only, dropped by -q and -s. */
  info(line: string): void {
    if (!this.json && !this.options.quiet && !this.options.silent) this.io.out(line + '\n');
  }

  /** A result line that -q keeps (e.g. "Queue was successfully deleted with 3 ready messages"). */
  line(line: string): void {
    this.io.out(line + '\n');
  }

  list<R>(info: string | undefined, columns: Column<R>[], rows: R[]): void {
    if (this.json) {
      const objs = rows.map((r) => {
        const o: Record<string, unknown> = {};
        for (const c of columns) o[c.name] = c.get(r) ?? null;
        return JSON.stringify(o);
      });
      this.io.out(rows.length === 0 ? '[\n]\n' : `[\n${objs.join('\n,')}\n]\n`);
      return;
    }
    if (info !== undefined) this.info(info);
    if (rows.length === 0) return; // rabbitmqctl prints no header for an empty list
    let text = '';
    if (!this.options.silent && !this.options.noHeaders) text += columns.map((c) => c.name).join('\t') + '\n';
    for (const r of rows) text += columns.map((c) => renderCell(c.get(r), c.show)).join('\t') + '\n';
    this.io.out(text);
  }

  /** One JSON document (status in JSON mode, exported definitions). */
  document(value: unknown, pretty = false): void {
    this.io.out(JSON.stringify(value, null, pretty ? 2 : undefined) + '\n');
  }
}
