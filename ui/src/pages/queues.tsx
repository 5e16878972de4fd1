/** Queues: the paged list with add form, and one queue's page. */
import { useState } from 'preact/hooks';
import { api, enc, type Binding, type ConsumerDetail, type GotMessage, type Queue } from '../api';
import { Chart, useHistory } from '../chart';
import {
  act,
  Args,
  ArgsEditor,
  argsToObject,
  confirmed,
  emptyArg,
  ErrorBox,
  Field,
  KV,
  ListControls,
  notify,
  onSubmit,
  Section,
  Table,
  type ArgRow,
  type Column,
} from '../components';
import { fmtBytes, fmtNum, fmtRate, fmtValue } from '../format';
import { useApi, usePagedList } from '../hooks';
import { href, navigate } from '../router';
import { useSettings } from '../settings';
import { AddBindingForm, BindingsTable, defaultVhost, Features, PublishForm, VhostField } from './common';

const rate = (q: Queue, k: 'publish_details' | 'deliver_get_details' | 'ack_details' | 'redeliver_details') =>
  fmtRate(q.message_stats?.[k]?.rate ?? 0);

export function QueuesPage() {
  const { vhost } = useSettings();
  const list = usePagedList<Queue>(vhost ? `/queues/${enc(vhost)}` : '/queues', 'name', 'queues');
  const cols: Column<Queue>[] = [];
  if (!vhost) cols.push({ label: 'Virtual host', sort: 'vhost', render: (q) => q.vhost });
  cols.push(
    {
      label: 'Name',
      sort: 'name',
      render: (q) => (
        <a href={href('queues', q.vhost, q.name)} class="name">
          {q.name}
        </a>
      ),
    },
    { label: 'Type', sort: 'type', render: (q) => q.type ?? 'classic' },
    {
      label: 'Features',
      render: (q) => (
        <Features durable={q.durable} autoDelete={q.auto_delete} exclusive={q.exclusive} args={q.arguments} />
      ),
    },
    { label: 'Policy', sort: 'policy', render: (q) => q.policy ?? '' },
    { label: 'State', sort: 'state', render: (q) => <span class={`state-${q.state ?? ''}`}>{q.state}</span> },
    { label: 'Consumers', sort: 'consumers', num: true, render: (q) => fmtNum(q.consumers) },
    { label: 'Ready', sort: 'messages_ready', num: true, render: (q) => fmtNum(q.messages_ready) },
    {
      label: 'Unacked',
      sort: 'messages_unacknowledged',
      num: true,
      render: (q) => fmtNum(q.messages_unacknowledged),
    },
    { label: 'Total', sort: 'messages', num: true, render: (q) => fmtNum(q.messages) },
    {
      label: 'incoming',
      sort: 'message_stats.publish_details.rate',
      num: true,
      render: (q) => rate(q, 'publish_details'),
    },
    {
      label: 'deliver / get',
      sort: 'message_stats.deliver_get_details.rate',
      num: true,
      render: (q) => rate(q, 'deliver_get_details'),
    },
    {
      label: 'ack',
      sort: 'message_stats.ack_details.rate',
      num: true,
      render: (q) => rate(q, 'ack_details'),
    },
  );
  return (
    <div class="page" data-page="queues">
      <h1>Queues{vhost ? <span class="muted"> in {vhost}</span> : null}</h1>
      <ErrorBox error={list.error} />
      <Section title="All queues">
        <ListControls list={list} noun="queue" />
        <Table<Queue>
          testid="queues"
          columns={cols}
          rows={list.data?.items}
          rowKey={(q) => `${q.vhost}\0${q.name}`}
          empty="No queues match."
          groups={[
            { label: 'Overview', span: cols.length - 6 },
            { label: 'Messages', span: 3 },
            { label: 'Message rates', span: 3 },
          ]}
          sort={{
            key: list.query.sort,
            reverse: list.query.reverse,
            set: (sort, reverse) => list.setQuery({ sort, reverse }),
          }}
        />
      </Section>
      <Section title="Add a new queue">
        <AddQueueForm />
      </Section>
    </div>
  );
}

