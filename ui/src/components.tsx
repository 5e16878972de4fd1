/** Building blocks shared by the pages: sections, tables, list controls, forms, notices. */
import type { ComponentChildren, TargetedEvent } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { ApiError } from './api';
import { fmtValue } from './format';
import type { PagedList } from './hooks';
import { refreshNow } from './settings';

// --- notices ---

export interface Notice {
  id: number;
  kind: 'ok' | 'error';
  text: string;
}

let notices: Notice[] = [];
let nextNotice = 1;
const noticeListeners = new Set<(n: Notice[]) => void>();

export function notify(kind: Notice['kind'], text: string): void {
  const n: Notice = { id: nextNotice++, kind, text };
  notices = [...notices, n].slice(-4);
  for (const l of noticeListeners) l(notices);
  window.setTimeout(() => dismiss(n.id), kind === 'ok' ? 3000 : 10000);
}

function dismiss(id: number): void {
  notices = notices.filter((n) => n.id !== id);
  for (const l of noticeListeners) l(notices);
}

export function Notices() {
  const [list, setList] = useState(notices);
  useEffect(() => {
    noticeListeners.add(setList);
    return () => {
      noticeListeners.delete(setList);
    };
  }, []);
  return (
    <div class="notices" aria-live="polite">
      {list.map((n) => (
        <div key={n.id} class={`notice notice-${n.kind}`} role={n.kind === 'error' ? 'alert' : 'status'}>
          <span>{n.text}</span>
          <button type="button" class="link" aria-label="dismiss" onClick={() => dismiss(n.id)}>
            ×
          </button>
        </div>
      ))}
    </div>
  );
}

/**
 * Runs an operator action: reports success or the API's reason, then refreshes every page. Returns
 * whether it worked.
 */
export async function act(what: () => Promise<unknown>, okText?: string): Promise<boolean> {
  try {
    await what();
    if (okText) notify('ok', okText);
    refreshNow();
    return true;
  } catch (e) {
    const msg = e instanceof ApiError || e instanceof Error ? e.message : String(e);
    notify('error', msg);
    return false;
  }
}

// --- layout ---

export function Section(props: {
  title: string;
  children: ComponentChildren;
  open?: boolean;
  id?: string;
  extra?: ComponentChildren;
}) {
  const [open, setOpen] = useState(props.open ?? true);
  return (
    <section class={`section${open ? '' : ' closed'}`} id={props.id}>
      <h2>
        <button type="button" class="section-toggle" aria-expanded={open} onClick={() => setOpen(!open)}>
          <span class="caret">{open ? '▾' : '▸'}</span> {props.title}
        </button>
        {props.extra}
      </h2>
      {open && <div class="section-body">{props.children}</div>}
    </section>
  );
}

export function ErrorBox(props: { error: ApiError | undefined }) {
  if (!props.error) return null;
  return (
    <div class="error-box" role="alert">
      {props.error.status === 404 ? 'Not found: ' : ''}
      {props.error.message}
    </div>
  );
}

export function Pill(props: { children: ComponentChildren; title?: string; kind?: string | undefined }) {
  return (
    <span class={`pill${props.kind ? ` pill-${props.kind}` : ''}`} title={props.title}>
      {props.children}
    </span>
  );
}

