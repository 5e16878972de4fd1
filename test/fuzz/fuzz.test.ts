/**
 * The fuzzer in CI: every crash it ever found is replayed through its target and must not crash
 * again, the recorded seed corpus must still be accepted as it was recorded, and a short run of every
 * target (about 2 s each, fixed seed) must find no crash and must reach code the seeds did not (a
 * fuzzer that no longer explores is broken too). The long run: `npm run fuzz -- --minutes N`.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { prng } from '../helpers/prng.js';
import { CORPUS_DIR, readInputs, REGRESSIONS_DIR } from './cli.js';
import { Coverage } from './coverage.js';
import { Fuzzer, runOne } from './engine.js';
import { createTargets } from './targets.js';

const targets = createTargets();
after(async () => {
  for (const t of targets) await t.close();
});

const targetFor = (name: string) => {
  const t = targets.find((x) => name.startsWith(`${x.name}-`));
  assert.ok(t, `no target for ${name}`);
  return t;
};

describe('fuzz regressions', () => {
  const files = readdirSync(REGRESSIONS_DIR).filter((f) => f.endsWith('.bin'));

  test('there are regression inputs to replay', () => assert.ok(files.length > 0));

  for (const file of files) {
    test(`${file} no longer crashes`, async () => {
      const crash = await runOne(targetFor(file), readFileSync(join(REGRESSIONS_DIR, file)));
      assert.equal(crash, undefined, crash?.message);
    });
  }
});

describe('fuzz seed corpus', () => {
  const sessions = readInputs(CORPUS_DIR);

  test('recorded pika and amqplib sessions are there', () => {
    const names = readdirSync(CORPUS_DIR);
    assert.ok(names.some((n) => n.startsWith('pika-')));
    assert.ok(names.some((n) => n.startsWith('amqplib-')));
  });

  for (const t of targets) {
    test(`every ${t.name} seed runs without a crash`, async () => {
      const seeds = t.seeds(sessions);
      assert.ok(seeds.length > 0);
      for (const s of seeds) {
        const crash = await runOne(t, s);
        assert.equal(crash, undefined, crash?.message);
      }
    });
  }
});

describe('fuzz: a short run of every target', () => {
  const coverage = new Coverage();
  after(() => coverage.stop());
  const sessions = readInputs(CORPUS_DIR);

  for (const t of targets) {
    test(`${t.name}: 2 s without a crash, reaching code the seeds did not`, async (ctx) => {
      const f = new Fuzzer(t, coverage, prng(20261121));
      await f.seed(t.seeds(sessions));
      const seeded = f.stats.features;
      await f.runUntil(Date.now() + 2000);
      ctx.diagnostic(
        `${f.stats.execs} execs, features ${seeded} -> ${f.stats.features}, corpus ${f.stats.corpus}`,
      );
      assert.deepEqual(
        f.findings.map((x) => `${x.signature} (input ${x.input.toString('hex').slice(0, 200)})`),
        [],
        'crashes found: run `npm run fuzz` to keep them as regressions',
      );
      assert.ok(f.stats.features > seeded, 'the run reached nothing new');
    });
  }
});