const QUEUE_ARG_SHORTCUTS: { key: string; type: 'string' | 'number' | 'boolean' }[] = [
  { key: 'x-message-ttl', type: 'number' },
  { key: 'x-expires', type: 'number' },
  { key: 'x-max-length', type: 'number' },
  { key: 'x-max-length-bytes', type: 'number' },
  { key: 'x-overflow', type: 'string' },
  { key: 'x-dead-letter-exchange', type: 'string' },
  { key: 'x-dead-letter-routing-key', type: 'string' },
  { key: 'x-max-priority', type: 'number' },
  { key: 'x-single-active-consumer', type: 'boolean' },
  { key: 'x-delivery-limit', type: 'number' },
];

function AddQueueForm() {
  const [vhost, setVhost] = useState(defaultVhost);
  const [name, setName] = useState('');
  const [durable, setDurable] = useState('true');
  const [autoDelete, setAutoDelete] = useState('false');
  const [args, setArgs] = useState<ArgRow[]>([emptyArg()]);
  const submit = async () => {
    if (name === '') {
      notify('error', 'Name the queue.');
      return;
    }
    let a: Record<string, unknown>;
    try {
      a = argsToObject(args);
    } catch (e) {
      notify('error', (e as Error).message);
      return;
    }
    const ok = await act(
      () =>
        api.put(`/queues/${enc(vhost)}/${enc(name)}`, {
          durable: durable === 'true',
          auto_delete: autoDelete === 'true',
          arguments: a,
        }),
      `Queue ${name} declared.`,
    );
    if (ok) {
      setName('');
      setArgs([emptyArg()]);
    }
  };
  return (
    <form class="form" onSubmit={onSubmit(submit)} data-testid="add-queue">
      <VhostField value={vhost} onChange={setVhost} />
      <Field label="Type">
        <select name="type" disabled>
          <option>Classic</option>
        </select>
      </Field>
      <Field label="Name">
        <input name="name" value={name} onInput={(e) => setName(e.currentTarget.value)} required />
      </Field>
      <Field label="Durability">
        <select name="durable" value={durable} onChange={(e) => setDurable(e.currentTarget.value)}>
          <option value="true">Durable</option>
          <option value="false">Transient</option>
        </select>
      </Field>
      <Field label="Auto delete">
        <select name="auto_delete" value={autoDelete} onChange={(e) => setAutoDelete(e.currentTarget.value)}>
          <option value="false">No</option>
          <option value="true">Yes</option>
        </select>
      </Field>
      <Field label="Arguments">
        <ArgsEditor name="arg" rows={args} onChange={setArgs} shortcuts={QUEUE_ARG_SHORTCUTS} />
      </Field>
      <div class="form-actions">
        <button type="submit" class="primary">
          Add queue
        </button>
      </div>
    </form>
  );
}

const QUEUE_RATE_SERIES = [
  { label: 'Publish', color: '#d4a017' },
  { label: 'Deliver / get', color: '#3b82c4' },
  { label: 'Redelivered', color: '#b84fb8' },
  { label: 'Ack', color: '#7a7a7a' },
];

