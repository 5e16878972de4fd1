/**
 * Pagination, filtering, sorting and columns on list endpoints, with RabbitMQ's 400 answers for bad
 * parameters (error names and texts as the reference gives them).
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Warren } from '../../src/index.js';
import { api, get, startWarren, type Obj } from './http.js';

let w: Warren;
const NAMES = ['alpha', 'beta', 'Gamma', 'delta', 'epsilon', 'zeta', 'eta'];
before(async () => {
  w = await startWarren();
  for (const n of NAMES) await api(w, 'PUT', `/queues/%2F/${n}`, { body: {} });
});
after(() => w.close());

interface Paged {
  filtered_count: number;
  item_count: number;
  items: Obj[];
  page: number;
  page_count: number;
  page_size: number;
  total_count: number;
}

test('without page: a plain list, sorted by name (byte order) unless sort says otherwise', async () => {
  const names = (await get<Obj[]>(w, '/queues/%2F')).map((q) => q['name']);
  assert.deepEqual(names, ['Gamma', 'alpha', 'beta', 'delta', 'epsilon', 'eta', 'zeta']);
  const reversed = (await get<Obj[]>(w, '/queues/%2F?sort=name&sort_reverse=true')).map((q) => q['name']);
  assert.deepEqual(reversed, [...names].reverse());
  // name filtering only applies with paging, as in RabbitMQ.
  assert.equal((await get<Obj[]>(w, '/queues/%2F?name=eta')).length, NAMES.length);
});

test('page, page_size, name (substring, case-insensitive), use_regex', async () => {
  const p = await get<Paged>(w, '/queues/%2F?page=2&page_size=3&columns=name');
  assert.deepEqual(p, {
    filtered_count: 7,
    item_count: 3,
    items: [{ name: 'delta' }, { name: 'epsilon' }, { name: 'eta' }],
    page: 2,
    page_count: 3,
    page_size: 3,
    total_count: 7,
  });
  const f = await get<Paged>(w, '/queues/%2F?page=1&name=ETA&columns=name');
  assert.deepEqual(
    f.items.map((i) => i['name']),
    ['beta', 'eta', 'zeta'],
  );
  assert.equal(f.filtered_count, 3);
  const r = await get<Paged>(w, '/queues/%2F?page=1&name=%5Ee&use_regex=true&columns=name');
  assert.deepEqual(
    r.items.map((i) => i['name']),
    ['epsilon', 'eta'],
  );
  const none = await get<Paged>(w, '/queues/%2F?page=1&name=nothing');
  assert.deepEqual([none.filtered_count, none.item_count, none.page_count], [0, 0, 0]);
});

test('sort by a nested field and columns with dotted paths', async () => {
  const items = await get<Obj[]>(
    w,
    '/queues/%2F?sort=message_stats.publish&columns=name,message_stats.publish',
  );
  assert.deepEqual(items[0], { name: 'Gamma', message_stats: { publish: 0 } });
  assert.deepEqual(await get(w, '/overview?columns=node'), { node: w.broker.clusterName });
});

test("bad paging parameters: 400 with RabbitMQ's error names and reasons", async () => {
  const cases: [string, string, string][] = [
    [
      'page=0',
      'invalid_pagination_parameters',
      'Invalid pagination parameters: page number 0, page size undefined',
    ],
    [
      'page=1&page_size=0',
      'invalid_pagination_parameters',
      'Invalid pagination parameters: page number 1, page size 0',
    ],
    [
      'page=1&page_size=501',
      'invalid_pagination_parameters',
      'Invalid pagination parameters: page number 1, page size 501',
    ],
    ['page=x', 'bad_request', 'Pagination parameters are invalid'],
    ['page=1&page_size=x', 'bad_request', 'Pagination parameters are invalid'],
    ['page=1&name=%5B&use_regex=true', 'bad_request', 'Pagination parameters are invalid'],
    ['page=9', 'page_out_of_range', 'Page out of range, page: 9 page size: 100, len: 7'],
  ];
  for (const [q, error, reason] of cases) {
    const r = await api(w, 'GET', `/queues/%2F?${q}`);
    assert.equal(r.status, 400, q);
    assert.deepEqual(r.json, { error, reason }, q);
  }
});

test('paging works on every list endpoint', async () => {
  for (const path of [
    '/queues',
    '/exchanges',
    '/bindings',
    '/vhosts',
    '/users',
    '/connections',
    '/channels',
    '/consumers',
    '/permissions',
    '/policies',
  ]) {
    const p = await get<Paged>(w, `${path}?page=1&page_size=2`);
    assert.equal(p.page, 1, path);
    assert.ok(p.items.length <= 2, path);
  }
});
