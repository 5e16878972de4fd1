#!/usr/bin/env node
/**
 * `warren perf` on its own: the same command as `warren perf ...`, without loading the broker's
 * modules first (the `warren` CLI imports the whole broker before it looks at its arguments). The
 * benchmark runner starts the client this way: faster to start, and independent of the broker code.
 *
 *   node dist/src/perf/main.js --uri amqp://... -x 1 -y 1 -z 10
 */
import { perfMain } from './cli.js';

const write = (stream: NodeJS.WriteStream) => (line: string) => stream.write(`${line}\n`);
process.exitCode = await perfMain(process.argv.slice(2), {
  out: write(process.stdout),
  err: write(process.stderr),
});