export function QueuePage(props: { vhost: string; name: string }) {
  const { vhost, name } = props;
  const base = `/queues/${enc(vhost)}/${enc(name)}`;
  const q = useApi<Queue>(base);
  const bindings = useApi<Binding[]>(`${base}/bindings`);
  const d = q.data;
  const key = `queue:${vhost}\0${name}`;
  const queued = useHistory(
    `${key}.queued`,
    d,
    d ? [d.messages_ready ?? 0, d.messages_unacknowledged ?? 0, d.messages ?? 0] : undefined,
  );
  const ms = d?.message_stats;
  const rates = useHistory(
    `${key}.rates`,
    d,
    d
      ? [
          ms?.publish_details?.rate ?? 0,
          ms?.deliver_get_details?.rate ?? 0,
          ms?.redeliver_details?.rate ?? 0,
          ms?.ack_details?.rate ?? 0,
        ]
      : undefined,
  );
  return (
    <div class="page" data-page="queue">
      <h1>
        Queue <span class="object-name">{name}</span>
        <span class="muted"> in virtual host {vhost}</span>
      </h1>
      <ErrorBox error={q.error} />
      {d && (
        <>
          <Section title="Overview">
            <div class="overview-grid">
              <div>
                <KV
                  rows={[
                    [
                      'Features',
                      <Features
                        durable={d.durable}
                        autoDelete={d.auto_delete}
                        exclusive={d.exclusive}
                        args={d.arguments}
                      />,
                    ],
                    ['Arguments', <Args args={d.arguments} />],
                    ['Policy', d.policy ?? ''],
                    ['Effective policy definition', <Args args={d.effective_policy_definition} />],
                    ['State', d.state ?? ''],
                    ['Consumers', fmtNum(d.consumers)],
                    [
                      'Consumer capacity',
                      d.consumer_capacity !== undefined && d.consumer_capacity !== null
                        ? `${Math.round(d.consumer_capacity * 100)}%`
                        : '',
                    ],
                  ]}
                />
              </div>
              <div>
                <table class="kv" data-testid="queue-counts">
                  <tbody>
                    <tr>
                      <th>Ready</th>
                      <td class="num" data-testid="ready">
                        {fmtNum(d.messages_ready)}
                      </td>
                    </tr>
                    <tr>
                      <th>Unacked</th>
                      <td class="num" data-testid="unacked">
                        {fmtNum(d.messages_unacknowledged)}
                      </td>
                    </tr>
                    <tr>
                      <th>Total</th>
                      <td class="num" data-testid="total">
                        {fmtNum(d.messages)}
                      </td>
                    </tr>
                    <tr>
                      <th>Message bytes</th>
                      <td class="num">{fmtBytes(d.message_bytes)}</td>
                    </tr>
                    <tr>
                      <th>Memory</th>
                      <td class="num">{fmtBytes(d.memory)}</td>
                    </tr>
                  </tbody>
                </table>
              </div>
            </div>
            <div class="charts">
              <Chart
                title="Queued messages"
                series={[
                  { label: 'Ready', color: '#d4a017' },
                  { label: 'Unacked', color: '#3b82c4' },
                  { label: 'Total', color: '#7a7a7a' },
                ]}
                samples={queued}
                format={fmtNum}
              />
              <Chart title="Message rates" series={QUEUE_RATE_SERIES} samples={rates} format={fmtRate} />
            </div>
          </Section>
          <Section title={`Consumers (${d.consumer_details?.length ?? d.consumers ?? 0})`}>
            <Table<ConsumerDetail>
              testid="consumers"
              rows={d.consumer_details ?? []}
              rowKey={(c) => `${c.channel_details?.name ?? ''}|${c.consumer_tag}`}
              empty="No consumers."
              columns={[
                {
                  label: 'Channel',
                  render: (c) => c.channel_details?.name ?? '',
                },
                { label: 'Consumer tag', render: (c) => <code>{c.consumer_tag}</code> },
                { label: 'Ack required', render: (c) => (c.ack_required ? '●' : '○') },
                { label: 'Exclusive', render: (c) => (c.exclusive ? '●' : '○') },
                { label: 'Prefetch count', num: true, render: (c) => fmtNum(c.prefetch_count) },
                {
                  label: 'Active',
                  render: (c) => c.activity_status ?? (c.active === false ? 'waiting' : 'up'),
                },
                { label: 'Arguments', render: (c) => <Args args={c.arguments} /> },
              ]}
            />
          </Section>
          <Section title="Bindings">
            <BindingsTable bindings={bindings.data} error={bindings.error} show="source" />
            <h3>Add binding to this queue</h3>
            <AddBindingForm vhost={vhost} fixed={{ destination: name, type: 'queue' }} />
          </Section>
          <Section title="Publish message" open={true}>
            <PublishForm vhost={vhost} exchange="" fixedRoutingKey={name} />
          </Section>
          <Section title="Get messages" open={true}>
            <GetMessages base={base} />
          </Section>
          <Section title="Delete or purge">
            <div class="danger-actions">
              <button
                type="button"
                class="danger"
                name="delete"
                onClick={() => {
                  if (!confirmed(`Delete queue ${name}?`)) return;
                  void act(() => api.del(base), `Queue ${name} deleted.`).then((ok) => {
                    if (ok) navigate('queues');
                  });
                }}
              >
                Delete queue
              </button>
              <button
                type="button"
                class="danger"
                name="purge"
                onClick={() => {
                  if (!confirmed(`Purge all ready messages of ${name}?`)) return;
                  void act(() => api.del(`${base}/contents`), `Queue ${name} purged.`);
                }}
              >
                Purge messages
              </button>
            </div>
          </Section>
        </>
      )}
    </div>
  );
}

