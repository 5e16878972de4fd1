/**
 * Field-name compatibility with RabbitMQ's management API. The same state is created on Warren as
 * test/fixtures/record-api-fields.ts created on RabbitMQ 3.10 to record
 * test/fixtures/rabbitmq-api-fields.json, and every field RabbitMQ answered must be in Warren's
 * answer, except the ones left out on purpose (OMITTED, also listed in docs/management-api.md).
 * When the reference RabbitMQ is reachable (WARREN_REFERENCE_HTTP, default http://127.0.0.1:15682),
 * the comparison is also made against it live.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { collectFields, createState, stateNames, teardown, type Target } from './compat.js';
import { startWarren } from './http.js';

const here = dirname(fileURLToPath(import.meta.url));
const fixture = JSON.parse(
  readFileSync(join(here, '..', '..', '..', 'test', 'fixtures', 'rabbitmq-api-fields.json'), 'utf8'),
) as { recordedFrom: string; endpoints: Record<string, string[]> };

/** Fields Warren leaves out, and why (docs/management-api.md has the same list). */
const OMITTED: [RegExp, string][] = [
  [/(^|\.)(garbage_collection|reductions|reductions_details)(\.|$)/, 'Erlang process internals'],
  [/(^|\.)backing_queue_status(\.|$)/, 'classic queue implementation internals'],
  [
    /^(deliveries|publishes|incoming|outgoing)(\.|$)/,
    'per-queue-per-exchange fine-grained stats are not kept',
  ],
  [/(^|\.)idle_since$/, 'channels: no idle tracking (queues have it)'],
  [/^(messages_persistent|message_bytes_persistent)$/, 'persistent message counts are not tracked per queue'],
  [/(^|\.)message_stats\.disk_(reads|writes)/, 'store counters are not mapped to message_stats'],
  [
    /^(io_|mnesia_|msg_store_|queue_index_|gc_|context_switches|proc_|run_queue|metrics_gc_queue_length|ra_open_file_metrics|fd_total|sockets_total)/,
    'Erlang VM and Mnesia statistics of the node',
  ],
  [/^(fd_used|mem_used|disk_free|sockets_used)_details/, 'rates of node resources'],
  [
    /^exchanges\[\]\.internal$/,
    'definitions export writes internal only when true (src/definitions/export.ts)',
  ],
];

function omitted(field: string): boolean {
  return OMITTED.some(([re]) => re.test(field));
}

async function warrenFields(): Promise<Record<string, string[]>> {
  const w = await startWarren();
  const t: Target = { http: w.managementUrl, amqp: w.url, user: 'guest', password: 'guest' };
  const s = await createState(t, stateNames('fields'));
  try {
    w.stats.sample();
    return await collectFields(t, s);
  } finally {
    await teardown(t, s);
    await w.close();
  }
}

function compare(reference: Record<string, string[]>, warren: Record<string, string[]>): string[] {
  const problems: string[] = [];
  for (const [endpoint, fields] of Object.entries(reference)) {
    const mine = new Set(warren[endpoint] ?? []);
    const missing = fields.filter((f) => !mine.has(f) && !omitted(f));
    if (missing.length > 0) problems.push(`${endpoint}: missing ${missing.join(', ')}`);
  }
  return problems;
}

let warren: Record<string, string[]> | undefined;

test(`Warren answers every field ${fixture.recordedFrom} answered (recorded fixture)`, async () => {
  warren = await warrenFields();
  assert.deepEqual(Object.keys(warren).sort(), Object.keys(fixture.endpoints).sort());
  assert.deepEqual(compare(fixture.endpoints, warren), []);
});

test('and against the live reference RabbitMQ, when it is reachable', async (t) => {
  const http = process.env['WARREN_REFERENCE_HTTP'] ?? 'http://127.0.0.1:15682';
  const reference: Target = {
    http,
    amqp: process.env['WARREN_REFERENCE_AMQP'] ?? 'amqp://guest:guest@127.0.0.1:5682',
    user: 'guest',
    password: 'guest',
  };
  const up = await fetch(`${http}/api/overview`, {
    headers: { authorization: `Basic ${Buffer.from('guest:guest').toString('base64')}` },
    signal: AbortSignal.timeout(1000),
  }).then(
    (r) => r.ok,
    () => false,
  );
  if (!up) {
    t.skip(`no reference RabbitMQ at ${http}`);
    return;
  }
  const s = await createState(reference, stateNames(randomBytes(4).toString('hex')));
  try {
    // RabbitMQ's statistics arrive every 5 s.
    await new Promise((r) => setTimeout(r, 11_000));
    const live = await collectFields(reference, s);
    warren ??= await warrenFields();
    assert.deepEqual(compare(live, warren), []);
  } finally {
    await teardown(reference, s);
  }
});
