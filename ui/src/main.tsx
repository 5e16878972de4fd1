/** Warren's management UI: login, the header (vhost, refresh, user), tabs and the hash-routed pages. */
import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import {
  canSeePolicies,
  currentSession,
  isAdmin,
  login,
  logout,
  setUnauthorizedHandler,
  type Overview as OverviewData,
  type Session,
  type Vhost,
} from './api';
import { Notices } from './components';
import { useApi } from './hooks';
import { ChannelsPage } from './pages/channels';
import { ConnectionPage, ConnectionsPage } from './pages/connections';
import { DefinitionsPage } from './pages/definitions';
import { ExchangePage, ExchangesPage } from './pages/exchanges';
import { OverviewPage } from './pages/overview';
import { PoliciesPage } from './pages/policies';
import { QueuePage, QueuesPage } from './pages/queues';
import { UserPage, UsersPage } from './pages/users';
import { VhostPage, VhostsPage } from './pages/vhosts';
import { href, useRoute } from './router';
import { refreshNow, updateSettings, useSettings } from './settings';
import './style.css';

function Login(props: { onLogin: (s: Session) => void; message?: string | undefined }) {
  const [user, setUser] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string | undefined>(props.message);
  const [busy, setBusy] = useState(false);
  return (
    <div class="login-page">
      <form
        class="login"
        onSubmit={(e) => {
          e.preventDefault();
          setBusy(true);
          setError(undefined);
          login(user, password).then(
            (s) => props.onLogin(s),
            (err: Error) => {
              setBusy(false);
              setError(/^login failed/i.test(err.message) ? err.message : `Login failed: ${err.message}`);
            },
          );
        }}
      >
        <h1>
          <span class="logo">W</span> Warren
        </h1>
        <p class="muted">Management</p>
        <label>
          Username
          <input
            name="username"
            autoComplete="username"
            value={user}
            onInput={(e) => setUser(e.currentTarget.value)}
            autoFocus
          />
        </label>
        <label>
          Password
          <input
            name="password"
            type="password"
            autoComplete="current-password"
            value={password}
            onInput={(e) => setPassword(e.currentTarget.value)}
          />
        </label>
        {error && (
          <div class="error-box" role="alert">
            {error}
          </div>
        )}
        <button type="submit" class="primary" disabled={busy}>
          Log in
        </button>
      </form>
    </div>
  );
}

interface Tab {
  id: string;
  label: string;
  show: (s: Session) => boolean;
}

const TABS: Tab[] = [
  { id: '', label: 'Overview', show: () => true },
  { id: 'connections', label: 'Connections', show: () => true },
  { id: 'channels', label: 'Channels', show: () => true },
  { id: 'exchanges', label: 'Exchanges', show: () => true },
  { id: 'queues', label: 'Queues', show: () => true },
  { id: 'users', label: 'Users', show: isAdmin },
  { id: 'vhosts', label: 'Virtual hosts', show: isAdmin },
  { id: 'policies', label: 'Policies', show: canSeePolicies },
  { id: 'definitions', label: 'Definitions', show: isAdmin },
];

const REFRESH_CHOICES: [number, string][] = [
  [2000, 'every 2 seconds'],
  [5000, 'every 5 seconds'],
  [10000, 'every 10 seconds'],
  [30000, 'every 30 seconds'],
  [60000, 'every minute'],
  [0, 'never (manual)'],
];

