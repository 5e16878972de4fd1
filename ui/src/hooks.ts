/** Data loading: a GET that reloads on every refresh tick and whenever its path changes. */
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { api, ApiError, type Paged } from './api';
import { fmtValue, pick } from './format';
import { useTick } from './settings';

export interface Loaded<T> {
  data: T | undefined;
  error: ApiError | undefined;
  loading: boolean;
  reload: () => void;
}

export function useApi<T>(path: string | null): Loaded<T> {
  const tick = useTick();
  const [local, setLocal] = useState(0);
  const [data, setData] = useState<T | undefined>(undefined);
  const [error, setError] = useState<ApiError | undefined>(undefined);
  const [loading, setLoading] = useState(true);
  const lastPath = useRef<string | null>(null);

  useEffect(() => {
    if (path === null) {
      setLoading(false);
      return;
    }
    let live = true;
    const resource = path.split('?')[0] ?? path;
    if (lastPath.current !== resource) {
      // a different object: forget what was shown (a new page or filter of the same list keeps it
      // on screen until the answer comes)
      lastPath.current = resource;
      setData(undefined);
      setError(undefined);
      setLoading(true);
    }
    api.get<T>(path).then(
      (d) => {
        if (!live) return;
        setData(d);
        setError(undefined);
        setLoading(false);
      },
      (e: unknown) => {
        if (!live) return;
        setError(e instanceof ApiError ? e : new ApiError(0, String(e)));
        setLoading(false);
      },
    );
    return () => {
      live = false;
    };
  }, [path, tick, local]);

  const reload = useCallback(() => setLocal((n) => n + 1), []);
  return { data, error, loading, reload };
}

export interface ListQuery {
  page: number;
  pageSize: number;
  name: string;
  regex: boolean;
  sort: string;
  reverse: boolean;
}

export interface PagedList<T> extends Loaded<Paged<T>> {
  query: ListQuery;
  setQuery: (q: Partial<ListQuery>) => void;
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * A list with server-side paging, name filter and sort (?pagination=true as RabbitMQ's UI asks). A
 * broker that answers with a plain array gets the same done here.
 */
export function usePagedList<T>(base: string, defaultSort: string, storeKey: string): PagedList<T> {
  const [query, setQueryState] = useState<ListQuery>(() => {
    const d: ListQuery = {
      page: 1,
      pageSize: 100,
      name: '',
      regex: false,
      sort: defaultSort,
      reverse: false,
    };
    try {
      const raw = sessionStorage.getItem(`warren.list.${storeKey}`);
      if (raw) return { ...d, ...(JSON.parse(raw) as Partial<ListQuery>) };
    } catch {
      // defaults
    }
    return d;
  });
  const setQuery = useCallback(
    (q: Partial<ListQuery>) =>
      setQueryState((old) => {
        const next = { ...old, ...q };
        sessionStorage.setItem(`warren.list.${storeKey}`, JSON.stringify(next));
        return next;
      }),
    [storeKey],
  );
  const params = new URLSearchParams({
    page: String(query.page),
    page_size: String(query.pageSize),
    name: query.name,
    use_regex: String(query.regex),
    pagination: 'true',
  });
  if (query.sort) {
    params.set('sort', query.sort);
    params.set('sort_reverse', String(query.reverse));
  }
  const raw = useApi<Paged<T> | T[]>(`${base}?${params.toString()}`);
  let data: Paged<T> | undefined;
  if (Array.isArray(raw.data)) data = pageLocally(raw.data, query);
  else data = raw.data;
  // a filter that shrank the list below the current page
  useEffect(() => {
    if (data && data.page_count > 0 && query.page > data.page_count) setQuery({ page: data.page_count });
  }, [data?.page_count, query.page]);
  return { ...raw, data, query, setQuery };
}

function pageLocally<T>(all: T[], q: ListQuery): Paged<T> {
  let re: RegExp;
  try {
    re = new RegExp(q.regex ? q.name : escapeRegExp(q.name), 'i');
  } catch {
    re = /$^/;
  }
  let items = q.name ? all.filter((x) => re.test(String(pick(x, 'name') ?? ''))) : all.slice();
  if (q.sort) {
    items.sort((a, b) => {
      const va = pick(a, q.sort);
      const vb = pick(b, q.sort);
      let c: number;
      if (typeof va === 'number' || typeof vb === 'number') c = (Number(va) || 0) - (Number(vb) || 0);
      else c = fmtValue(va ?? '').localeCompare(fmtValue(vb ?? ''));
      return q.reverse ? -c : c;
    });
  }
  const filtered = items.length;
  const pageCount = Math.max(1, Math.ceil(filtered / q.pageSize));
  const page = Math.min(q.page, pageCount);
  items = items.slice((page - 1) * q.pageSize, page * q.pageSize);
  return {
    items,
    page,
    page_count: pageCount,
    page_size: q.pageSize,
    filtered_count: filtered,
    item_count: items.length,
    total_count: all.length,
  };
}
