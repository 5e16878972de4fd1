/** Overview: alarms, totals, live charts of queued messages and message rates, nodes, listeners. */
import type { NodeInfo, Overview, Session } from '../api';
import { Chart, useHistory } from '../chart';
import { ErrorBox, Section, Table } from '../components';
import { fmtBytes, fmtNum, fmtRate, fmtUptime } from '../format';
import { useApi } from '../hooks';

export const QUEUED_SERIES = [
  { label: 'Ready', color: '#d4a017' },
  { label: 'Unacked', color: '#3b82c4' },
  { label: 'Total', color: '#7a7a7a' },
];

export const RATE_SERIES = [
  { label: 'Publish', color: '#d4a017' },
  { label: 'Confirm', color: '#4a9b3f' },
  { label: 'Deliver / get', color: '#3b82c4' },
  { label: 'Redelivered', color: '#b84fb8' },
  { label: 'Ack', color: '#7a7a7a' },
  { label: 'Unroutable', color: '#c0392b' },
];

const r = (d: { rate?: number } | undefined): number => d?.rate ?? 0;

export function OverviewPage(_props: { session: Session }) {
  const ov = useApi<Overview>('/overview');
  const nodes = useApi<NodeInfo[]>('/nodes');
  const o = ov.data;
  const q = o?.queue_totals;
  const m = o?.message_stats;
  const queued = useHistory(
    'overview.queued',
    o,
    o ? [q?.messages_ready ?? 0, q?.messages_unacknowledged ?? 0, q?.messages ?? 0] : undefined,
  );
  const rates = useHistory(
    'overview.rates',
    o,
    o
      ? [
          r(m?.publish_details),
          r(m?.confirm_details),
          r(m?.deliver_get_details),
          r(m?.redeliver_details),
          r(m?.ack_details),
          r(m?.return_unroutable_details) + r(m?.drop_unroutable_details),
        ]
      : undefined,
  );
  const alarms: string[] = [];
  for (const n of nodes.data ?? []) {
    if (n.mem_alarm)
      alarms.push(`Memory alarm on ${n.name}: ${fmtBytes(n.mem_used)} used, limit ${fmtBytes(n.mem_limit)}`);
    if (n.disk_free_alarm)
      alarms.push(
        `Disk alarm on ${n.name}: ${fmtBytes(n.disk_free)} free, limit ${fmtBytes(n.disk_free_limit)}`,
      );
  }
  const t = o?.object_totals;
  return (
    <div class="page" data-page="overview">
      <h1>Overview</h1>
      <ErrorBox error={ov.error} />
      {alarms.length > 0 ? (
        <div class="alarm" role="alert" data-testid="alarms">
          <b>Resource alarm:</b> publishers are blocked.
          <ul>
            {alarms.map((a) => (
              <li key={a}>{a}</li>
            ))}
          </ul>
        </div>
      ) : (
        nodes.data && (
          <div class="no-alarm" data-testid="alarms">
            No resource alarms.
          </div>
        )
      )}
      <div class="tiles" data-testid="totals">
        <Tile label="Connections" value={t?.connections} href="#/connections" />
        <Tile label="Channels" value={t?.channels} href="#/channels" />
        <Tile label="Exchanges" value={t?.exchanges} href="#/exchanges" />
        <Tile label="Queues" value={t?.queues} href="#/queues" />
        <Tile label="Consumers" value={t?.consumers} />
        <Tile label="Ready" value={q?.messages_ready} testid="total-ready" />
        <Tile label="Unacked" value={q?.messages_unacknowledged} testid="total-unacked" />
        <Tile label="Total messages" value={q?.messages} testid="total-messages" />
      </div>
      <div class="charts">
        <Chart
          title="Queued messages"
          series={QUEUED_SERIES}
          samples={queued}
          format={fmtNum}
          testid="chart-queued"
        />
        <Chart
          title="Message rates"
          series={RATE_SERIES}
          samples={rates}
          format={fmtRate}
          testid="chart-rates"
        />
      </div>
      {nodes.data && (
        <Section title="Nodes">
          <Table<NodeInfo>
            rows={nodes.data}
            rowKey={(n) => n.name}
            columns={[
              { label: 'Name', render: (n) => n.name },
              {
                label: 'File descriptors',
                num: true,
                render: (n) => usage(n.fd_used, n.fd_total, fmtNum),
              },
              {
                label: 'Socket descriptors',
                num: true,
                render: (n) => usage(n.sockets_used, n.sockets_total, fmtNum),
              },
              {
                label: 'Memory',
                num: true,
                class: '',
                render: (n) => (
                  <span class={n.mem_alarm ? 'bad' : ''}>
                    {usage(n.mem_used, n.mem_limit, fmtBytes)}
                    {n.mem_alarm ? ' ALARM' : ''}
                  </span>
                ),
              },
              {
                label: 'Disk free',
                num: true,
                render: (n) => (
                  <span class={n.disk_free_alarm ? 'bad' : ''}>
                    {fmtBytes(n.disk_free)}
                    {n.disk_free_limit !== undefined ? ` (limit ${fmtBytes(n.disk_free_limit)})` : ''}
                    {n.disk_free_alarm ? ' ALARM' : ''}
                  </span>
                ),
              },
              { label: 'Uptime', num: true, render: (n) => fmtUptime(n.uptime) },
            ]}
          />
        </Section>
      )}
      {o?.listeners && (
        <Section title="Ports and contexts">
          <Table
            rows={o.listeners}
            rowKey={(l) => `${l.protocol}:${l.ip_address}:${l.port}`}
            columns={[
              { label: 'Protocol', render: (l) => l.protocol },
              { label: 'Bound to', render: (l) => l.ip_address },
              { label: 'Port', num: true, render: (l) => l.port },
            ]}
          />
        </Section>
      )}
    </div>
  );
}

function usage(used: number | undefined, total: number | undefined, f: (n: number) => string) {
  if (used === undefined) return total !== undefined ? `limit ${f(total)}` : '';
  return total !== undefined ? `${f(used)} / ${f(total)}` : f(used);
}

function Tile(props: { label: string; value: number | undefined; href?: string; testid?: string }) {
  const body = (
    <>
      <span class="tile-value" data-testid={props.testid}>
        {props.value === undefined ? '–' : fmtNum(props.value)}
      </span>
      <span class="tile-label">{props.label}</span>
    </>
  );
  return props.href ? (
    <a class="tile" href={props.href}>
      {body}
    </a>
  ) : (
    <div class="tile">{body}</div>
  );
}
