/** Exchanges: the paged list with add form, and one exchange's page (bindings, publish, delete). */
import { useState } from 'preact/hooks';
import { api, enc, exchangeSegment, type Binding, type Exchange, type Overview } from '../api';
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
import { fmtRate } from '../format';
import { useApi, usePagedList } from '../hooks';
import { href, navigate } from '../router';
import { useSettings } from '../settings';
import { AddBindingForm, BindingsTable, defaultVhost, Features, PublishForm, VhostField } from './common';

const displayName = (n: string) => (n === '' ? '(AMQP default)' : n);

export function ExchangesPage() {
  const { vhost } = useSettings();
  const list = usePagedList<Exchange>(vhost ? `/exchanges/${enc(vhost)}` : '/exchanges', 'name', 'exchanges');
  const cols: Column<Exchange>[] = [];
  if (!vhost) cols.push({ label: 'Virtual host', sort: 'vhost', render: (x) => x.vhost });
  cols.push(
    {
      label: 'Name',
      sort: 'name',
      render: (x) => (
        <a href={href('exchanges', x.vhost, x.name === '' ? 'amq.default' : x.name)} class="name">
          {displayName(x.name)}
        </a>
      ),
    },
    { label: 'Type', sort: 'type', render: (x) => x.type },
    {
      label: 'Features',
      render: (x) => (
        <Features durable={x.durable} autoDelete={x.auto_delete} internal={x.internal} args={x.arguments} />
      ),
    },
    { label: 'Policy', sort: 'policy', render: (x) => x.policy ?? '' },
    {
      label: 'Message rate in',
      sort: 'message_stats.publish_in_details.rate',
      num: true,
      render: (x) => fmtRate(x.message_stats?.publish_in_details?.rate ?? 0),
    },
    {
      label: 'Message rate out',
      sort: 'message_stats.publish_out_details.rate',
      num: true,
      render: (x) => fmtRate(x.message_stats?.publish_out_details?.rate ?? 0),
    },
  );
  return (
    <div class="page" data-page="exchanges">
      <h1>Exchanges{vhost ? <span class="muted"> in {vhost}</span> : null}</h1>
      <ErrorBox error={list.error} />
      <Section title="All exchanges">
        <ListControls list={list} noun="exchange" />
        <Table<Exchange>
          testid="exchanges"
          columns={cols}
          rows={list.data?.items}
          rowKey={(x) => `${x.vhost}\0${x.name}`}
          empty="No exchanges match."
          sort={{
            key: list.query.sort,
            reverse: list.query.reverse,
            set: (sort, reverse) => list.setQuery({ sort, reverse }),
          }}
        />
      </Section>
      <Section title="Add a new exchange">
        <AddExchangeForm />
      </Section>
    </div>
  );
}

