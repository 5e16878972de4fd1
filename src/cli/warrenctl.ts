#!/usr/bin/env node
/**
 * `warrenctl`: rabbitmqctl's verbs, columns and output for Warren, over the management HTTP API
 * (--url or WARREN_URL, default http://localhost:15672). See docs/warrenctl.md.
 */
import { main } from '../ctl/run.js';

const code = await main(process.argv.slice(2));
// Let stdout drain before exiting: a pipe reader must get every line.
process.exitCode = code;