/** Key/value rows, e.g. a queue's details. */
export function KV(props: { rows: [string, ComponentChildren][] }) {
  return (
    <table class="kv">
      <tbody>
        {props.rows.map(([k, v]) => (
          <tr key={k}>
            <th>{k}</th>
            <td>{v}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** Arguments/headers/definition as compact key=value lines. */
export function Args(props: { args: Record<string, unknown> | null | undefined }) {
  const entries = Object.entries(props.args ?? {});
  if (entries.length === 0) return <span class="muted">none</span>;
  return (
    <span class="args">
      {entries.map(([k, v]) => (
        <span key={k} class="arg">
          <b>{k}</b>: {fmtValue(v)}
        </span>
      ))}
    </span>
  );
}

// --- tables ---

export interface Column<T> {
  label: string;
  /** server-side sort key (dotted path); no key = not sortable */
  sort?: string;
  render: (row: T) => ComponentChildren;
  num?: boolean;
  class?: string;
}

export function Table<T>(props: {
  columns: Column<T>[];
  rows: T[] | undefined;
  rowKey: (row: T) => string;
  empty?: string;
  sort?: { key: string; reverse: boolean; set: (key: string, reverse: boolean) => void };
  groups?: { label: string; span: number }[];
  testid?: string;
  /** a failed load: shown in the body instead of "Loading…" */
  error?: ApiError | undefined;
}) {
  const { columns, rows, sort } = props;
  return (
    <div class="table-wrap">
      <table class="list" data-testid={props.testid}>
        <thead>
          {props.groups && (
            <tr class="groups">
              {props.groups.map((g, i) => (
                <th key={i} colSpan={g.span} class={g.label ? 'group' : ''}>
                  {g.label}
                </th>
              ))}
            </tr>
          )}
          <tr>
            {columns.map((c) => {
              const active = sort && c.sort && sort.key === c.sort;
              return (
                <th key={c.label} class={`${c.num ? 'num' : ''} ${active ? 'sorted' : ''}`}>
                  {sort && c.sort ? (
                    <button
                      type="button"
                      class="sort"
                      onClick={() => sort.set(c.sort ?? '', active ? !sort.reverse : false)}
                    >
                      {c.label}
                      {active ? (sort.reverse ? ' ▼' : ' ▲') : ''}
                    </button>
                  ) : (
                    c.label
                  )}
                </th>
              );
            })}
          </tr>
        </thead>
        <tbody>
          {rows === undefined ? (
            <tr>
              <td colSpan={columns.length} class={props.error ? 'bad' : 'muted'}>
                {props.error ? props.error.message : 'Loading…'}
              </td>
            </tr>
          ) : rows.length === 0 ? (
            <tr>
              <td colSpan={columns.length} class="muted">
                {props.empty ?? 'Nothing here.'}
              </td>
            </tr>
          ) : (
            rows.map((r) => (
              <tr key={props.rowKey(r)}>
                {columns.map((c) => (
                  <td key={c.label} class={`${c.num ? 'num' : ''} ${c.class ?? ''}`}>
                    {c.render(r)}
                  </td>
                ))}
              </tr>
            ))
          )}
        </tbody>
      </table>
    </div>
  );
}

/** Filter box, regex switch, page and page size above a paged list. */
export function ListControls<T>(props: { list: PagedList<T>; noun: string }) {
  const { list, noun } = props;
  const d = list.data;
  const [text, setText] = useState(list.query.name);
  // the filter applies while typing, a moment after the last key
  useEffect(() => {
    if (text === list.query.name) return;
    const t = window.setTimeout(() => list.setQuery({ name: text, page: 1 }), 250);
    return () => window.clearTimeout(t);
  }, [text]);
  const pages = d ? Math.max(1, d.page_count) : 1;
  return (
    <div class="list-controls">
      <label>
        Filter:{' '}
        <input
          type="search"
          name="filter"
          value={text}
          placeholder={`${noun} name`}
          onInput={(e) => setText(e.currentTarget.value)}
        />
      </label>
      <label class="check">
        <input
          type="checkbox"
          checked={list.query.regex}
          onChange={(e) => list.setQuery({ regex: e.currentTarget.checked, page: 1 })}
        />{' '}
        Regex
      </label>
      <span class="count">
        {d
          ? d.filtered_count === d.total_count
            ? `${d.total_count} ${noun}${d.total_count === 1 ? '' : 's'}`
            : `${d.filtered_count} of ${d.total_count} ${noun}s`
          : ''}
      </span>
      <span class="pager">
        <button
          type="button"
          disabled={list.query.page <= 1}
          onClick={() => list.setQuery({ page: list.query.page - 1 })}
          aria-label="previous page"
        >
          ‹
        </button>
        <label>
          Page{' '}
          <select
            value={String(Math.min(list.query.page, pages))}
            onChange={(e) => list.setQuery({ page: Number(e.currentTarget.value) })}
          >
            {Array.from({ length: pages }, (_, i) => (
              <option key={i} value={String(i + 1)}>
                {i + 1}
              </option>
            ))}
          </select>{' '}
          of {pages}
        </label>
        <button
          type="button"
          disabled={list.query.page >= pages}
          onClick={() => list.setQuery({ page: list.query.page + 1 })}
          aria-label="next page"
        >
          ›
        </button>
        <label>
          {' '}
          Show{' '}
          <select
            value={String(list.query.pageSize)}
            onChange={(e) => list.setQuery({ pageSize: Number(e.currentTarget.value), page: 1 })}
          >
            {[10, 25, 50, 100, 500].map((n) => (
              <option key={n} value={String(n)}>
                {n}
              </option>
            ))}
          </select>
        </label>
      </span>
    </div>
  );
}

// --- forms ---

export function Field(props: { label: string; children: ComponentChildren; hint?: string }) {
  return (
    <div class="field">
      <label>
        <span class="field-label">{props.label}</span>
        <span class="field-input">{props.children}</span>
      </label>
      {props.hint && <span class="hint">{props.hint}</span>}
    </div>
  );
}

export type ArgType = 'string' | 'number' | 'boolean' | 'list';
export interface ArgRow {
  key: string;
  value: string;
  type: ArgType;
}

export const emptyArg = (): ArgRow => ({ key: '', value: '', type: 'string' });

/** Rows of key = value (type), growing a blank row as the last one is filled, as RabbitMQ's forms do. */
export function ArgsEditor(props: {
  rows: ArgRow[];
  onChange: (rows: ArgRow[]) => void;
  name: string;
  shortcuts?: { key: string; type: ArgType }[];
}) {
  const rows = props.rows.length > 0 ? props.rows : [emptyArg()];
  const update = (i: number, patch: Partial<ArgRow>) => {
    const next = rows.map((r, j) => (j === i ? { ...r, ...patch } : r));
    if (next[next.length - 1]?.key) next.push(emptyArg());
    props.onChange(next);
  };
  return (
    <div class="args-editor">
      {rows.map((r, i) => (
        <div key={i} class="arg-row">
          <input
            name={`${props.name}-key-${i}`}
            value={r.key}
            placeholder="key"
            onInput={(e) => update(i, { key: e.currentTarget.value })}
          />
          <span>=</span>
          <input
            name={`${props.name}-value-${i}`}
            value={r.value}
            placeholder="value"
            onInput={(e) => update(i, { value: e.currentTarget.value })}
          />
          <select value={r.type} onChange={(e) => update(i, { type: e.currentTarget.value as ArgType })}>
            <option value="string">String</option>
            <option value="number">Number</option>
            <option value="boolean">Boolean</option>
            <option value="list">List</option>
          </select>
        </div>
      ))}
      {props.shortcuts && (
        <div class="shortcuts">
          Add:{' '}
          {props.shortcuts.map((s) => (
            <button
              type="button"
              class="link"
              key={s.key}
              onClick={() => {
                const filled = rows.filter((r) => r.key !== '');
                props.onChange([...filled, { key: s.key, value: '', type: s.type }, emptyArg()]);
              }}
            >
              {s.key}
            </button>
          ))}
        </div>
      )}
    </div>
  );
}

/** The rows as an object; throws on a value that does not fit its type. */
export function argsToObject(rows: ArgRow[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const r of rows) {
    if (r.key === '') continue;
    switch (r.type) {
      case 'number': {
        const n = Number(r.value);
        if (r.value.trim() === '' || Number.isNaN(n))
          throw new Error(`${r.key}: "${r.value}" is not a number`);
        out[r.key] = n;
        break;
      }
      case 'boolean':
        if (!/^(true|false)$/i.test(r.value.trim())) throw new Error(`${r.key}: use true or false`);
        out[r.key] = r.value.trim().toLowerCase() === 'true';
        break;
      case 'list':
        out[r.key] = r.value
          .split(',')
          .map((s) => s.trim())
          .filter((s) => s !== '');
        break;
      default:
        out[r.key] = r.value;
    }
  }
  return out;
}

/** Runs a form submit without reloading the page. */
export function onSubmit(fn: () => void | Promise<void>) {
  return (e: TargetedEvent<HTMLFormElement, Event>) => {
    e.preventDefault();
    void fn();
  };
}

export function confirmed(text: string): boolean {
  return window.confirm(text);
}
