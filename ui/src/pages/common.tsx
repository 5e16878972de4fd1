/** Pieces shared by the queue and exchange pages: features, publish form, binding lists and forms. */
import { useState } from 'preact/hooks';
import { api, enc, exchangeSegment, type ApiError, type Binding, type Vhost } from '../api';
import {
  act,
  Args,
  ArgsEditor,
  argsToObject,
  confirmed,
  emptyArg,
  Field,
  notify,
  onSubmit,
  Pill,
  Table,
  type ArgRow,
} from '../components';
import { useApi } from '../hooks';
import { href } from '../router';
import { getSettings } from '../settings';

const ARG_ABBREV: Record<string, string> = {
  'x-message-ttl': 'TTL',
  'x-expires': 'Exp',
  'x-max-length': 'Lim',
  'x-max-length-bytes': 'Lim B',
  'x-overflow': 'Ovfl',
  'x-dead-letter-exchange': 'DLX',
  'x-dead-letter-routing-key': 'DLK',
  'x-max-priority': 'Pri',
  'x-single-active-consumer': 'SAC',
  'x-delivery-limit': 'DL',
  'x-queue-mode': 'Mode',
  'x-queue-type': '',
  'alternate-exchange': 'AE',
  'x-delayed-type': 'Delayed',
};

/** Durable / auto-delete / exclusive / internal and argument badges, with the full value on hover. */
export function Features(props: {
  durable?: boolean | undefined;
  autoDelete?: boolean | undefined;
  exclusive?: boolean | undefined;
  internal?: boolean | undefined;
  args?: Record<string, unknown> | undefined;
}) {
  const pills = [];
  if (props.durable)
    pills.push(
      <Pill key="D" title="durable: true">
        D
      </Pill>,
    );
  if (props.autoDelete)
    pills.push(
      <Pill key="AD" title="auto-delete: true">
        AD
      </Pill>,
    );
  if (props.exclusive)
    pills.push(
      <Pill key="Excl" title="exclusive: true">
        Excl
      </Pill>,
    );
  if (props.internal)
    pills.push(
      <Pill key="I" title="internal: true">
        I
      </Pill>,
    );
  for (const [k, v] of Object.entries(props.args ?? {})) {
    const a = ARG_ABBREV[k];
    if (a === '') continue;
    pills.push(
      <Pill key={k} title={`${k}: ${JSON.stringify(v)}`} kind="arg">
        {a ?? 'Args'}
      </Pill>,
    );
  }
  return <span class="features">{pills}</span>;
}

/** The vhosts the user can see, for the vhost field of "add" forms. */
export function useVhostNames(): string[] {
  const v = useApi<Vhost[]>('/vhosts?columns=name');
  return (v.data ?? []).map((x) => x.name).sort();
}

export function VhostField(props: { value: string; onChange: (v: string) => void }) {
  const names = useVhostNames();
  return (
    <Field label="Virtual host">
      <select name="vhost" value={props.value} onChange={(e) => props.onChange(e.currentTarget.value)}>
        {(names.includes(props.value) ? names : [props.value, ...names]).map((n) => (
          <option key={n} value={n}>
            {n}
          </option>
        ))}
      </select>
    </Field>
  );
}

export function defaultVhost(): string {
  return getSettings().vhost || '/';
}

/** Publish to an exchange; on a queue's page, to the default exchange with the queue's name. */
export function PublishForm(props: { vhost: string; exchange: string; fixedRoutingKey?: string }) {
  const [routingKey, setRoutingKey] = useState(props.fixedRoutingKey ?? '');
  const [deliveryMode, setDeliveryMode] = useState('1');
  const [headers, setHeaders] = useState<ArgRow[]>([emptyArg()]);
  const [properties, setProperties] = useState<ArgRow[]>([emptyArg()]);
  const [payload, setPayload] = useState('');
  const [encoding, setEncoding] = useState('string');
  const submit = async () => {
    let props2: Record<string, unknown>;
    let hdrs: Record<string, unknown>;
    try {
      props2 = argsToObject(properties);
      hdrs = argsToObject(headers);
    } catch (e) {
      notify('error', (e as Error).message);
      return;
    }
    const properties2: Record<string, unknown> = { ...props2, delivery_mode: Number(deliveryMode) };
    if (Object.keys(hdrs).length > 0) properties2['headers'] = hdrs;
    let routed = false;
    const ok = await act(async () => {
      const res = await api.post<{ routed?: boolean }>(
        `/exchanges/${enc(props.vhost)}/${exchangeSegment(props.exchange)}/publish`,
        {
          properties: properties2,
          routing_key: props.fixedRoutingKey ?? routingKey,
          payload,
          payload_encoding: encoding,
        },
      );
      routed = res?.routed !== false;
    });
    if (ok) notify('ok', routed ? 'Message published.' : 'Message published, but not routed.');
  };
  return (
    <form class="form" onSubmit={onSubmit(submit)} data-testid="publish-form">
      {props.fixedRoutingKey === undefined ? (
        <Field label="Routing key">
          <input
            name="routing_key"
            value={routingKey}
            onInput={(e) => setRoutingKey(e.currentTarget.value)}
          />
        </Field>
      ) : (
        <p class="hint">
          Published to the default exchange with routing key <b>{props.fixedRoutingKey}</b>, so it is routed
          to this queue.
        </p>
      )}
      <Field label="Delivery mode">
        <select
          name="delivery_mode"
          value={deliveryMode}
          onChange={(e) => setDeliveryMode(e.currentTarget.value)}
        >
          <option value="1">1 - Non-persistent</option>
          <option value="2">2 - Persistent</option>
        </select>
      </Field>
      <Field label="Headers">
        <ArgsEditor name="header" rows={headers} onChange={setHeaders} />
      </Field>
      <Field label="Properties">
        <ArgsEditor
          name="property"
          rows={properties}
          onChange={setProperties}
          shortcuts={[
            { key: 'content_type', type: 'string' },
            { key: 'correlation_id', type: 'string' },
            { key: 'reply_to', type: 'string' },
            { key: 'expiration', type: 'string' },
            { key: 'message_id', type: 'string' },
            { key: 'priority', type: 'number' },
            { key: 'type', type: 'string' },
          ]}
        />
      </Field>
      <Field label="Payload">
        <textarea
          name="payload"
          rows={5}
          value={payload}
          onInput={(e) => setPayload(e.currentTarget.value)}
        />
      </Field>
      <Field label="Payload encoding">
        <select name="payload_encoding" value={encoding} onChange={(e) => setEncoding(e.currentTarget.value)}>
          <option value="string">String (default)</option>
          <option value="base64">Base64</option>
        </select>
      </Field>
      <div class="form-actions">
        <button type="submit" class="primary">
          Publish message
        </button>
      </div>
    </form>
  );
}

