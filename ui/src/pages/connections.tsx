/** Connections: the paged list (with close), and one connection's page with its channels. */
import { useState } from 'preact/hooks';
import { api, enc, type Channel, type Connection } from '../api';
import {
  act,
  Args,
  ErrorBox,
  Field,
  KV,
  ListControls,
  onSubmit,
  Section,
  Table,
  type Column,
} from '../components';
import { fmtByteRate, fmtNum, fmtTime, fmtValue } from '../format';
import { useApi, usePagedList } from '../hooks';
import { href, navigate } from '../router';
import { useSettings } from '../settings';
import { channelColumns } from './channels';

const DEFAULT_REASON = 'Closed via management plugin';

export async function closeConnection(name: string, reason: string): Promise<boolean> {
  return act(
    () => api.del(`/connections/${enc(name)}`, { 'x-reason': reason || DEFAULT_REASON }),
    `Connection ${name} closed.`,
  );
}

function clientName(c: Connection): string {
  const p = c.client_properties ?? {};
  const n = p['connection_name'];
  return typeof n === 'string' ? n : '';
}

function clientProduct(c: Connection): string {
  const p = c.client_properties ?? {};
  return [p['product'], p['version']]
    .filter((x) => x !== undefined)
    .map((x) => fmtValue(x))
    .join(' ');
}

export function ConnectionsPage() {
  const { vhost } = useSettings();
  const list = usePagedList<Connection>(
    vhost ? `/vhosts/${enc(vhost)}/connections` : '/connections',
    'name',
    'connections',
  );
  const cols: Column<Connection>[] = [];
  if (!vhost) cols.push({ label: 'Virtual host', sort: 'vhost', render: (c) => c.vhost ?? '' });
  cols.push(
    {
      label: 'Name',
      sort: 'name',
      render: (c) => (
        <>
          <a href={href('connections', c.name)} class="name">
            {c.name}
          </a>
          {clientName(c) && <div class="muted small">{clientName(c)}</div>}
        </>
      ),
    },
    { label: 'User name', sort: 'user', render: (c) => c.user ?? '' },
    { label: 'State', sort: 'state', render: (c) => <span class={`state-${c.state ?? ''}`}>{c.state}</span> },
    { label: 'TLS', sort: 'ssl', render: (c) => (c.ssl ? '●' : '○') },
    { label: 'Protocol', sort: 'protocol', render: (c) => c.protocol ?? '' },
    { label: 'Client', render: clientProduct },
    { label: 'Channels', sort: 'channels', num: true, render: (c) => fmtNum(c.channels) },
    {
      label: 'From client',
      sort: 'recv_oct_details.rate',
      num: true,
      render: (c) => fmtByteRate(c.recv_oct_details?.rate ?? 0),
    },
    {
      label: 'To client',
      sort: 'send_oct_details.rate',
      num: true,
      render: (c) => fmtByteRate(c.send_oct_details?.rate ?? 0),
    },
    {
      label: '',
      render: (c) => (
        <button
          type="button"
          class="small danger"
          name="close"
          title={`Close ${c.name}`}
          onClick={() => {
            if (window.confirm(`Close connection ${c.name}?`)) void closeConnection(c.name, DEFAULT_REASON);
          }}
        >
          Close
        </button>
      ),
    },
  );
  return (
    <div class="page" data-page="connections">
      <h1>Connections{vhost ? <span class="muted"> in {vhost}</span> : null}</h1>
      <ErrorBox error={list.error} />
      <Section title="All connections">
        <ListControls list={list} noun="connection" />
        <Table<Connection>
          testid="connections"
          columns={cols}
          rows={list.data?.items}
          rowKey={(c) => c.name}
          empty="No connections."
          sort={{
            key: list.query.sort,
            reverse: list.query.reverse,
            set: (sort, reverse) => list.setQuery({ sort, reverse }),
          }}
        />
      </Section>
    </div>
  );
}

export function ConnectionPage(props: { name: string }) {
  const base = `/connections/${enc(props.name)}`;
  const c = useApi<Connection>(base);
  const channels = useApi<Channel[]>(`${base}/channels`);
  const [reason, setReason] = useState(DEFAULT_REASON);
  const d = c.data;
  return (
    <div class="page" data-page="connection">
      <h1>
        Connection <span class="object-name">{props.name}</span>
      </h1>
      <ErrorBox error={c.error} />
      {d && (
        <>
          <Section title="Overview">
            <KV
              rows={[
                ['Client-provided name', clientName(d)],
                ['User name', d.user ?? ''],
                ['Virtual host', d.vhost ?? ''],
                ['State', d.state ?? ''],
                ['Protocol', d.protocol ?? ''],
                ['TLS', d.ssl ? 'yes' : 'no'],
                ['Authentication', d.auth_mechanism ?? ''],
                ['Connected at', fmtTime(d.connected_at)],
                ['Peer', d.peer_host !== undefined ? `${d.peer_host}:${d.peer_port ?? ''}` : ''],
                ['Channel max', fmtNum(d.channel_max)],
                ['Frame max', fmtNum(d.frame_max)],
                ['Heartbeat', d.timeout !== undefined ? `${d.timeout}s` : ''],
                ['From client', fmtByteRate(d.recv_oct_details?.rate ?? 0)],
                ['To client', fmtByteRate(d.send_oct_details?.rate ?? 0)],
              ]}
            />
          </Section>
          <Section title="Client properties" open={false}>
            <Args args={d.client_properties} />
          </Section>
          <Section title="Channels">
            <Table<Channel>
              columns={channelColumns(false)}
              rows={channels.data}
              error={channels.error}
              rowKey={(ch) => ch.name}
              empty="No channels."
            />
          </Section>
          <Section title="Close this connection">
            <form
              class="form"
              data-testid="close-connection"
              onSubmit={onSubmit(async () => {
                if (!window.confirm(`Close connection ${props.name}?`)) return;
                if (await closeConnection(props.name, reason)) navigate('connections');
              })}
            >
              <Field label="Reason">
                <input name="reason" value={reason} onInput={(e) => setReason(e.currentTarget.value)} />
              </Field>
              <div class="form-actions">
                <button type="submit" class="danger">
                  Force close
                </button>
              </div>
            </form>
          </Section>
        </>
      )}
    </div>
  );
}
