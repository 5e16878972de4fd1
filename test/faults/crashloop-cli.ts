/**
 * `npm run crashloop -- --rounds 50 [--seed S]`: the long form of the crash loop (crashloop.ts).
 * Prints one line per round and a summary; exits 1 on any violation.
 */
import { numberArg, runMain } from '../reliability/main-guard.js';
import { runCrashLoop } from './crashloop.js';

runMain(async () => {
  const rounds = numberArg('rounds', 50);
  const seed = numberArg('seed', Date.now() % 1_000_000);
  console.log(`crash loop: ${rounds} rounds of kill -9 under mixed load, seed ${seed}`);
  const t0 = Date.now();
  const r = await runCrashLoop({ rounds, seed, log: (l) => console.log(l) });
  const t = r.totals;
  console.log(
    `${r.rounds} rounds in ${((Date.now() - t0) / 1000).toFixed(0)} s: published ${t.published}, confirmed ${t.confirmed}, ` +
      `acked ${t.acked}, entities declared ${t.declared} and deleted ${t.deleted}; ${r.checked} messages checked after restarts; ` +
      `${r.recoveryKills} kills during recovery; slowest start ${r.slowestStartMs} ms`,
  );
  console.log(r.violations.length === 0 ? 'no violations' : `${r.violations.length} VIOLATIONS`);
  if (r.violations.length > 0) process.exitCode = 1;
});
