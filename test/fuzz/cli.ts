/**
 * `npm run fuzz -- --minutes N [--target frames|table|properties|dispatch] [--seed S] [--out DIR]`
 *
 * The long fuzz run: every target (or one) in turns of 20 s until the time is up, from the recorded
 * seed corpus (test/fuzz/corpus) plus whatever an earlier run left in --out. Inputs that reach new
 * code go to --out when given; every crash is minimized and written to test/fuzz/regressions/ as
 * <target>-<hash>.bin (the input) and .txt (what it did), where fuzz.test.ts replays it from then on.
 * Exits 1 when anything crashed. See docs/fuzzing.md.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { prng } from '../helpers/prng.js';
import { numberArg, runMain, stringArg } from '../reliability/main-guard.js';
import { Coverage } from './coverage.js';
import { Fuzzer, inputName, type Finding } from './engine.js';
import { createTargets } from './targets.js';

/** dist/test/fuzz -> test/fuzz: corpus and regressions are source files */
export const FUZZ_DIR = join(fileURLToPath(new URL('.', import.meta.url)), '..', '..', '..', 'test', 'fuzz');
export const CORPUS_DIR = join(FUZZ_DIR, 'corpus');
export const REGRESSIONS_DIR = join(FUZZ_DIR, 'regressions');

const TURN_MS = Number(process.env['FUZZ_TURN_MS'] ?? 20_000);

export function readInputs(dir: string): Buffer[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith('.bin'))
    .sort()
    .map((f) => readFileSync(join(dir, f)));
}

/** Keeps a crash as a regression input with a note of what it did. */
export function keepFinding(f: Finding): string {
  mkdirSync(REGRESSIONS_DIR, { recursive: true });
  const name = inputName(f.target, f.input);
  writeFileSync(join(REGRESSIONS_DIR, name), f.input);
  writeFileSync(
    join(REGRESSIONS_DIR, name.replace(/\.bin$/, '.txt')),
    `${f.signature}\n${f.detail}\nfound ${new Date().toISOString()}\n`,
  );
  return name;
}

runMain(async () => {
  const minutes = numberArg('minutes', 5);
  const only = stringArg('target', undefined);
  const seed = numberArg('seed', Date.now() % 1_000_000);
  const out = stringArg('out', undefined);
  if (out) mkdirSync(out, { recursive: true });
  const sessions = [...readInputs(CORPUS_DIR), ...(out ? readInputs(out) : [])];
  const targets = createTargets().filter((t) => only === undefined || t.name === only);
  if (targets.length === 0) throw new Error(`no target named ${only}`);
  const coverage = new Coverage();
  const rand = prng(seed);
  console.log(`fuzzing ${targets.map((t) => t.name).join(', ')} for ${minutes} min, seed ${seed}`);
  const fuzzers = [];
  for (const t of targets) {
    const f = new Fuzzer(t, coverage, rand, (input) => {
      if (out) writeFileSync(join(out, inputName(t.name, input)), input);
    });
    await f.seed(t.seeds(sessions));
    fuzzers.push(f);
  }
  const end = Date.now() + minutes * 60_000;
  let kept = 0;
  while (Date.now() < end) {
    for (const f of fuzzers) {
      const before = f.findings.length;
      const t0 = Date.now();
      const execs0 = f.stats.execs;
      await f.runUntil(Math.min(end, t0 + TURN_MS));
      const rate = ((f.stats.execs - execs0) * 1000) / Math.max(1, Date.now() - t0);
      console.log(
        `${f.target.name.padEnd(10)} execs ${f.stats.execs} (${rate.toFixed(0)}/s) corpus ${f.stats.corpus} features ${f.stats.features} crashes ${f.stats.crashes}`,
      );
      for (const finding of f.findings.slice(before)) {
        console.log(`  CRASH ${finding.signature}\n    kept as ${keepFinding(finding)}`);
        kept++;
      }
      if (Date.now() >= end) break;
    }
  }
  coverage.stop();
  for (const t of targets) await t.close();
  console.log(kept === 0 ? 'no crashes' : `${kept} distinct crash(es) kept in ${REGRESSIONS_DIR}`);
  if (kept > 0) process.exitCode = 1;
});
