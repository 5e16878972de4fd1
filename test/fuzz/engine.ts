/**
 * The coverage-guided loop. Per target: a corpus (seeds first), from which a parent is picked and
 * mutated; the mutant runs through the target; if it reached code no earlier input reached it joins
 * the corpus; if the target threw a Crash the input is minimized and kept. Coverage is taken once per
 * batch of BATCH mutants (taking it costs about as much as running several inputs); when a batch
 * shows something new, its members are run again one by one to learn which of them found it.
 */
import { createHash } from 'node:crypto';
import { Coverage } from './coverage.js';
import { mutate, type Rand } from './mutate.js';
import { Crash, type Target } from './targets.js';

const BATCH = 16;

export interface Finding {
  target: string;
  signature: string;
  detail: string;
  /** the smallest input found that still crashes the same way */
  input: Buffer;
}

export interface TargetStats {
  execs: number;
  corpus: number;
  features: number;
  crashes: number;
}

/** Runs `input` through `target`; a Crash (or an exception escaping to the event loop) is returned. */
export async function runOne(target: Target, input: Buffer): Promise<Crash | undefined> {
  let escaped: unknown;
  const onEscape = (e: unknown): void => {
    escaped ??= e;
  };
  process.on('uncaughtException', onEscape);
  process.on('unhandledRejection', onEscape);
  try {
    await target.run(input);
  } catch (e) {
    if (e instanceof Crash) return e;
    return new Crash(`${target.name}: escaped ${(e as Error).name}`, String(e));
  } finally {
    // One more turn, so an exception thrown by a timer or callback the input set up is seen here.
    await new Promise((r) => setImmediate(r));
    process.off('uncaughtException', onEscape);
    process.off('unhandledRejection', onEscape);
  }
  if (escaped !== undefined)
    return new Crash(`${target.name}: uncaught ${(escaped as Error).name}`, String(escaped));
  return undefined;
}

/** Shrinks a crashing input while it still crashes with the same signature (simple delta debugging). */
export async function minimize(target: Target, input: Buffer, signature: string): Promise<Buffer> {
  let best = input;
  for (let chunk = Math.max(1, best.length >> 1); chunk >= 1; chunk >>= 1) {
    for (let at = 0; at < best.length;) {
      const candidate = Buffer.concat([best.subarray(0, at), best.subarray(at + chunk)]);
      if ((await runOne(target, candidate))?.signature === signature) best = candidate;
      else at += chunk;
    }
  }
  return best;
}

export class Fuzzer {
  readonly stats: TargetStats = { execs: 0, corpus: 0, features: 0, crashes: 0 };
  /** inputs that reached new code, in the order found (the seeds first) */
  readonly corpus: Buffer[] = [];
  readonly findings: Finding[] = [];
  private readonly features = new Set<string>();
  private readonly signatures = new Set<string>();

  constructor(
    readonly target: Target,
    private readonly coverage: Coverage,
    private readonly rand: Rand,
    /** called with each input that reached new code after the seeds (to save it) */
    private readonly onNew: (input: Buffer) => void = () => {},
  ) {}

  /** Runs the seeds, one by one, keeping those that add coverage (all of them count as found). */
  async seed(seeds: readonly Buffer[]): Promise<void> {
    this.coverage.take();
    for (const s of seeds) {
      const crash = await runOne(this.target, s);
      this.stats.execs++;
      if (crash) await this.found(s, crash);
      if (this.learn(this.coverage.take()) > 0 || this.corpus.length === 0) this.corpus.push(s);
    }
    this.stats.corpus = this.corpus.length;
  }

  /** Fuzzes until `until` (ms since the epoch). */
  async runUntil(until: number): Promise<void> {
    if (this.corpus.length === 0) this.corpus.push(Buffer.alloc(0));
    while (Date.now() < until) {
      const batch: Buffer[] = [];
      this.coverage.take();
      for (let i = 0; i < BATCH; i++) {
        const parent = this.pick();
        const mutant = mutate(parent, this.pick(), this.rand);
        batch.push(mutant);
        const crash = await runOne(this.target, mutant);
        this.stats.execs++;
        if (crash) await this.found(mutant, crash);
      }
      if (!this.hasNew(this.coverage.take())) continue;
      for (const input of batch) {
        this.coverage.take();
        await runOne(this.target, input);
        this.stats.execs++;
        if (this.learn(this.coverage.take()) > 0) {
          this.corpus.push(input);
          this.onNew(input);
        }
      }
      this.stats.corpus = this.corpus.length;
    }
  }

  /** Newer entries a little more often: they are where the frontier is. */
  private pick(): Buffer {
    const n = this.corpus.length;
    const i =
      this.rand() < 0.5 ? Math.floor(this.rand() * n) : n - 1 - Math.floor(this.rand() * Math.min(n, 32));
    return this.corpus[i] as Buffer;
  }

  private hasNew(hit: Set<string>): boolean {
    for (const f of hit) if (!this.features.has(f)) return true;
    return false;
  }

  private learn(hit: Set<string>): number {
    let added = 0;
    for (const f of hit) {
      if (!this.features.has(f)) {
        this.features.add(f);
        added++;
      }
    }
    this.stats.features = this.features.size;
    return added;
  }

  private async found(input: Buffer, crash: Crash): Promise<void> {
    this.stats.crashes++;
    if (this.signatures.has(crash.signature)) return;
    this.signatures.add(crash.signature);
    const small = await minimize(this.target, input, crash.signature);
    this.findings.push({
      target: this.target.name,
      signature: crash.signature,
      detail: crash.message,
      input: small,
    });
  }
}

/** A stable file name for a kept input. */
export function inputName(prefix: string, input: Buffer): string {
  return `${prefix}-${createHash('sha1').update(input).digest('hex').slice(0, 16)}.bin`;
}
