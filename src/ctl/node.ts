/** status, environment, await_startup, version: the node as a whole, from /api/overview and /api/nodes. */
import { setTimeout as sleep } from 'node:timers/promises';
import { apiPath } from './client.js';
import { ApiError, CtlError, EXIT } from './errors.js';
import { VERSION } from '../version.js';
import { str, type Ctx, type Verb } from './verb.js';

type Row = Record<string, unknown>;

const num = (v: unknown): number | undefined => (typeof v === 'number' ? v : undefined);
const gb = (bytes: unknown): string => {
  const b = num(bytes);
  return b === undefined ? 'unknown' : `${Math.round((b / 1e9) * 1e4) / 1e4} gb`;
};

/** Overview plus this node's object (the first of /api/nodes when the overview names none). */
async function nodeInfo(ctx: Ctx): Promise<{ overview: Row; node: Row }> {
  const overview = await ctx.api.get<Row>('/overview');
  const name = str(overview['node']);
  const node = name
    ? await ctx.api.get<Row>(apiPath('nodes', name)).catch((e: unknown) => {
        if (e instanceof ApiError && e.status === 404) return {} as Row;
        throw e;
      })
    : ((await ctx.api.get<Row[]>('/nodes'))[0] ?? {});
  return { overview, node };
}

const PURPOSE: Record<string, string> = {
  amqp: 'AMQP 0-9-1 and AMQP 1.0',
  'amqp/ssl': 'AMQP 0-9-1 and AMQP 1.0 over TLS',
  amqps: 'AMQP 0-9-1 and AMQP 1.0 over TLS',
  http: 'HTTP API',
  https: 'HTTP API over TLS (HTTPS)',
  'http/prometheus': 'Prometheus exporter API over HTTP',
  prometheus: 'Prometheus exporter API over HTTP',
  clustering: 'inter-node and CLI tool communication',
};

function alarms(node: Row): string[] {
  const name = str(node['name']);
  const out: string[] = [];
  if (node['mem_alarm'] === true) out.push(`Memory alarm on node ${name}`);
  if (node['disk_free_alarm'] === true) out.push(`Free disk space alarm on node ${name}`);
  return out;
}

function statusJson(overview: Row, node: Row, vhostCount: number): Row {
  const totals = (overview['object_totals'] ?? {}) as Row;
  return {
    pid: node['os_pid'] ?? null,
    os: node['os'] ?? null,
    node: overview['node'] ?? node['name'] ?? null,
    uptime: num(node['uptime']) === undefined ? null : Math.floor((node['uptime'] as number) / 1000),
    product_name: overview['product_name'] ?? null,
    product_version: overview['product_version'] ?? null,
    rabbitmq_version: overview['rabbitmq_version'] ?? null,
    erlang_version: overview['erlang_version'] ?? null,
    alarms: alarms(node),
    listeners: overview['listeners'] ?? [],
    memory: { total: { rss: node['mem_used'] ?? null } },
    vm_memory_high_watermark_limit: node['mem_limit'] ?? null,
    disk_free: node['disk_free'] ?? null,
    disk_free_limit: node['disk_free_limit'] ?? null,
    file_descriptors: {
      total_used: node['fd_used'] ?? null,
      total_limit: node['fd_total'] ?? null,
      sockets_used: node['sockets_used'] ?? null,
      sockets_limit: node['sockets_total'] ?? null,
    },
    totals: {
      virtual_host_count: vhostCount,
      connection_count: totals['connections'] ?? null,
      queue_count: totals['queues'] ?? null,
    },
    data_directory: node['db_dir'] ?? null,
    config_files: node['config_files'] ?? [],
    log_files: node['log_files'] ?? [],
  };
}

