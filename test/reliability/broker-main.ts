/**
 * A Warren in a process of its own, for tests that must measure its memory or kill it: started with
 * `WarrenOptions` as JSON in WARREN_CHILD_OPTIONS, it prints `READY <port>` once listening and, like
 * the `warren` command, closes every connection with 320 and exits 0 on SIGTERM. Options the command
 * line does not offer (paging budget, handshake timeout) are why this is not just `warren`. On SIGUSR2
 * it prints `RESOURCES {...}`: its active handles and timers by type, for leak checks.
 */
import { Warren, type WarrenOptions } from '../../src/index.js';
import { runMain } from './main-guard.js';

runMain(async () => {
  const options = JSON.parse(process.env['WARREN_CHILD_OPTIONS'] ?? '{}') as Partial<WarrenOptions>;
  const warren = await Warren.start({
    host: '127.0.0.1',
    port: 0,
    logLevel: 'warn',
    managementPort: false,
    prometheusPort: false,
    ...options,
  });
  process.stdout.write(`READY ${warren.port}\n`);
  // For leak checks from outside: what keeps this process busy (sockets, timers, file handles).
  process.on('SIGUSR2', () => {
    const counts: Record<string, number> = {};
    for (const r of process.getActiveResourcesInfo()) counts[r] = (counts[r] ?? 0) + 1;
    process.stdout.write(`RESOURCES ${JSON.stringify(counts)}\n`);
  });
  await new Promise<void>((resolve) => {
    const stop = (): void => {
      warren.close().then(resolve, (err: unknown) => {
        console.error(err);
        process.exitCode = 1;
        resolve();
      });
    };
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
  });
});