function Header(props: { session: Session; onLogout: () => void }) {
  const settings = useSettings();
  const overview = useApi<OverviewData>(
    '/overview?columns=cluster_name,node,product_name,product_version,rabbitmq_version',
  );
  const vhosts = useApi<Vhost[]>('/vhosts?columns=name');
  const o = overview.data;
  const names = (vhosts.data ?? []).map((v) => v.name).sort();
  return (
    <header class="top">
      <div class="brand">
        <a href="#/">
          <span class="logo">W</span> Warren
        </a>
        <span class="version">
          {o?.product_version ?? o?.rabbitmq_version ?? ''}
          {o?.cluster_name ? ` · ${o.cluster_name}` : ''}
        </span>
      </div>
      <div class="header-controls">
        <label>
          Virtual host{' '}
          <select
            name="vhost"
            value={settings.vhost}
            onChange={(e) => updateSettings({ vhost: e.currentTarget.value })}
          >
            <option value="">All</option>
            {names.map((n) => (
              <option key={n} value={n}>
                {n}
              </option>
            ))}
          </select>
        </label>
        <label>
          Refresh{' '}
          <select
            name="refresh"
            value={String(settings.refreshMs)}
            onChange={(e) => updateSettings({ refreshMs: Number(e.currentTarget.value) })}
          >
            {REFRESH_CHOICES.map(([ms, label]) => (
              <option key={ms} value={String(ms)}>
                {label}
              </option>
            ))}
          </select>
        </label>
        <button type="button" class="icon" onClick={refreshNow} title="Refresh now" aria-label="refresh now">
          <svg viewBox="0 0 16 16" width="14" height="14" aria-hidden="true">
            <path
              d="M13.5 8a5.5 5.5 0 1 1-1.6-3.9M13.5 2.5v3.2h-3.2"
              fill="none"
              stroke="currentColor"
              stroke-width="1.6"
              stroke-linecap="round"
              stroke-linejoin="round"
            />
          </svg>
        </button>
        <span class="user" data-testid="user">
          User <b>{props.session.user}</b>
          {props.session.tags.map((t) => (
            <span key={t} class="pill">
              {t}
            </span>
          ))}
        </span>
        <button type="button" onClick={props.onLogout} name="logout">
          Log out
        </button>
      </div>
    </header>
  );
}

function Page(props: { route: string[]; session: Session }) {
  const [top = '', a, b] = props.route;
  const s = props.session;
  const tab = TABS.find((t) => t.id === top);
  if (!tab) return <div class="error-box">No such page: {top}</div>;
  if (!tab.show(s)) return <div class="error-box">The page {tab.label} needs the administrator tag.</div>;
  switch (top) {
    case '':
      return <OverviewPage session={s} />;
    case 'connections':
      return a !== undefined ? <ConnectionPage name={a} /> : <ConnectionsPage />;
    case 'channels':
      return <ChannelsPage />;
    case 'exchanges':
      return a !== undefined && b !== undefined ? <ExchangePage vhost={a} name={b} /> : <ExchangesPage />;
    case 'queues':
      return a !== undefined && b !== undefined ? <QueuePage vhost={a} name={b} /> : <QueuesPage />;
    case 'users':
      return a !== undefined ? <UserPage name={a} /> : <UsersPage />;
    case 'vhosts':
      return a !== undefined ? <VhostPage name={a} /> : <VhostsPage />;
    case 'policies':
      return <PoliciesPage />;
    case 'definitions':
      return <DefinitionsPage />;
    default:
      return null;
  }
}

function App() {
  const [session, setSession] = useState<Session | undefined>(currentSession);
  const [loginMessage, setLoginMessage] = useState<string | undefined>(undefined);
  const route = useRoute();
  useEffect(() => {
    setUnauthorizedHandler(() => {
      logout();
      setLoginMessage('Your session ended: log in again.');
      setSession(undefined);
    });
  }, []);
  useEffect(() => {
    document.title = `Warren${route[0] ? ` · ${route[0]}` : ''}${route[1] ? ` · ${route[route.length - 1]}` : ''}`;
  }, [route.join('/')]);
  if (!session)
    return (
      <Login
        message={loginMessage}
        onLogin={(s) => {
          setLoginMessage(undefined);
          setSession(s);
        }}
      />
    );
  const top = route[0] ?? '';
  return (
    <div class="app">
      <Header
        session={session}
        onLogout={() => {
          logout();
          setSession(undefined);
        }}
      />
      <nav class="tabs">
        {TABS.filter((t) => t.show(session)).map((t) => (
          <a key={t.id} href={href(t.id)} class={t.id === top ? 'active' : ''}>
            {t.label}
          </a>
        ))}
      </nav>
      <main>
        <Page route={route} session={session} />
      </main>
      <Notices />
    </div>
  );
}

const root = document.getElementById('app');
if (root) render(<App />, root);
