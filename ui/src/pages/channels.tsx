/** Channels: the paged list. */
import { enc, type Channel } from '../api';
import { ErrorBox, ListControls, Pill, Section, Table, type Column } from '../components';
import { fmtNum, fmtRate } from '../format';
import { usePagedList } from '../hooks';
import { href } from '../router';
import { useSettings } from '../settings';

export function channelColumns(withVhost: boolean): Column<Channel>[] {
  const cols: Column<Channel>[] = [];
  if (withVhost) cols.push({ label: 'Virtual host', sort: 'vhost', render: (c) => c.vhost ?? '' });
  cols.push(
    {
      label: 'Channel',
      sort: 'name',
      render: (c) =>
        c.connection_details?.name ? (
          <a href={href('connections', c.connection_details.name)} class="name">
            {c.name}
          </a>
        ) : (
          c.name
        ),
    },
    { label: 'User name', sort: 'user', render: (c) => c.user ?? '' },
    {
      label: 'Mode',
      render: (c) => (
        <>
          {c.confirm && <Pill title="confirm mode">C</Pill>}
          {c.transactional && <Pill title="transactional">T</Pill>}
        </>
      ),
    },
    { label: 'State', sort: 'state', render: (c) => <span class={`state-${c.state ?? ''}`}>{c.state}</span> },
    { label: 'Consumers', sort: 'consumer_count', num: true, render: (c) => fmtNum(c.consumer_count) },
    {
      label: 'Prefetch',
      sort: 'prefetch_count',
      num: true,
      render: (c) =>
        `${fmtNum(c.prefetch_count)}${c.global_prefetch_count ? ` (${fmtNum(c.global_prefetch_count)} global)` : ''}`,
    },
    {
      label: 'Unacked',
      sort: 'messages_unacknowledged',
      num: true,
      render: (c) => fmtNum(c.messages_unacknowledged),
    },
    {
      label: 'Unconfirmed',
      sort: 'messages_unconfirmed',
      num: true,
      render: (c) => fmtNum(c.messages_unconfirmed),
    },
    {
      label: 'publish',
      sort: 'message_stats.publish_details.rate',
      num: true,
      render: (c) => fmtRate(c.message_stats?.publish_details?.rate ?? 0),
    },
    {
      label: 'deliver / get',
      sort: 'message_stats.deliver_get_details.rate',
      num: true,
      render: (c) => fmtRate(c.message_stats?.deliver_get_details?.rate ?? 0),
    },
    {
      label: 'ack',
      sort: 'message_stats.ack_details.rate',
      num: true,
      render: (c) => fmtRate(c.message_stats?.ack_details?.rate ?? 0),
    },
  );
  return cols;
}

export function ChannelsPage() {
  const { vhost } = useSettings();
  const list = usePagedList<Channel>(
    vhost ? `/vhosts/${enc(vhost)}/channels` : '/channels',
    'name',
    'channels',
  );
  return (
    <div class="page" data-page="channels">
      <h1>Channels{vhost ? <span class="muted"> in {vhost}</span> : null}</h1>
      <ErrorBox error={list.error} />
      <Section title="All channels">
        <ListControls list={list} noun="channel" />
        <Table<Channel>
          testid="channels"
          columns={channelColumns(!vhost)}
          rows={list.data?.items}
          rowKey={(c) => c.name}
          empty="No channels."
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
