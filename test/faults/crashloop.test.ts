/**
 * A few rounds of the crash loop in CI (WARREN_CRASHLOOP_ROUNDS, default 3): kill -9 under confirms,
 * acks, declares and deletes, then a restart that must succeed and keep every promise (ledger.ts).
 * The long form: `npm run crashloop -- --rounds 50`.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runCrashLoop } from './crashloop.js';

const ROUNDS = Number(process.env['WARREN_CRASHLOOP_ROUNDS'] ?? 3);
const SEED = Number(process.env['WARREN_CRASHLOOP_SEED'] ?? Date.now() % 1_000_000);

test(`crash loop: ${ROUNDS} rounds of kill -9 under mixed load (seed ${SEED})`, async (t) => {
  const r = await runCrashLoop({ rounds: ROUNDS, seed: SEED, log: (l) => t.diagnostic(l) });
  assert.deepEqual(r.violations, [], `replay with WARREN_CRASHLOOP_SEED=${SEED}`);
  assert.ok(r.totals.confirmed > 0, 'nothing was confirmed: the loop tested nothing');
  assert.ok(r.totals.acked > 0, 'nothing was acked');
  assert.ok(r.totals.declared > 0, 'nothing was declared');
  assert.ok(r.checked > 0, 'no message was found after a restart');
});
