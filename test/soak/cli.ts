/**
 * `npm run soak -- --minutes N [--load 0.5] [--seed S]`: the soak (soak.ts), with its RSS over time as
 * a table. Exits 1 on loss, duplication beyond at-least-once, or RSS growth past 10% after warm-up.
 */
import { numberArg, runMain } from '../reliability/main-guard.js';
import { runSoak } from './soak.js';

runMain(async () => {
  const minutes = numberArg('minutes', 30);
  const r = await runSoak({
    minutes,
    load: numberArg('load', 0.5),
    seed: numberArg('seed', Date.now() % 1_000_000),
    log: (l) => console.log(l),
  });
  console.log('\n  time   RSS (MB)   deliveries/s');
  const every = Math.max(1, Math.round(r.samples.length / 30));
  r.samples.forEach((s, i) => {
    if (i % every === 0 || i === r.samples.length - 1)
      console.log(
        `${String(s.atSeconds).padStart(5)} s ${(s.rssBytes / 1e6).toFixed(1).padStart(9)} ${s.deliveredPerSecond.toFixed(0).padStart(14)}`,
      );
  });
  console.log(
    `\ncapacity ${r.capacityPerSecond.toFixed(0)}/s, ran at ${r.targetPerSecond.toFixed(0)}/s; published ${r.published}, ` +
      `delivered ${r.delivered} (${r.redelivered} redelivered, ${r.repeats} of them seen before, after ${r.consumerKills} consumer kills); ` +
      `RSS after warm-up ${(r.warmupRssBytes / 1e6).toFixed(0)} MB, at the end ${(r.finalRssBytes / 1e6).toFixed(0)} MB`,
  );
  for (const f of r.failures) console.log(`FAIL ${f}`);
  console.log(r.failures.length === 0 ? 'soak passed' : 'soak FAILED');
  if (r.failures.length > 0) process.exitCode = 1;
});