export function bindingPath(b: Binding): string {
  const kind = b.destination_type === 'queue' ? 'q' : 'e';
  const props = b.properties_key ?? (b.routing_key === '' ? '~' : b.routing_key);
  return `/bindings/${enc(b.vhost)}/e/${exchangeSegment(b.source)}/${kind}/${enc(b.destination)}/${enc(props)}`;
}

export function unbind(b: Binding): void {
  if (!confirmed(`Remove the binding from ${b.source} to ${b.destination} with key "${b.routing_key}"?`))
    return;
  void act(() => api.del(bindingPath(b)), 'Binding removed.');
}

/** Bindings with one end fixed (this queue or exchange) and a link to the other end. */
export function BindingsTable(props: {
  bindings: Binding[] | undefined;
  show: 'source' | 'destination';
  error?: ApiError | undefined;
}) {
  return (
    <Table<Binding>
      error={props.error}
      testid={`bindings-${props.show}`}
      rows={props.bindings}
      rowKey={(b) =>
        `${b.source}|${b.destination_type}|${b.destination}|${b.properties_key ?? b.routing_key}`
      }
      empty="No bindings."
      columns={[
        {
          label: props.show === 'source' ? 'From' : 'To',
          render: (b) => {
            if (props.show === 'source')
              return b.source === '' ? (
                <i>(Default exchange binding)</i>
              ) : (
                <a href={href('exchanges', b.vhost, b.source)}>{b.source}</a>
              );
            const kind = b.destination_type === 'queue' ? 'queues' : 'exchanges';
            return (
              <>
                <span class="muted">{b.destination_type === 'queue' ? 'queue ' : 'exchange '}</span>
                <a href={href(kind, b.vhost, b.destination)}>{b.destination}</a>
              </>
            );
          },
        },
        { label: 'Routing key', render: (b) => <code>{b.routing_key}</code> },
        { label: 'Arguments', render: (b) => <Args args={b.arguments} /> },
        {
          label: '',
          render: (b) =>
            b.source === '' ? null : (
              <button type="button" class="small" onClick={() => unbind(b)}>
                Unbind
              </button>
            ),
        },
      ]}
    />
  );
}

/**
 * Adds a binding: from an exchange to this queue (fixed destination), or from this exchange to a
 * queue or exchange (fixed source).
 */
export function AddBindingForm(props: {
  vhost: string;
  fixed: { source: string } | { destination: string; type: 'queue' };
}) {
  const [other, setOther] = useState('');
  const [destType, setDestType] = useState<'q' | 'e'>('q');
  const [routingKey, setRoutingKey] = useState('');
  const [args, setArgs] = useState<ArgRow[]>([emptyArg()]);
  const fromThisExchange = 'source' in props.fixed;
  const submit = async () => {
    let a: Record<string, unknown>;
    try {
      a = argsToObject(args);
    } catch (e) {
      notify('error', (e as Error).message);
      return;
    }
    if (other === '') {
      notify('error', fromThisExchange ? 'Name the destination.' : 'Name the exchange to bind from.');
      return;
    }
    const v = enc(props.vhost);
    const path =
      'source' in props.fixed
        ? `/bindings/${v}/e/${exchangeSegment(props.fixed.source)}/${destType}/${enc(other)}`
        : `/bindings/${v}/e/${exchangeSegment(other)}/q/${enc(props.fixed.destination)}`;
    if (await act(() => api.post(path, { routing_key: routingKey, arguments: a }), 'Binding added.')) {
      setRoutingKey('');
      setArgs([emptyArg()]);
    }
  };
  return (
    <form class="form" onSubmit={onSubmit(submit)} data-testid="binding-form">
      {fromThisExchange ? (
        <Field label="To">
          <select
            name="destination_type"
            value={destType}
            onChange={(e) => setDestType(e.currentTarget.value as 'q' | 'e')}
          >
            <option value="q">To queue</option>
            <option value="e">To exchange</option>
          </select>{' '}
          <input name="destination" value={other} onInput={(e) => setOther(e.currentTarget.value)} />
        </Field>
      ) : (
        <Field label="From exchange">
          <input name="source" value={other} onInput={(e) => setOther(e.currentTarget.value)} />
        </Field>
      )}
      <Field label="Routing key">
        <input name="routing_key" value={routingKey} onInput={(e) => setRoutingKey(e.currentTarget.value)} />
      </Field>
      <Field label="Arguments">
        <ArgsEditor name="binding-arg" rows={args} onChange={setArgs} />
      </Field>
      <div class="form-actions">
        <button type="submit" class="primary">
          Bind
        </button>
      </div>
    </form>
  );
}
