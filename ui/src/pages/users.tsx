/** Users: the list with add form, and one user's page with tags, password, permissions. */
import { useState } from 'preact/hooks';
import { api, enc, parseTags, type Permission, type TopicPermission, type User } from '../api';
import { act, confirmed, ErrorBox, Field, KV, notify, onSubmit, Pill, Section, Table } from '../components';
import { useApi } from '../hooks';
import { href, navigate } from '../router';
import { useVhostNames } from './common';

const KNOWN_TAGS = ['administrator', 'monitoring', 'policymaker', 'management', 'impersonator'];

function TagsInput(props: { value: string; onChange: (v: string) => void }) {
  return (
    <>
      <input name="tags" value={props.value} onInput={(e) => props.onChange(e.currentTarget.value)} />
      <div class="shortcuts">
        Set:{' '}
        {[...KNOWN_TAGS, 'none'].map((t) => (
          <button
            type="button"
            class="link"
            key={t}
            onClick={() => {
              if (t === 'none') return props.onChange('');
              const cur = parseTags(props.value);
              if (!cur.includes(t)) props.onChange([...cur, t].join(', '));
            }}
          >
            {t}
          </button>
        ))}
      </div>
    </>
  );
}

export function UsersPage() {
  const users = useApi<User[]>('/users');
  const perms = useApi<Permission[]>('/permissions');
  const byUser = new Map<string, string[]>();
  for (const p of perms.data ?? []) byUser.set(p.user, [...(byUser.get(p.user) ?? []), p.vhost]);
  return (
    <div class="page" data-page="users">
      <h1>Users</h1>
      <ErrorBox error={users.error} />
      <Section title="All users">
        <Table<User>
          testid="users"
          rows={users.data?.slice().sort((a, b) => a.name.localeCompare(b.name))}
          rowKey={(u) => u.name}
          columns={[
            {
              label: 'Name',
              render: (u) => (
                <a href={href('users', u.name)} class="name">
                  {u.name}
                </a>
              ),
            },
            {
              label: 'Tags',
              render: (u) =>
                parseTags(u.tags).map((t) => (
                  <Pill key={t} kind={t === 'administrator' ? 'admin' : undefined}>
                    {t}
                  </Pill>
                )),
            },
            {
              label: 'Can access virtual hosts',
              render: (u) => {
                const v = byUser.get(u.name);
                return v && v.length > 0 ? v.sort().join(', ') : <span class="muted">No access</span>;
              },
            },
            { label: 'Has password', render: (u) => (u.password_hash ? '●' : '○') },
          ]}
        />
      </Section>
      <Section title="Add a user">
        <AddUserForm />
      </Section>
    </div>
  );
}

function AddUserForm() {
  const [name, setName] = useState('');
  const [password, setPassword] = useState('');
  const [confirm, setConfirm] = useState('');
  const [tags, setTags] = useState('');
  const submit = async () => {
    if (name === '') return notify('error', 'Name the user.');
    if (password !== confirm) return notify('error', 'The passwords do not match.');
    const ok = await act(
      () => api.put(`/users/${enc(name)}`, { password, tags: parseTags(tags).join(',') }),
      `User ${name} added.`,
    );
    if (ok) {
      setName('');
      setPassword('');
      setConfirm('');
      setTags('');
    }
  };
  return (
    <form class="form" onSubmit={onSubmit(submit)} data-testid="add-user">
      <Field label="Username">
        <input
          name="username"
          value={name}
          autoComplete="off"
          onInput={(e) => setName(e.currentTarget.value)}
        />
      </Field>
      <Field label="Password">
        <input
          name="password"
          type="password"
          autoComplete="new-password"
          value={password}
          onInput={(e) => setPassword(e.currentTarget.value)}
        />
      </Field>
      <Field label="Password (again)">
        <input
          name="password-confirm"
          type="password"
          autoComplete="new-password"
          value={confirm}
          onInput={(e) => setConfirm(e.currentTarget.value)}
        />
      </Field>
      <Field label="Tags" hint="Comma-separated">
        <TagsInput value={tags} onChange={setTags} />
      </Field>
      <div class="form-actions">
        <button type="submit" class="primary">
          Add user
        </button>
      </div>
    </form>
  );
}

