/**
 * List answers as RabbitMQ's rabbit_mgmt_util shapes them: sorted (`sort`, `sort_reverse`, a default
 * per resource), cut to `columns`, and, when `page` is given, filtered by `name` (a case-insensitive
 * substring, or a regex with `use_regex=true`) and paged:
 * `{filtered_count, item_count, items, page, page_count, page_size, total_count}`. Bad parameters
 * answer 400 with RabbitMQ's error names and texts.
 */
import type { FastifyRequest } from 'fastify';
import { ApiError, badRequest } from './errors.js';
import type { Json } from './format.js';

const MAX_PAGE_SIZE = 500;
const DEFAULT_PAGE_SIZE = 100;

export interface Paged {
  filtered_count: number;
  item_count: number;
  items: Json[];
  page: number;
  page_count: number;
  page_size: number;
  total_count: number;
}

/** The answer for a list endpoint: `items` sorted by `defaultSort` unless `sort` says otherwise. */
export function listReply(
  req: FastifyRequest,
  items: Json[],
  defaultSort: string[] = ['name'],
): Json[] | Paged {
  const q = req.query as Record<string, unknown>;
  const sortParam = str(q['sort']);
  // Ties on the asked key keep the default order, so answers are stable.
  const keys = sortParam !== undefined && sortParam !== '' ? [sortParam, ...defaultSort] : defaultSort;
  let list = sortBy(items, keys, str(q['sort_reverse']) === 'true');
  const paging = pagination(q);
  if (!paging) return applyColumns(list, q);
  const total = list.length;
  list = filterByName(list, paging.name, paging.regex);
  const filtered = list.length;
  const pageCount = Math.ceil(filtered / paging.size);
  if (paging.page > Math.max(pageCount, 1)) {
    throw new ApiError(
      400,
      'page_out_of_range',
      `Page out of range, page: ${paging.page} page size: ${paging.size}, len: ${filtered}`,
    );
  }
  const pageItems = list.slice((paging.page - 1) * paging.size, paging.page * paging.size);
  return {
    filtered_count: filtered,
    item_count: pageItems.length,
    items: applyColumns(pageItems, q),
    page: paging.page,
    page_count: pageCount,
    page_size: paging.size,
    total_count: total,
  };
}

/** `columns` applied to a single object answer too (RabbitMQ does so for GET of one item). */
export function objectReply(req: FastifyRequest, item: Json): Json {
  const cols = str((req.query as Record<string, unknown>)['columns']);
  return cols === undefined || cols === '' ? item : pick(item, cols.split(','));
}

function str(v: unknown): string | undefined {
  if (Array.isArray(v)) return str(v[v.length - 1]);
  return typeof v === 'string' ? v : undefined;
}

interface Paging {
  page: number;
  size: number;
  name: string | undefined;
  regex: RegExp | undefined;
}

function pagination(q: Record<string, unknown>): Paging | undefined {
  const pageRaw = str(q['page']);
  if (pageRaw === undefined) return undefined;
  const sizeRaw = str(q['page_size']);
  const page = integer(pageRaw);
  const size = sizeRaw === undefined ? DEFAULT_PAGE_SIZE : integer(sizeRaw);
  if (page === undefined || size === undefined) throw badRequest('Pagination parameters are invalid');
  if (page < 1 || size < 1 || size > MAX_PAGE_SIZE) {
    throw new ApiError(
      400,
      'invalid_pagination_parameters',
      `Invalid pagination parameters: page number ${page}, page size ${sizeRaw === undefined ? 'undefined' : size}`,
    );
  }
  const name = str(q['name']);
  let regex: RegExp | undefined;
  if (name !== undefined && name !== '' && str(q['use_regex']) === 'true') {
    try {
      regex = new RegExp(name, 'i');
    } catch {
      throw badRequest('Pagination parameters are invalid');
    }
  }
  return { page, size, name: name === '' ? undefined : name, regex };
}

function integer(s: string): number | undefined {
  return /^-?\d+$/.test(s) ? Number(s) : undefined;
}

function filterByName(items: Json[], name: string | undefined, regex: RegExp | undefined): Json[] {
  if (name === undefined) return items;
  if (regex) return items.filter((i) => regex.test(String(i['name'] ?? '')));
  const needle = name.toLowerCase();
  return items.filter((i) =>
    String(i['name'] ?? '')
      .toLowerCase()
      .includes(needle),
  );
}

function get(item: Json, path: string): unknown {
  let v: unknown = item;
  for (const part of path.split('.')) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Json)[part];
  }
  return v;
}

/** Erlang's term order, roughly: numbers before strings; missing values first. */
function compare(a: unknown, b: unknown): number {
  if (a === b) return 0;
  if (a === undefined || a === null) return -1;
  if (b === undefined || b === null) return 1;
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  if (typeof a === 'number') return -1;
  if (typeof b === 'number') return 1;
  const x = String(a);
  const y = String(b);
  return x < y ? -1 : x > y ? 1 : 0;
}

function sortBy(items: Json[], keys: string[], reverse: boolean): Json[] {
  const sorted = [...items].sort((a, b) => {
    for (const k of keys) {
      const c = compare(get(a, k), get(b, k));
      if (c !== 0) return c;
    }
    return 0;
  });
  return reverse ? sorted.reverse() : sorted;
}

function applyColumns(items: Json[], q: Record<string, unknown>): Json[] {
  const cols = str(q['columns']);
  if (cols === undefined || cols === '') return items;
  const paths = cols.split(',');
  return items.map((i) => pick(i, paths));
}

/** Only the dotted paths asked for, nested as in the item; missing ones are left out. */
function pick(item: Json, paths: string[]): Json {
  const out: Json = {};
  for (const path of paths) {
    const parts = path.split('.');
    const value = get(item, path);
    if (value === undefined) continue;
    let into = out;
    for (const p of parts.slice(0, -1)) into = (into[p] ??= {}) as Json;
    into[parts[parts.length - 1] as string] = value;
  }
  return out;
}
