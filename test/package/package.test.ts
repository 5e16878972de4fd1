/**
 * The package as users get it: `npx warren` in the project root, the packed tarball's contents, an
 * install of that tarball into an empty folder (scripts/check-pack.sh), and the example projects under
 * examples/ run against it (scripts/check-examples.sh).
 *
 * The last two install dependencies from the npm registry (quick once npm's cache has them). Set
 * WARREN_SKIP_PACKAGE_TESTS=1 to skip them where there is no registry.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';

const run = promisify(execFile);
const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string };
const offline = process.env['WARREN_SKIP_PACKAGE_TESTS'] ? 'WARREN_SKIP_PACKAGE_TESTS is set' : false;

describe('package', () => {
  // npx links a project's bins into its own cache on first use and does not relink them when
  // package.json gains a bin: on a machine where npx ran here before a bin was added, clear ~/.npm/_npx.
  it('npx warren, npx warren-mq and npx warrenctl print the version in the project root', async () => {
    for (const args of [
      ['warren', '--version'],
      ['warren-mq', '--version'],
      ['warrenctl', 'version'],
    ]) {
      const { stdout } = await run('npx', ['--no-install', ...args], { cwd: root, timeout: 30_000 });
      assert.equal(stdout.trim(), pkg.version, args.join(' '));
    }
  });

  describe('from the packed tarball', { skip: offline }, () => {
    let scratch: string;
    let tarball: string;

    before(async () => {
      scratch = mkdtempSync(join(tmpdir(), 'warren-package-test-'));
      const { stdout } = await run(join(root, 'scripts', 'pack.sh'), [scratch], {
        cwd: root,
        timeout: 60_000,
      });
      tarball = stdout.trim();
    });

    after(() => rmSync(scratch, { recursive: true, force: true }));

    it('has the right files, installs alone, and runs with npx warren-mq', async () => {
      const { stdout } = await run(join(root, 'scripts', 'check-pack.sh'), [tarball], {
        cwd: root,
        timeout: 110_000,
      });
      assert.match(stdout, /check-pack: ok/);
    });

    it('passes the node:test, Vitest and Jest examples', async () => {
      const { stdout } = await run(join(root, 'scripts', 'check-examples.sh'), [tarball], {
        cwd: root,
        timeout: 110_000,
      });
      assert.match(stdout, /check-examples: ok \(node-test vitest jest\)/);
    });
  });
});
