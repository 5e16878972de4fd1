/**
 * Reads a V8 .cpuprofile (node --cpu-prof, or npm run bench -- --broker-cpu-prof) and prints the
 * functions with the most self time and the most total time (self plus callees), as text: the quick
 * look before opening the profile in Chrome DevTools or speedscope as a flame graph.
 *
 *   node dist/bench/profile-top.js bench/results/profiles/warren-autoack-*.cpuprofile [--top 30]
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

function name(n: ProfileNode): string {
  const f = n.callFrame;
  const file = f.url.replace(/^file:\/\//, '').replace(/^.*\/(dist|node_modules)\//, '$1/');
  return `${f.functionName || '(anonymous)'} ${file ? `${file}:${f.lineNumber + 1}` : ''}`.trim();
}

function main(): void {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { top: { type: 'string', default: '25' } },
  });
  const top = Number(values.top);
  for (const path of positionals) {
    const p = JSON.parse(readFileSync(path, 'utf8')) as Profile;
    const byId = new Map(p.nodes.map((n) => [n.id, n]));
    const parent = new Map<number, number>();
    for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
    const selfTime = new Map<number, number>();
    p.samples.forEach((id, i) => selfTime.set(id, (selfTime.get(id) ?? 0) + (p.timeDeltas[i] ?? 0)));
    const total = [...selfTime.values()].reduce((a, b) => a + b, 0);
    const self = new Map<string, number>();
    const inclusive = new Map<string, number>();
    for (const [id, t] of selfTime) {
      const node = byId.get(id);
      if (!node) continue;
      self.set(name(node), (self.get(name(node)) ?? 0) + t);
      // Count a sample once per function on its stack, however often the function recurses.
      const seen = new Set<string>();
      for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
        const n = byId.get(cur);
        if (!n) break;
        const key = name(n);
        if (seen.has(key)) continue;
        seen.add(key);
        inclusive.set(key, (inclusive.get(key) ?? 0) + t);
      }
    }
    const show = (title: string, m: Map<string, number>): void => {
      console.log(`\n${title}`);
      for (const [k, t] of [...m].sort((a, b) => b[1] - a[1]).slice(0, top))
        console.log(
          `${((t / total) * 100).toFixed(1).padStart(5)}%  ${(t / 1000).toFixed(0).padStart(7)} ms  ${k}`,
        );
    };
    console.log(`${path}: ${(total / 1e6).toFixed(2)} s sampled`);
    show('self time', self);
    show('total time (self + callees)', inclusive);
  }
}

main();
