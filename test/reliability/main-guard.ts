/**
 * For the command-line tools kept under test/ (fuzz, crash loop, soak, footprint, the child broker).
 * `node --test dist/test/` runs every .js file under a directory named test, these included, as if it
 * were a test file; they must not start a 30-minute soak then. The test runner marks the processes it
 * starts with NODE_TEST_CONTEXT, so a tool run that way does nothing. (Children a tool or test spawns
 * get that variable removed: see broker-process.ts.)
 */
export function runMain(main: () => Promise<void>): void {
  if (process.env['NODE_TEST_CONTEXT'] !== undefined) return;
  main().then(
    () => process.exit(process.exitCode ?? 0),
    (err: unknown) => {
      console.error(err instanceof Error ? (err.stack ?? err.message) : err);
      process.exit(1);
    },
  );
}

/** `--name value` from argv, parsed as a number, or `fallback`. */
export function numberArg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  if (i < 0) return fallback;
  const v = Number(process.argv[i + 1]);
  if (!Number.isFinite(v) || v < 0) throw new Error(`--${name} needs a non-negative number`);
  return v;
}

/** `--name value` from argv as a string, or `fallback`. */
export function stringArg(name: string, fallback: string): string;
export function stringArg(name: string, fallback: string | undefined): string | undefined;
export function stringArg(name: string, fallback: string | undefined): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i < 0 ? fallback : process.argv[i + 1];
}