function AddExchangeForm() {
  const types = useApi<Overview>('/overview?columns=exchange_types');
  const typeNames = (types.data?.exchange_types ?? []).map((t) => t.name);
  const [vhost, setVhost] = useState(defaultVhost);
  const [name, setName] = useState('');
  const [type, setType] = useState('direct');
  const [durable, setDurable] = useState('true');
  const [autoDelete, setAutoDelete] = useState('false');
  const [internal, setInternal] = useState('false');
  const [args, setArgs] = useState<ArgRow[]>([emptyArg()]);
  const submit = async () => {
    if (name === '') {
      notify('error', 'Name the exchange.');
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
        api.put(`/exchanges/${enc(vhost)}/${enc(name)}`, {
          type,
          durable: durable === 'true',
          auto_delete: autoDelete === 'true',
          internal: internal === 'true',
          arguments: a,
        }),
      `Exchange ${name} declared.`,
    );
    if (ok) {
      setName('');
      setArgs([emptyArg()]);
    }
  };
  const all = Array.from(new Set(['direct', 'fanout', 'topic', 'headers', ...typeNames]));
  return (
    <form class="form" onSubmit={onSubmit(submit)} data-testid="add-exchange">
      <VhostField value={vhost} onChange={setVhost} />
      <Field label="Name">
        <input name="name" value={name} onInput={(e) => setName(e.currentTarget.value)} required />
      </Field>
      <Field label="Type">
        <select name="type" value={type} onChange={(e) => setType(e.currentTarget.value)}>
          {all.map((t) => (
            <option key={t} value={t}>
              {t}
            </option>
          ))}
        </select>
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
      <Field label="Internal">
        <select name="internal" value={internal} onChange={(e) => setInternal(e.currentTarget.value)}>
          <option value="false">No</option>
          <option value="true">Yes</option>
        </select>
      </Field>
      <Field label="Arguments">
        <ArgsEditor
          name="arg"
          rows={args}
          onChange={setArgs}
          shortcuts={[
            { key: 'alternate-exchange', type: 'string' },
            { key: 'x-delayed-type', type: 'string' },
          ]}
        />
      </Field>
      <div class="form-actions">
        <button type="submit" class="primary">
          Add exchange
        </button>
      </div>
    </form>
  );
}

export function ExchangePage(props: { vhost: string; name: string }) {
  const { vhost } = props;
  // the default exchange is amq.default in URLs
  const name = props.name === 'amq.default' ? '' : props.name;
  const base = `/exchanges/${enc(vhost)}/${exchangeSegment(name)}`;
  const x = useApi<Exchange>(base);
  const out = useApi<Binding[]>(`${base}/bindings/source`);
  const into = useApi<Binding[]>(`${base}/bindings/destination`);
  const d = x.data;
  const builtIn = name === '' || name.startsWith('amq.');
  return (
    <div class="page" data-page="exchange">
      <h1>
        Exchange <span class="object-name">{displayName(name)}</span>
        <span class="muted"> in virtual host {vhost}</span>
      </h1>
      <ErrorBox error={x.error} />
      {d && (
        <>
          <Section title="Overview">
            <KV
              rows={[
                ['Type', d.type],
                [
                  'Features',
                  <Features
                    durable={d.durable}
                    autoDelete={d.auto_delete}
                    internal={d.internal}
                    args={d.arguments}
                  />,
                ],
                ['Arguments', <Args args={d.arguments} />],
                ['Policy', d.policy ?? ''],
                ['Message rate in', fmtRate(d.message_stats?.publish_in_details?.rate ?? 0)],
                ['Message rate out', fmtRate(d.message_stats?.publish_out_details?.rate ?? 0)],
              ]}
            />
          </Section>
          <Section title="Bindings">
            {name === '' ? (
              <p class="hint">
                The default exchange is implicitly bound to every queue, with a routing key equal to the queue
                name. It is not possible to bind to or unbind from it.
              </p>
            ) : (
              <>
                <h3>This exchange routes to</h3>
                <BindingsTable bindings={out.data} error={out.error} show="destination" />
                {(into.data?.length ?? 0) > 0 && (
                  <>
                    <h3>Exchanges that route to this one</h3>
                    <BindingsTable bindings={into.data} show="source" />
                  </>
                )}
                <h3>Add binding from this exchange</h3>
                <AddBindingForm vhost={vhost} fixed={{ source: name }} />
              </>
            )}
          </Section>
          <Section title="Publish message">
            <PublishForm vhost={vhost} exchange={name} />
          </Section>
          {!builtIn && (
            <Section title="Delete this exchange">
              <button
                type="button"
                class="danger"
                name="delete"
                onClick={() => {
                  if (!confirmed(`Delete exchange ${name}?`)) return;
                  void act(() => api.del(base), `Exchange ${name} deleted.`).then((ok) => {
                    if (ok) navigate('exchanges');
                  });
                }}
              >
                Delete
              </button>
            </Section>
          )}
        </>
      )}
    </div>
  );
}