const status: Verb = {
  name: 'status',
  description: 'shows the node: versions, alarms, memory, file descriptors, disk, totals and listeners',
  async run(ctx) {
    const { overview, node } = await nodeInfo(ctx);
    const vhosts = await ctx.api.get<Row[]>('/vhosts');
    const s = statusJson(overview, node, vhosts.length);
    if (ctx.print.json) {
      ctx.print.document(s);
      return;
    }
    ctx.print.info(`Status of node ${str(s['node'])} ...`);
    const bold = process.stdout.isTTY ? (t: string) => `\x1b[1m${t}\x1b[0m` : (t: string) => t;
    const out: string[] = [];
    const section = (title: string, lines: string[]): void => {
      out.push(bold(title), '', ...lines, '');
    };
    const fd = s['file_descriptors'] as Row;
    const totals = s['totals'] as Row;
    const product = str(overview['product_name']) || 'RabbitMQ';
    const productVersion = str(overview['product_version']) || str(overview['rabbitmq_version']);
    const rabbitVersion = str(overview['rabbitmq_version']);
    section('Runtime', [
      `OS PID: ${String(s['pid'] ?? 'unknown')}`,
      ...(s['os'] ? [`OS: ${String(s['os'])}`] : []),
      `Uptime (seconds): ${String(s['uptime'] ?? 'unknown')}`,
      `${product} version: ${productVersion}`,
      ...(rabbitVersion && rabbitVersion !== productVersion ? [`RabbitMQ version: ${rabbitVersion}`] : []),
      `Node name: ${str(s['node'])}`,
      `Runtime: ${str(overview['erlang_version']) || 'unknown'}`,
    ]);
    const a = s['alarms'] as string[];
    section('Alarms', a.length === 0 ? ['(none)'] : a);
    section('Memory', [
      `Total memory used: ${gb(node['mem_used'])}`,
      `Memory high watermark computed to: ${gb(node['mem_limit'])}`,
    ]);
    section('File Descriptors', [
      `Total: ${String(fd['total_used'] ?? 'unknown')}, limit: ${String(fd['total_limit'] ?? 'unknown')}`,
      `Sockets: ${String(fd['sockets_used'] ?? 'unknown')}, limit: ${String(fd['sockets_limit'] ?? 'unknown')}`,
    ]);
    section('Free Disk Space', [
      `Low free disk space watermark: ${gb(node['disk_free_limit'])}`,
      `Free disk space: ${gb(node['disk_free'])}`,
    ]);
    section('Totals', [
      `Connection count: ${String(totals['connection_count'] ?? 'unknown')}`,
      `Queue count: ${String(totals['queue_count'] ?? 'unknown')}`,
      `Virtual host count: ${String(totals['virtual_host_count'])}`,
    ]);
    section(
      'Listeners',
      (s['listeners'] as Row[]).map((l) => {
        const proto = str(l['protocol']);
        const purpose = str(l['purpose']) || PURPOSE[proto] || proto;
        return `Interface: ${str(l['ip_address']) || str(l['interface'])}, port: ${String(l['port'])}, protocol: ${proto}, purpose: ${purpose}`;
      }),
    );
    ctx.print.line(out.join('\n').trimEnd());
  },
};

/** An Erlang-term-like rendering for `environment`: atoms for keys, quoted strings, [..] lists. */
function term(v: unknown): string {
  if (v === null || v === undefined) return 'undefined';
  if (typeof v === 'string') return JSON.stringify(v);
  if (Array.isArray(v)) return `[${v.map(term).join(',')}]`;
  if (typeof v === 'object')
    return `[${Object.entries(v as Row)
      .map(([k, x]) => `{${k},${term(x)}}`)
      .join(',')}]`;
  return String(v);
}

const ENVIRONMENT_KEYS = [
  'config_files',
  'log_files',
  'db_dir',
  'enabled_plugins',
  'rates_mode',
  'mem_limit',
  'mem_calculation_strategy',
  'disk_free_limit',
  'net_ticktime',
  'auth_mechanisms',
  'exchange_types',
  'contexts',
];

const environment: Verb = {
  name: 'environment',
  description: "shows the node's effective settings the management API reports (listeners, limits, files)",
  async run(ctx) {
    const { overview, node } = await nodeInfo(ctx);
    const env: Row = { listeners: overview['listeners'] ?? [] };
    for (const k of ENVIRONMENT_KEYS) if (node[k] !== undefined) env[k] = node[k];
    if (ctx.print.json) {
      ctx.print.document(env);
      return;
    }
    ctx.print.info(`Application environment of node ${str(overview['node'])} ...`);
    const product = (str(overview['product_name']) || 'warren').toLowerCase();
    const entries = Object.keys(env)
      .sort()
      .map((k) => `{${k},${term(env[k])}}`);
    ctx.print.line(`[{${product},\n     [${entries.join(',\n      ')}]}]`);
  },
};

const awaitStartup: Verb = {
  name: 'await_startup',
  description:
    'waits until the broker answers on its management API (bounded by --timeout); exits 0 once it does',
  async run(ctx) {
    const deadline = Date.now() + ctx.timeoutSeconds * 1000;
    for (;;) {
      try {
        await ctx.api.get('/overview');
        return;
      } catch (e) {
        // Refused connections and "not ready yet" answers mean: not up yet. A 401 means it is up and
        // the credentials are wrong, which waiting will not fix.
        const notYet =
          (e instanceof CtlError && (e.exitCode === EXIT.UNAVAILABLE || e.exitCode === EXIT.TEMP_FAIL)) ||
          (e instanceof ApiError && e.status >= 500);
        if (!notYet) throw e;
        if (Date.now() >= deadline)
          throw new CtlError(
            `the broker at ${ctx.api.baseUrl} did not start within ${ctx.timeoutSeconds} seconds: ${(e as Error).message}`,
            EXIT.TEMP_FAIL,
          );
      }
      await sleep(Math.min(250, Math.max(0, deadline - Date.now())));
    }
  },
};

const version: Verb = {
  name: 'version',
  description: "prints warrenctl's (and Warren's) version",
  run(ctx) {
    ctx.print.line(VERSION);
    return Promise.resolve();
  },
};

export const nodeVerbs: Verb[] = [status, environment, awaitStartup, version];
