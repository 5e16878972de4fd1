// tsc writes the CLI entry points without the executable bit, and npm only sets it on bins that
// exist when it links them, which in a fresh clone is before `prepare` has built them. Set it here,
// so `npx warren` works in the project root right after `npm install` / `npm ci`.
import { chmodSync, readFileSync } from 'node:fs';
import { URL } from 'node:url';

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
for (const file of new Set(Object.values(pkg.bin ?? {}))) {
  chmodSync(new URL(`../${file}`, import.meta.url), 0o755);
}
