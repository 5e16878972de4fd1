/**
 * Garbage at every route: malformed JSON, bodies of the wrong shape and types, hostile query strings
 * and path segments. Every answer must be a client error (or a success) in RabbitMQ's error shape,
 * never a 500, and the broker must keep answering.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Warren } from '../../src/index.js';
import { prng } from '../helpers/prng.js';
import { api, basicAuth, startWarren } from './http.js';

let w: Warren;
before(async () => {
  w = await startWarren();
  await api(w, 'PUT', '/queues/%2F/q', { body: {} });
  await api(w, 'PUT', '/exchanges/%2F/x', { body: { type: 'direct' } });
  await api(w, 'POST', '/bindings/%2F/e/x/q/q', { body: { routing_key: 'k' } });
  await api(w, 'PUT', '/users/u', { body: { password: 'p', tags: '' } });
  await api(w, 'PUT', '/policies/%2F/p', { body: { pattern: '^z', definition: { 'max-length': 1 } } });
});
after(() => w.close());

/** Every route, with its path parameters filled in with names that exist. */
const ROUTES: [string, string][] = [
  ['GET', '/overview'],
  ['GET', '/whoami'],
  ['GET', '/extensions'],
  ['GET', '/auth'],
  ['GET', '/cluster-name'],
  ['PUT', '/cluster-name'],
  ['GET', '/nodes'],
  ['GET', '/nodes/warren@localhost'],
  ['GET', '/connections'],
  ['GET', '/connections/c'],
  ['DELETE', '/connections/c'],
  ['GET', '/connections/c/channels'],
  ['GET', '/vhosts/%2F/connections'],
  ['GET', '/channels'],
  ['GET', '/channels/c%20(1)'],
  ['GET', '/vhosts/%2F/channels'],
  ['GET', '/consumers'],
  ['GET', '/consumers/%2F'],
  ['GET', '/exchanges'],
  ['GET', '/exchanges/%2F'],
  ['GET', '/exchanges/%2F/x'],
  ['PUT', '/exchanges/%2F/x2'],
  ['DELETE', '/exchanges/%2F/x2'],
  ['POST', '/exchanges/%2F/x/publish'],
  ['GET', '/exchanges/%2F/x/bindings/source'],
  ['GET', '/exchanges/%2F/x/bindings/destination'],
  ['GET', '/queues'],
  ['GET', '/queues/%2F'],
  ['GET', '/queues/%2F/q'],
  ['PUT', '/queues/%2F/q2'],
  ['DELETE', '/queues/%2F/q2'],
  ['DELETE', '/queues/%2F/q/contents'],
  ['GET', '/queues/%2F/q/bindings'],
  ['POST', '/queues/%2F/q/get'],
  ['GET', '/bindings'],
  ['GET', '/bindings/%2F'],
  ['GET', '/bindings/%2F/e/x/q/q'],
  ['POST', '/bindings/%2F/e/x/q/q'],
  ['GET', '/bindings/%2F/e/x/q/q/k'],
  ['DELETE', '/bindings/%2F/e/x/q/q/k'],
  ['GET', '/bindings/%2F/e/x/e/amq.direct'],
  ['POST', '/bindings/%2F/e/x/e/amq.direct'],
  ['GET', '/bindings/%2F/e/x/e/amq.direct/k'],
  ['DELETE', '/bindings/%2F/e/x/e/amq.direct/k'],
  ['GET', '/vhosts'],
  ['GET', '/vhosts/%2F'],
  ['PUT', '/vhosts/v2'],
  ['DELETE', '/vhosts/v2'],
  ['GET', '/vhosts/%2F/permissions'],
  ['GET', '/vhosts/%2F/topic-permissions'],
  ['GET', '/users'],
  ['GET', '/users/without-permissions'],
  ['GET', '/users/u'],
  ['PUT', '/users/u2'],
  ['DELETE', '/users/u2'],
  ['POST', '/users/bulk-delete'],
  ['GET', '/users/u/permissions'],
  ['GET', '/users/u/topic-permissions'],
  ['GET', '/permissions'],
  ['GET', '/permissions/%2F/u'],
  ['PUT', '/permissions/%2F/u'],
  ['DELETE', '/permissions/%2F/u'],
  ['GET', '/topic-permissions'],
  ['GET', '/topic-permissions/%2F/u'],
  ['PUT', '/topic-permissions/%2F/u'],
  ['DELETE', '/topic-permissions/%2F/u'],
  ['GET', '/policies'],
  ['GET', '/policies/%2F'],
  ['GET', '/policies/%2F/p'],
  ['PUT', '/policies/%2F/p2'],
  ['DELETE', '/policies/%2F/p2'],
  ['GET', '/definitions'],
  ['POST', '/definitions'],
  ['GET', '/definitions/%2F'],
  ['POST', '/definitions/%2F'],
  ['GET', '/health/checks/alarms'],
  ['GET', '/health/checks/local-alarms'],
  ['GET', '/health/checks/virtual-hosts'],
  ['GET', '/health/checks/port-listener/5672'],
  ['GET', '/health/checks/protocol-listener/amqp'],
  ['GET', '/aliveness-test/%2F'],
];