function GetMessages(props: { base: string }) {
  const [ackmode, setAckmode] = useState('ack_requeue_true');
  const [encoding, setEncoding] = useState('auto');
  const [count, setCount] = useState('1');
  const [messages, setMessages] = useState<GotMessage[] | undefined>(undefined);
  const submit = async () => {
    await act(async () => {
      const got = await api.post<GotMessage[]>(`${props.base}/get`, {
        count: Number(count) || 1,
        ackmode,
        encoding,
        truncate: 50000,
      });
      setMessages(got);
    });
  };
  return (
    <>
      <form class="form" onSubmit={onSubmit(submit)} data-testid="get-form">
        <p class="hint">
          Getting messages is destructive: unless requeued, they leave the queue. Requeued messages come back
          marked redelivered.
        </p>
        <Field label="Ack mode">
          <select name="ackmode" value={ackmode} onChange={(e) => setAckmode(e.currentTarget.value)}>
            <option value="ack_requeue_true">Nack message requeue true</option>
            <option value="ack_requeue_false">Automatic ack</option>
            <option value="reject_requeue_true">Reject requeue true</option>
            <option value="reject_requeue_false">Reject requeue false</option>
          </select>
        </Field>
        <Field label="Encoding">
          <select name="encoding" value={encoding} onChange={(e) => setEncoding(e.currentTarget.value)}>
            <option value="auto">Auto string / base64</option>
            <option value="base64">Base64</option>
          </select>
        </Field>
        <Field label="Messages">
          <input
            name="count"
            type="number"
            min="1"
            value={count}
            onInput={(e) => setCount(e.currentTarget.value)}
          />
        </Field>
        <div class="form-actions">
          <button type="submit" class="primary">
            Get message(s)
          </button>
        </div>
      </form>
      {messages !== undefined && (
        <div class="messages" data-testid="messages">
          {messages.length === 0 ? (
            <p class="muted">Queue is empty.</p>
          ) : (
            messages.map((m, i) => (
              <div class="message" key={i}>
                <h3>Message {i + 1}</h3>
                <p class="muted">The server reported {fmtNum(m.message_count)} messages remaining.</p>
                <KV
                  rows={[
                    ['Exchange', m.exchange === '' ? '(AMQP default)' : (m.exchange ?? '')],
                    ['Routing key', m.routing_key ?? ''],
                    ['Redelivered', m.redelivered ? '●' : '○'],
                    ['Properties', <Args args={m.properties} />],
                    [
                      'Payload',
                      <>
                        <span class="muted">
                          {fmtNum(m.payload_bytes)} bytes, encoding: {m.payload_encoding}
                        </span>
                        <pre class="payload" data-testid="payload">
                          {fmtValue(m.payload)}
                        </pre>
                      </>,
                    ],
                  ]}
                />
              </div>
            ))
          )}
        </div>
      )}
    </>
  );
}
