/** Policies: the list of the selected vhost (or all) and an add/update form. */
import { useState } from 'preact/hooks';
import { api, enc, type Policy } from '../api';
import {
  act,
  Args,
  ArgsEditor,
  argsToObject,
  confirmed,
  emptyArg,
  ErrorBox,
  Field,
  notify,
  onSubmit,
  Section,
  Table,
  type ArgRow,
  type ArgType,
  type Column,
} from '../components';
import { useApi } from '../hooks';
import { useSettings } from '../settings';
import { defaultVhost, VhostField } from './common';

function typeOf(v: unknown): ArgType {
  if (typeof v === 'number') return 'number';
  if (typeof v === 'boolean') return 'boolean';
  if (Array.isArray(v)) return 'list';
  return 'string';
}

export function PoliciesPage() {
  const { vhost } = useSettings();
  const policies = useApi<Policy[]>(vhost ? `/policies/${enc(vhost)}` : '/policies');
  const [editing, setEditing] = useState<Policy | undefined>(undefined);
  const [formKey, setFormKey] = useState(0);
  const cols: Column<Policy>[] = [];
  if (!vhost) cols.push({ label: 'Virtual host', render: (p) => p.vhost });
  cols.push(
    { label: 'Name', render: (p) => <b>{p.name}</b> },
    { label: 'Pattern', render: (p) => <code>{p.pattern}</code> },
    { label: 'Apply to', render: (p) => p['apply-to'] },
    { label: 'Definition', render: (p) => <Args args={p.definition} /> },
    { label: 'Priority', num: true, render: (p) => p.priority },
    {
      label: '',
      render: (p) => (
        <span class="row-actions">
          <button
            type="button"
            class="small"
            onClick={() => {
              setEditing(p);
              setFormKey((k) => k + 1);
              document.getElementById('policy-form')?.scrollIntoView();
            }}
          >
            Edit
          </button>
          <button
            type="button"
            class="small danger"
            onClick={() => {
              if (!confirmed(`Delete policy ${p.name}?`)) return;
              void act(
                () => api.del(`/policies/${enc(p.vhost)}/${enc(p.name)}`),
                `Policy ${p.name} deleted.`,
              );
            }}
          >
            Delete
          </button>
        </span>
      ),
    },
  );
  return (
    <div class="page" data-page="policies">
      <h1>Policies{vhost ? <span class="muted"> in {vhost}</span> : null}</h1>
      <ErrorBox error={policies.error} />
      <Section title="User policies">
        <Table<Policy>
          testid="policies"
          rows={policies.data
            ?.slice()
            .sort(
              (a, b) =>
                a.vhost.localeCompare(b.vhost) || b.priority - a.priority || a.name.localeCompare(b.name),
            )}
          rowKey={(p) => `${p.vhost}\0${p.name}`}
          empty="No policies."
          columns={cols}
        />
      </Section>
      <Section title={editing ? `Update policy ${editing.name}` : 'Add / update a policy'} id="policy-form">
        <PolicyForm
          key={formKey}
          initial={editing}
          onDone={() => {
            setEditing(undefined);
            setFormKey((k) => k + 1);
          }}
        />
      </Section>
    </div>
  );
}

const POLICY_SHORTCUTS: { key: string; type: ArgType }[] = [
  { key: 'message-ttl', type: 'number' },
  { key: 'expires', type: 'number' },
  { key: 'max-length', type: 'number' },
  { key: 'max-length-bytes', type: 'number' },
  { key: 'overflow', type: 'string' },
  { key: 'dead-letter-exchange', type: 'string' },
  { key: 'dead-letter-routing-key', type: 'string' },
  { key: 'delivery-limit', type: 'number' },
  { key: 'consumer-timeout', type: 'number' },
  { key: 'alternate-exchange', type: 'string' },
];

function PolicyForm(props: { initial: Policy | undefined; onDone: () => void }) {
  const p = props.initial;
  const [vhost, setVhost] = useState(p?.vhost ?? defaultVhost());
  const [name, setName] = useState(p?.name ?? '');
  const [pattern, setPattern] = useState(p?.pattern ?? '');
  const [applyTo, setApplyTo] = useState(p?.['apply-to'] ?? 'all');
  const [priority, setPriority] = useState(String(p?.priority ?? 0));
  const [definition, setDefinition] = useState<ArgRow[]>(() => [
    ...Object.entries(p?.definition ?? {}).map(([key, v]) => ({
      key,
      value: Array.isArray(v) ? v.join(', ') : String(v),
      type: typeOf(v),
    })),
    emptyArg(),
  ]);
  const submit = async () => {
    if (name === '' || pattern === '') return notify('error', 'A policy needs a name and a pattern.');
    let def: Record<string, unknown>;
    try {
      def = argsToObject(definition);
    } catch (e) {
      return notify('error', (e as Error).message);
    }
    if (Object.keys(def).length === 0) return notify('error', 'A policy needs a definition.');
    const ok = await act(
      () =>
        api.put(`/policies/${enc(vhost)}/${enc(name)}`, {
          pattern,
          definition: def,
          priority: Number(priority) || 0,
          'apply-to': applyTo,
        }),
      `Policy ${name} set.`,
    );
    if (ok) props.onDone();
  };
  return (
    <form class="form" onSubmit={onSubmit(submit)} data-testid="policy-form">
      <VhostField value={vhost} onChange={setVhost} />
      <Field label="Name">
        <input name="name" value={name} onInput={(e) => setName(e.currentTarget.value)} />
      </Field>
      <Field label="Pattern" hint="Regular expression matched against queue or exchange names">
        <input name="pattern" value={pattern} onInput={(e) => setPattern(e.currentTarget.value)} />
      </Field>
      <Field label="Apply to">
        <select name="apply-to" value={applyTo} onChange={(e) => setApplyTo(e.currentTarget.value)}>
          <option value="all">Exchanges and queues</option>
          <option value="exchanges">Exchanges</option>
          <option value="queues">Queues</option>
          <option value="classic_queues">Classic queues</option>
        </select>
      </Field>
      <Field label="Priority">
        <input
          name="priority"
          type="number"
          value={priority}
          onInput={(e) => setPriority(e.currentTarget.value)}
        />
      </Field>
      <Field label="Definition">
        <ArgsEditor
          name="definition"
          rows={definition}
          onChange={setDefinition}
          shortcuts={POLICY_SHORTCUTS}
        />
      </Field>
      <div class="form-actions">
        <button type="submit" class="primary">
          {p ? 'Update policy' : 'Add / update policy'}
        </button>
        {p && (
          <button type="button" onClick={props.onDone}>
            Cancel
          </button>
        )}
      </div>
    </form>
  );
}
