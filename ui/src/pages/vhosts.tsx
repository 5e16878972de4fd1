/** Virtual hosts: the list with add form, and one vhost's page with permissions and limits. */
import { useState } from 'preact/hooks';
import { api, enc, parseTags, type Permission, type Vhost } from '../api';
import { act, confirmed, ErrorBox, Field, KV, notify, onSubmit, Pill, Section, Table } from '../components';
import { fmtNum, fmtRate } from '../format';
import { useApi } from '../hooks';
import { href, navigate } from '../router';
import { SetPermissionForm } from './users';

export function VhostsPage() {
  const vhosts = useApi<Vhost[]>('/vhosts');
  return (
    <div class="page" data-page="vhosts">
      <h1>Virtual hosts</h1>
      <ErrorBox error={vhosts.error} />
      <Section title="All virtual hosts">
        <Table<Vhost>
          testid="vhosts"
          rows={vhosts.data?.slice().sort((a, b) => a.name.localeCompare(b.name))}
          rowKey={(v) => v.name}
          groups={[
            { label: 'Overview', span: 3 },
            { label: 'Messages', span: 3 },
            { label: 'Message rates', span: 2 },
          ]}
          columns={[
            {
              label: 'Name',
              render: (v) => (
                <a href={href('vhosts', v.name)} class="name">
                  {v.name}
                </a>
              ),
            },
            { label: 'Description', render: (v) => v.description ?? '' },
            {
              label: 'Tags',
              render: (v) => parseTags(v.tags).map((t) => <Pill key={t}>{t}</Pill>),
            },
            { label: 'Ready', num: true, render: (v) => fmtNum(v.messages_ready ?? 0) },
            { label: 'Unacked', num: true, render: (v) => fmtNum(v.messages_unacknowledged ?? 0) },
            { label: 'Total', num: true, render: (v) => fmtNum(v.messages ?? 0) },
            {
              label: 'publish',
              num: true,
              render: (v) => fmtRate(v.message_stats?.publish_details?.rate ?? 0),
            },
            {
              label: 'deliver / get',
              num: true,
              render: (v) => fmtRate(v.message_stats?.deliver_get_details?.rate ?? 0),
            },
          ]}
        />
      </Section>
      <Section title="Add a new virtual host">
        <AddVhostForm />
      </Section>
    </div>
  );
}

function AddVhostForm() {
  const [name, setName] = useState('');
  const [description, setDescription] = useState('');
  const [tags, setTags] = useState('');
  const submit = async () => {
    if (name === '') return notify('error', 'Name the virtual host.');
    const ok = await act(
      () => api.put(`/vhosts/${enc(name)}`, { description, tags: parseTags(tags).join(',') }),
      `Virtual host ${name} added.`,
    );
    if (ok) {
      setName('');
      setDescription('');
      setTags('');
    }
  };
  return (
    <form class="form" onSubmit={onSubmit(submit)} data-testid="add-vhost">
      <Field label="Name">
        <input name="name" value={name} onInput={(e) => setName(e.currentTarget.value)} />
      </Field>
      <Field label="Description">
        <input
          name="description"
          value={description}
          onInput={(e) => setDescription(e.currentTarget.value)}
        />
      </Field>
      <Field label="Tags" hint="Comma-separated">
        <input name="tags" value={tags} onInput={(e) => setTags(e.currentTarget.value)} />
      </Field>
      <div class="form-actions">
        <button type="submit" class="primary">
          Add virtual host
        </button>
      </div>
    </form>
  );
}

interface LimitEntry {
  vhost: string;
  value: Record<string, number>;
}