export function UserPage(props: { name: string }) {
  const { name } = props;
  const base = `/users/${enc(name)}`;
  const u = useApi<User>(base);
  const perms = useApi<Permission[]>(`${base}/permissions`);
  const topic = useApi<TopicPermission[]>(`${base}/topic-permissions`);
  const d = u.data;
  return (
    <div class="page" data-page="user">
      <h1>
        User <span class="object-name">{name}</span>
      </h1>
      <ErrorBox error={u.error} />
      {d && (
        <>
          <Section title="Overview">
            <KV
              rows={[
                ['Tags', parseTags(d.tags).join(', ') || <span class="muted">none</span>],
                ['Has password', d.password_hash ? 'yes' : 'no'],
                ['Hashing', d.hashing_algorithm ?? ''],
              ]}
            />
          </Section>
          <Section title="Permissions">
            <Table<Permission>
              testid="user-permissions"
              rows={perms.data}
              error={perms.error}
              rowKey={(p) => p.vhost}
              empty="No permissions."
              columns={[
                { label: 'Virtual host', render: (p) => <a href={href('vhosts', p.vhost)}>{p.vhost}</a> },
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
                          () => api.del(`/permissions/${enc(p.vhost)}/${enc(name)}`),
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
            <SetPermissionForm user={name} />
          </Section>
          <Section title="Topic permissions">
            <Table<TopicPermission>
              rows={topic.data}
              error={topic.error}
              rowKey={(p) => `${p.vhost}|${p.exchange}`}
              empty="No topic permissions."
              columns={[
                { label: 'Virtual host', render: (p) => p.vhost },
                { label: 'Exchange', render: (p) => p.exchange },
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
                          () => api.del(`/topic-permissions/${enc(p.vhost)}/${enc(name)}`),
                          'Topic permissions cleared.',
                        )
                      }
                    >
                      Clear
                    </button>
                  ),
                },
              ]}
            />
            <h3>Set topic permission</h3>
            <SetTopicPermissionForm user={name} />
          </Section>
          <Section title="Update this user">
            <UpdateUserForm name={name} tags={parseTags(d.tags).join(', ')} />
          </Section>
          <Section title="Delete this user">
            <button
              type="button"
              class="danger"
              name="delete"
              onClick={() => {
                if (!confirmed(`Delete user ${name}?`)) return;
                void act(() => api.del(base), `User ${name} deleted.`).then((ok) => ok && navigate('users'));
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

function UpdateUserForm(props: { name: string; tags: string }) {
  const [password, setPassword] = useState('');
  const [tags, setTags] = useState(props.tags);
  const submit = async () => {
    const body: Record<string, unknown> = { tags: parseTags(tags).join(',') };
    if (password !== '') body['password'] = password;
    else {
      // RabbitMQ's PUT replaces the user; keep the password by sending its hash back
      const u = await api.get<User>(`/users/${enc(props.name)}`).catch(() => undefined);
      if (u?.password_hash) {
        body['password_hash'] = u.password_hash;
        if (u.hashing_algorithm) body['hashing_algorithm'] = u.hashing_algorithm;
      }
    }
    if (await act(() => api.put(`/users/${enc(props.name)}`, body), `User ${props.name} updated.`))
      setPassword('');
  };
  return (
    <form class="form" onSubmit={onSubmit(submit)} data-testid="update-user">
      <Field label="New password" hint="Leave empty to keep the password">
        <input
          name="password"
          type="password"
          autoComplete="new-password"
          value={password}
          onInput={(e) => setPassword(e.currentTarget.value)}
        />
      </Field>
      <Field label="Tags">
        <TagsInput value={tags} onChange={setTags} />
      </Field>
      <div class="form-actions">
        <button type="submit" class="primary">
          Update user
        </button>
      </div>
    </form>
  );
}

/** Sets a user's permissions on a vhost; one of user or vhost is fixed by the page. */
export function SetPermissionForm(props: { user?: string; vhost?: string }) {
  const vhosts = useVhostNames();
  const users = useApi<User[]>(props.user === undefined ? '/users' : null);
  const [vhost, setVhost] = useState(props.vhost ?? '/');
  const [user, setUser] = useState(props.user ?? '');
  const [configure, setConfigure] = useState('.*');
  const [write, setWrite] = useState('.*');
  const [read, setRead] = useState('.*');
  const userNames = (users.data ?? []).map((u) => u.name).sort();
  const chosenUser = props.user ?? (user || userNames[0] || '');
  const submit = () =>
    void act(
      () =>
        api.put(`/permissions/${enc(props.vhost ?? vhost)}/${enc(chosenUser)}`, { configure, write, read }),
      'Permissions set.',
    );
  return (
    <form class="form" onSubmit={onSubmit(submit)} data-testid="set-permission">
      {props.vhost === undefined ? (
        <Field label="Virtual host">
          <select name="vhost" value={vhost} onChange={(e) => setVhost(e.currentTarget.value)}>
            {vhosts.map((v) => (
              <option key={v} value={v}>
                {v}
              </option>
            ))}
          </select>
        </Field>
      ) : (
        <Field label="User">
          <select name="user" value={chosenUser} onChange={(e) => setUser(e.currentTarget.value)}>
            {userNames.map((u) => (
              <option key={u} value={u}>
                {u}
              </option>
            ))}
          </select>
        </Field>
      )}
      <Field label="Configure regexp">
        <input name="configure" value={configure} onInput={(e) => setConfigure(e.currentTarget.value)} />
      </Field>
      <Field label="Write regexp">
        <input name="write" value={write} onInput={(e) => setWrite(e.currentTarget.value)} />
      </Field>
      <Field label="Read regexp">
        <input name="read" value={read} onInput={(e) => setRead(e.currentTarget.value)} />
      </Field>
      <div class="form-actions">
        <button type="submit" class="primary">
          Set permission
        </button>
      </div>
    </form>
  );
}

function SetTopicPermissionForm(props: { user: string }) {
  const vhosts = useVhostNames();
  const [vhost, setVhost] = useState('/');
  const [exchange, setExchange] = useState('amq.topic');
  const [write, setWrite] = useState('.*');
  const [read, setRead] = useState('.*');
  const submit = () =>
    void act(
      () => api.put(`/topic-permissions/${enc(vhost)}/${enc(props.user)}`, { exchange, write, read }),
      'Topic permission set.',
    );
  return (
    <form class="form" onSubmit={onSubmit(submit)} data-testid="set-topic-permission">
      <Field label="Virtual host">
        <select name="vhost" value={vhost} onChange={(e) => setVhost(e.currentTarget.value)}>
          {vhosts.map((v) => (
            <option key={v} value={v}>
              {v}
            </option>
          ))}
        </select>
      </Field>
      <Field label="Exchange">
        <input name="exchange" value={exchange} onInput={(e) => setExchange(e.currentTarget.value)} />
      </Field>
      <Field label="Write regexp">
        <input name="write" value={write} onInput={(e) => setWrite(e.currentTarget.value)} />
      </Field>
      <Field label="Read regexp">
        <input name="read" value={read} onInput={(e) => setRead(e.currentTarget.value)} />
      </Field>
      <div class="form-actions">
        <button type="submit" class="primary">
          Set topic permission
        </button>
      </div>
    </form>
  );
}
