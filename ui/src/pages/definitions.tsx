/** Definitions: export (download) and import (upload) of users, vhosts, permissions, policies, topology. */
import { useState } from 'preact/hooks';
import { api, enc, type Overview } from '../api';
import { act, Field, notify, onSubmit, Section } from '../components';
import { useApi } from '../hooks';
import { useVhostNames } from './common';

interface Definitions {
  users?: unknown[];
  vhosts?: unknown[];
  permissions?: unknown[];
  policies?: unknown[];
  queues?: unknown[];
  exchanges?: unknown[];
  bindings?: unknown[];
}

const SINGULAR = {
  users: 'user',
  vhosts: 'vhost',
  permissions: 'permission',
  policies: 'policy',
  queues: 'queue',
  exchanges: 'exchange',
  bindings: 'binding',
} as const;

function summary(d: Definitions): string {
  const parts: string[] = [];
  for (const k of [
    'users',
    'vhosts',
    'permissions',
    'policies',
    'queues',
    'exchanges',
    'bindings',
  ] as const) {
    const v = d[k];
    if (Array.isArray(v)) parts.push(`${v.length} ${v.length === 1 ? SINGULAR[k] : k}`);
  }
  return parts.join(', ');
}

function download(filename: string, text: string): void {
  const blob = new Blob([text], { type: 'application/json' });
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  document.body.appendChild(a);
  a.click();
  a.remove();
  window.setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

export function DefinitionsPage() {
  const vhosts = useVhostNames();
  const ov = useApi<Overview>('/overview?columns=cluster_name,node');
  const [exportVhost, setExportVhost] = useState('');
  const [importVhost, setImportVhost] = useState('');
  const [file, setFile] = useState<File | undefined>(undefined);
  const [text, setText] = useState('');
  const [last, setLast] = useState<string | undefined>(undefined);

  const doExport = () =>
    void act(async () => {
      const path = exportVhost ? `/definitions/${enc(exportVhost)}` : '/definitions';
      const defs = await api.get<Definitions>(path);
      const host = (ov.data?.cluster_name ?? ov.data?.node ?? 'warren').replace(/[^A-Za-z0-9_.-]+/g, '_');
      const date = new Date().toISOString().slice(0, 10);
      const vh = exportVhost ? `_${exportVhost.replace(/[^A-Za-z0-9_.-]+/g, '_') || 'default'}` : '';
      download(`${host}${vh}_${date}.json`, JSON.stringify(defs, null, 2));
      setLast(`Exported ${summary(defs)}.`);
    });

  const doImport = async () => {
    let body: unknown;
    try {
      const raw = file ? await file.text() : text;
      if (raw.trim() === '') return notify('error', 'Choose a definitions file or paste its JSON.');
      body = JSON.parse(raw);
    } catch (e) {
      return notify('error', `Not JSON: ${(e as Error).message}`);
    }
    const path = importVhost ? `/definitions/${enc(importVhost)}` : '/definitions';
    if (await act(() => api.post(path, body), 'Definitions imported.'))
      setLast(`Imported ${summary(body as Definitions)}.`);
  };

  return (
    <div class="page" data-page="definitions">
      <h1>Definitions</h1>
      <p class="hint">
        Users (with password hashes), virtual hosts, permissions, topic permissions, policies, parameters,
        queues, exchanges and bindings, in RabbitMQ's definitions format: files exported here import into
        RabbitMQ and the other way round. Messages are not part of definitions.
      </p>
      {last && (
        <div class="no-alarm" data-testid="definitions-result">
          {last}
        </div>
      )}
      <Section title="Export definitions">
        <form class="form" onSubmit={onSubmit(doExport)} data-testid="export-definitions">
          <Field label="Virtual host">
            <select name="vhost" value={exportVhost} onChange={(e) => setExportVhost(e.currentTarget.value)}>
              <option value="">All</option>
              {vhosts.map((v) => (
                <option key={v} value={v}>
                  {v}
                </option>
              ))}
            </select>
          </Field>
          <div class="form-actions">
            <button type="submit" class="primary">
              Download broker definitions
            </button>
          </div>
        </form>
      </Section>
      <Section title="Import definitions">
        <form class="form" onSubmit={onSubmit(doImport)} data-testid="import-definitions">
          <Field label="Definitions file">
            <input
              name="file"
              type="file"
              accept="application/json,.json"
              onChange={(e) => setFile(e.currentTarget.files?.[0])}
            />
          </Field>
          <Field label="or paste JSON">
            <textarea name="json" rows={6} value={text} onInput={(e) => setText(e.currentTarget.value)} />
          </Field>
          <Field label="Virtual host">
            <select name="vhost" value={importVhost} onChange={(e) => setImportVhost(e.currentTarget.value)}>
              <option value="">All</option>
              {vhosts.map((v) => (
                <option key={v} value={v}>
                  {v}
                </option>
              ))}
            </select>
          </Field>
          <div class="form-actions">
            <button type="submit" class="primary">
              Upload broker definitions
            </button>
          </div>
        </form>
      </Section>
    </div>
  );
}