export function VhostPage(props: { name: string }) {
  const { name } = props;
  const base = `/vhosts/${enc(name)}`;
  const v = useApi<Vhost>(base);
  const perms = useApi<Permission[]>(`${base}/permissions`);
  const limits = useApi<LimitEntry[]>(`/vhost-limits/${enc(name)}`);
  const d = v.data;
  const lim = limits.data?.[0]?.value ?? {};
  return (
    <div class="page" data-page="vhost">
      <h1>
        Virtual host <span class="object-name">{name}</span>
      </h1>
      <ErrorBox error={v.error} />
      {d && (
        <>
          <Section title="Overview">
            <KV
              rows={[
                ['Description', d.description ?? ''],
                ['Tags', parseTags(d.tags).join(', ')],
                [
                  'Default queue type',
                  d.default_queue_type && d.default_queue_type !== 'undefined'
                    ? d.default_queue_type
                    : 'classic',
                ],
                ['Messages ready', fmtNum(d.messages_ready ?? 0)],
                ['Messages unacked', fmtNum(d.messages_unacknowledged ?? 0)],
                ['Messages total', fmtNum(d.messages ?? 0)],
              ]}
            />
          </Section>
          <Section title="Permissions">
            <Table<Permission>
              testid="vhost-permissions"
              rows={perms.data}
              error={perms.error}
              rowKey={(p) => p.user}
              empty="No user can use this virtual host."
              columns={[
                { label: 'User', render: (p) => <a href={href('users', p.user)}>{p.user}</a> },
                { label: 'Configure regexp', render: (p) => <code>{p.configure}</code> },
                { label: 'Write regexp', render: (p) => <code>{p.write}</code> },
                { label: 'Read regexp', render: (p) => <code>{p.read}</code> },
                {
                  label: '',
                  render: (p) => (
                    <button
                      type="button"
                      class="small"
                      onClick={() =>
                        void act(
                          () => api.del(`/permissions/${enc(name)}/${enc(p.user)}`),
                          'Permissions cleared.',
                        )
                      }
                    >
                      Clear
                    </button>
                  ),
                },
              ]}
            />
            <h3>Set permission</h3>
            <SetPermissionForm vhost={name} />
          </Section>
          <Section title="Limits">
            <Table<[string, number]>
              rows={limits.data && Object.entries(lim)}
              error={limits.error}
              rowKey={([k]) => k}
              empty="No limits."
              columns={[
                { label: 'Limit', render: ([k]) => k },
                { label: 'Value', num: true, render: ([, n]) => fmtNum(n) },
                {
                  label: '',
                  render: ([k]) => (
                    <button
                      type="button"
                      class="small"
                      onClick={() =>
                        void act(() => api.del(`/vhost-limits/${enc(name)}/${enc(k)}`), 'Limit cleared.')
                      }
                    >
                      Clear
                    </button>
                  ),
                },
              ]}
            />
            <h3>Set limit</h3>
            <SetLimitForm vhost={name} />
          </Section>
          <Section title="Delete this virtual host">
            <p class="hint">Deleting a virtual host closes its connections and removes everything in it.</p>
            <button
              type="button"
              class="danger"
              name="delete"
              onClick={() => {
                if (!confirmed(`Delete virtual host ${name} and everything in it?`)) return;
                void act(() => api.del(base), `Virtual host ${name} deleted.`).then(
                  (ok) => ok && navigate('vhosts'),
                );
              }}
            >
              Delete
            </button>
          </Section>
        </>
      )}
    </div>
  );
}

function SetLimitForm(props: { vhost: string }) {
  const [kind, setKind] = useState('max-connections');
  const [value, setValue] = useState('');
  const submit = () => {
    const n = Number(value);
    if (value.trim() === '' || !Number.isInteger(n)) return notify('error', 'The limit is a whole number.');
    void act(
      () => api.put(`/vhost-limits/${enc(props.vhost)}/${enc(kind)}`, { value: n }),
      `Limit ${kind} set.`,
    );
  };
  return (
    <form class="form" onSubmit={onSubmit(submit)} data-testid="set-limit">
      <Field label="Limit">
        <select name="limit" value={kind} onChange={(e) => setKind(e.currentTarget.value)}>
          <option value="max-connections">max-connections</option>
          <option value="max-queues">max-queues</option>
        </select>
      </Field>
      <Field label="Value" hint="-1 for no limit">
        <input name="value" value={value} onInput={(e) => setValue(e.currentTarget.value)} />
      </Field>
      <div class="form-actions">
        <button type="submit" class="primary">
          Set limit
        </button>
      </div>
    </form>
  );
}
