/**
 * Coverage feedback for the fuzzer from V8 itself: block coverage through the inspector protocol
 * (Profiler.startPreciseCoverage with detailed block counts), the same data `node --experimental-test-
 * coverage` and c8 read. No instrumentation, no native addon. The inspector session of a process
 * answers synchronously, so taking coverage is a plain function call (~1 ms, which is why the engine
 * takes it once per batch of inputs rather than once per input; see engine.ts).
 *
 * A feature is one source block of Warren's own code (dist/src) that ran, keyed by script, start and
 * end offset; taking coverage resets the counters, so each take reports what ran since the last one.
 * V8 folds a block that ran exactly as often as its function into the function's range, so a block is
 * also counted as run when a range V8 once reported as never run (count 0) is missing from a later
 * report of the same function and lies in no range that is still 0.
 */
import { Session } from 'node:inspector';

interface Range {
  startOffset: number;
  endOffset: number;
  count: number;
}
interface ScriptCoverage {
  scriptId: string;
  url: string;
  functions: { ranges: Range[] }[];
}

export class Coverage {
  private readonly session = new Session();
  /** only scripts whose URL contains this are counted */
  private readonly scope: string;

  constructor(scope = '/dist/src/') {
    this.scope = scope;
    this.session.connect();
    this.post('Profiler.enable');
    this.post('Profiler.startPreciseCoverage', { callCount: true, detailed: true });
  }

  private post(method: string, params?: object): unknown {
    let result: unknown;
    let error: Error | null = null;
    this.session.post(method, params, (err, res) => {
      error = err;
      result = res;
    });
    if (error) throw error;
    return result;
  }

  /** per function (script:offset), the blocks V8 has reported as never run at some point */
  private readonly zeroes = new Map<string, Range[]>();

  /** The features hit since the last call (and resets the counters). */
  take(): Set<string> {
    const { result } = this.post('Profiler.takePreciseCoverage') as { result: ScriptCoverage[] };
    const hit = new Set<string>();
    for (const script of result) {
      if (!script.url.includes(this.scope)) continue;
      for (const fn of script.functions) {
        const [whole, ...blocks] = fn.ranges;
        if (whole === undefined || whole.count === 0) continue;
        const key = `${script.url}:${whole.startOffset}`;
        hit.add(`${key}:${whole.endOffset}`);
        const zeroNow = blocks.filter((r) => r.count === 0);
        for (const r of blocks) if (r.count > 0) hit.add(`${script.url}:${r.startOffset}:${r.endOffset}`);
        const known = this.zeroes.get(key);
        if (known === undefined) {
          if (zeroNow.length > 0) this.zeroes.set(key, zeroNow);
          continue;
        }
        for (const k of known) {
          const stillZero = zeroNow.some((z) => z.startOffset <= k.startOffset && k.endOffset <= z.endOffset);
          if (!stillZero) hit.add(`${script.url}:${k.startOffset}:${k.endOffset}`);
        }
        for (const z of zeroNow) {
          if (!known.some((k) => k.startOffset === z.startOffset && k.endOffset === z.endOffset))
            known.push(z);
        }
      }
    }
    return hit;
  }

  stop(): void {
    this.post('Profiler.stopPreciseCoverage');
    this.post('Profiler.disable');
    this.session.disconnect();
  }
}
