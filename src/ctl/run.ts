/**
 * Builds the commander program from the verb modules and runs one verb: global options, per-verb help,
 * rabbitmqctl's error layout ("Error:" then the text, on stderr) and exit codes.
 */
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { ApiClient } from './client.js';
import { connectionVerbs } from './connections.js';
import { definitionVerbs } from './definitions.js';
import { ApiError, CtlError, EXIT } from './errors.js';
import { exchangeVerbs } from './exchanges.js';
import { Printer, processOutput, type FormatterName, type Output } from './format.js';
import { nodeVerbs } from './node.js';
import { permissionVerbs } from './permissions.js';
import { policyVerbs } from './policies.js';
import { queueVerbs } from './queues.js';
import { userVerbs } from './users.js';
import type { Ctx, Verb } from './verb.js';
import { vhostVerbs } from './vhosts.js';

export const VERBS: Verb[] = [
  ...nodeVerbs,
  ...queueVerbs,
  ...exchangeVerbs,
  ...connectionVerbs,
  ...vhostVerbs,
  ...userVerbs,
  ...permissionVerbs,
  ...policyVerbs,
  ...definitionVerbs,
];

interface GlobalOptions {
  url: string;
  username: string;
  password: string;
  vhost: string;
  formatter: FormatterName;
  quiet?: boolean;
  silent?: boolean;
  tableHeaders: boolean;
  timeout: number;
}

function seconds(v: string): number {
  const n = Number(v);
  if (v.trim() === '' || !Number.isFinite(n) || n <= 0)
    throw new InvalidArgumentError(`not a number of seconds: ${v}`);
  return n;
}

async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  let text = '';
  for await (const chunk of stream)
    text += typeof chunk === 'string' ? chunk : (chunk as Buffer).toString('utf8');
  return text;
}

/** An unexpected API answer, worded for an operator. */
function fromApiError(e: ApiError): CtlError {
  if (e.status === 400)
    return new CtlError(e.reason || `the broker refused ${e.method} ${e.path} (HTTP 400)`, EXIT.DATA_ERROR);
  if (e.status === 404) return new CtlError(`not found: ${e.path}`, EXIT.UNAVAILABLE);
  return new CtlError(
    `the broker failed ${e.method} ${e.path}: HTTP ${e.status}${e.reason ? ` ${e.reason}` : ''}`,
    EXIT.SOFTWARE,
  );
}

export function buildProgram(env: NodeJS.ProcessEnv, io: Output, stdin: NodeJS.ReadableStream): Command {
  const program = new Command()
    .name('warrenctl')
    .description(
      "Warren's operator CLI, with rabbitmqctl's verbs, columns and output; it talks to the broker over the management HTTP API",
    )
    .usage('[options] <command> [arguments]')
    .option(
      '--url <url>',
      'management API base URL (env WARREN_URL)',
      env['WARREN_URL'] || 'http://localhost:15672',
    )
    .option('--username <name>', 'user for the API (env WARREN_USERNAME)', env['WARREN_USERNAME'] || 'guest')
    .option('--password <password>', 'its password (env WARREN_PASSWORD)', env['WARREN_PASSWORD'] || 'guest')
    .option('-p, --vhost <vhost>', 'virtual host for vhost-scoped commands', '/')
    .addOption(new Option('--formatter <name>', 'output format').choices(['table', 'json']).default('table'))
    .option('-q, --quiet', 'no informational lines')
    .option('-s, --silent', 'no informational lines and no table header')
    .option('--no-table-headers', 'no table header')
    .option(
      '-t, --timeout <seconds>',
      'bound for each request (and for await_startup as a whole)',
      seconds,
      60,
    )
    .addOption(
      new Option(
        '-n, --node <node>',
        'ignored, for rabbitmqctl compatibility: the broker is --url',
      ).hideHelp(),
    )
    .showHelpAfterError('(add --help for usage)')
    .exitOverride()
    .configureOutput({ writeOut: (t) => io.out(t), writeErr: (t) => io.err(t) });

  for (const verb of VERBS) {
    const cmd = program.command(verb.name).description(verb.description);
    if (verb.args) cmd.arguments(verb.args);
    if (verb.help) cmd.addHelpText('after', verb.help);
    verb.options?.(cmd);
    cmd.action(async (...params: unknown[]) => {
      const command = params[params.length - 1] as Command;
      const g = command.optsWithGlobals<GlobalOptions>();
      const print = new Printer(
        { formatter: g.formatter, quiet: !!g.quiet, silent: !!g.silent, noHeaders: !g.tableHeaders },
        io,
      );
      const ctx: Ctx = {
        api: new ApiClient({
          url: g.url,
          username: g.username,
          password: g.password,
          timeoutMs: g.timeout * 1000,
        }),
        vhost: g.vhost,
        print,
        timeoutSeconds: g.timeout,
        readStdin: () => readAll(stdin),
      };
      await verb.run(ctx, command.processedArgs, command.opts());
    });
  }
  return program;
}

/** Runs warrenctl with `argv` (without node and script); resolves with the exit code. */
export async function main(
  argv: string[],
  env: NodeJS.ProcessEnv = process.env,
  io: Output = processOutput,
  stdin: NodeJS.ReadableStream = process.stdin,
): Promise<number> {
  const program = buildProgram(env, io, stdin);
  try {
    if (argv.length === 0) {
      program.outputHelp({ error: true });
      return EXIT.USAGE;
    }
    await program.parseAsync(argv, { from: 'user' });
    return EXIT.OK;
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode === 0 ? EXIT.OK : EXIT.USAGE;
    const err = e instanceof ApiError ? fromApiError(e) : e;
    if (err instanceof CtlError) {
      io.err(
        err.exitCode === EXIT.USAGE
          ? `Error (argument validation): ${err.message}\n`
          : `Error:\n${err.message}\n`,
      );
      return err.exitCode;
    }
    io.err(`Error:\n${(err as Error).stack ?? String(err)}\n`);
    return EXIT.SOFTWARE;
  }
}