const FIELDS = [
  'durable',
  'auto_delete',
  'internal',
  'arguments',
  'type',
  'routing_key',
  'properties',
  'payload',
  'payload_encoding',
  'count',
  'ackmode',
  'encoding',
  'truncate',
  'password',
  'password_hash',
  'tags',
  'configure',
  'write',
  'read',
  'exchange',
  'pattern',
  'definition',
  'priority',
  'apply-to',
  'name',
  'description',
  'users',
  'queues',
  'exchanges',
  'bindings',
  'vhosts',
  'policies',
  'permissions',
  'limits',
];

const NASTY: unknown[] = [
  null,
  true,
  -1,
  1e308,
  'x',
  '',
  [],
  [1, 'a'],
  {},
  { a: { b: [null] } },
  '__proto__',
  'true',
];

function garbageBodies(rand: () => number): string[] {
  const pick = (): unknown => NASTY[Math.floor(rand() * NASTY.length)];
  const bodies = [
    'not json',
    '{"a":',
    '[]',
    '[1,2]',
    '"str"',
    '123',
    'null',
    '{}',
    '\u0000\u00ff',
    '{"__proto__":{"x":1}}',
  ];
  bodies.push(JSON.stringify(Object.fromEntries(FIELDS.map((f) => [f, pick()]))));
  for (const f of FIELDS)
    bodies.push(
      JSON.stringify({ [f]: pick(), [FIELDS[Math.floor(rand() * FIELDS.length)] as string]: pick() }),
    );
  let deep: unknown = 1;
  for (let i = 0; i < 2000; i++) deep = [deep];
  bodies.push(JSON.stringify({ arguments: deep }));
  return bodies;
}

async function assertAlive(): Promise<void> {
  assert.equal((await api(w, 'GET', '/overview')).status, 200);
}

function checkShape(method: string, path: string, status: number, text: string): void {
  // 503 is a health check's answer (a missing listener), not a failure of the server.
  const healthCheck = status === 503 && /"status":"failed"/.test(text);
  assert.ok(status < 500 || healthCheck, `${method} ${path} answered ${status}: ${text}`);
  if (status === 400) {
    const j = JSON.parse(text) as { error?: unknown; reason?: unknown };
    assert.equal(typeof j.error, 'string', `${method} ${path}: ${text}`);
    assert.ok(j.reason !== undefined, `${method} ${path}: ${text}`);
  }
}

test("garbage bodies at every route: 4xx in RabbitMQ's shape, never 5xx", async () => {
  const rand = prng(6);
  for (const [method, path] of ROUTES) {
    if (method === 'GET') continue; // fetch sends no body with GET
    for (const body of garbageBodies(rand)) {
      const r = await api(w, method, path, { body, headers: { 'content-type': 'application/json' } });
      checkShape(method, path, r.status, r.text);
    }
  }
  await assertAlive();
});

test('hostile query strings and path segments', async () => {
  const queries = [
    'page=-1',
    'page=1&page_size=abc',
    'page=1e3',
    'sort=__proto__&sort_reverse=true',
    'columns=constructor.prototype,__proto__.x',
    'page=1&name=(a%2B)%2B%24&use_regex=true',
    'page=1&page=2',
    'if-unused=maybe&if-empty=',
  ];
  for (const [method, path] of ROUTES) {
    if (method !== 'GET') continue;
    for (const q of queries) {
      const r = await api(w, 'GET', `${path}?${q}`);
      checkShape('GET', `${path}?${q}`, r.status, r.text);
    }
  }
  for (const segment of ['%ZZ', '%00', 'a'.repeat(10_000), '..%2F..%2F', '%F0%9F%90%87', '%C0%AF']) {
    for (const base of [
      '/queues/%2F/',
      '/exchanges/',
      '/users/',
      '/connections/',
      '/channels/',
      '/vhosts/',
    ]) {
      const r = await api(w, 'GET', `${base}${segment}`);
      checkShape('GET', base + segment.slice(0, 20), r.status, r.text);
    }
  }
  await assertAlive();
});

test('garbage credentials and content types', async () => {
  for (const auth of [
    'Basic',
    'Basic !!!',
    'Bearer x',
    `Basic ${Buffer.from('nocolon').toString('base64')}`,
    basicAuth('', ''),
  ]) {
    const r = await fetch(`${w.managementUrl}/api/overview`, { headers: { authorization: auth } });
    assert.equal(r.status, 401, auth);
  }
  const r = await fetch(`${w.managementUrl}/api/queues/%2F/ct`, {
    method: 'PUT',
    headers: {
      authorization: basicAuth('guest', 'guest'),
      'content-type': 'application/x-www-form-urlencoded',
    },
    body: '{"durable":true}',
  });
  assert.equal(r.status, 201, 'a JSON body is read whatever its content type says (as RabbitMQ)');
  await assertAlive();
});
