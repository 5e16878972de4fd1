/** export_definitions, import_definitions: RabbitMQ's definitions JSON through GET/POST /api/definitions. */
import { readFile, writeFile } from 'node:fs/promises';
import { CtlError, EXIT } from './errors.js';
import type { Verb } from './verb.js';

const exportDefinitions: Verb = {
  name: 'export_definitions',
  args: '<file>',
  description:
    'writes users, vhosts, permissions, queues, exchanges, bindings, policies and parameters as JSON to a file, or to standard output with -',
  async run(ctx, [file]) {
    const path = file as string;
    const defs = await ctx.api.get<unknown>('/definitions');
    if (path === '-') {
      ctx.print.document(defs);
      return;
    }
    ctx.print.info(`Exporting definitions in JSON to a file at "${path}" ...`);
    try {
      await writeFile(path, JSON.stringify(defs, null, 2) + '\n');
    } catch (e) {
      throw new CtlError(`could not write ${path}: ${(e as Error).message}`, EXIT.DATA_ERROR);
    }
  },
};

const importDefinitions: Verb = {
  name: 'import_definitions',
  args: '[file]',
  description:
    'loads definitions JSON (as export_definitions or RabbitMQ write it) from a file, or from standard input with - or no file',
  async run(ctx, [file]) {
    const path = file as string | undefined;
    let text: string;
    if (path === undefined || path === '-') {
      ctx.print.info('Importing definitions in JSON from standard input ...');
      text = await ctx.readStdin();
    } else {
      ctx.print.info(`Importing definitions in JSON from a file at "${path}" ...`);
      try {
        text = await readFile(path, 'utf8');
      } catch (e) {
        throw new CtlError(`could not read ${path}: ${(e as Error).message}`, EXIT.DATA_ERROR);
      }
    }
    let defs: unknown;
    try {
      defs = JSON.parse(text);
    } catch (e) {
      throw new CtlError(`the definitions are not valid JSON: ${(e as Error).message}`, EXIT.DATA_ERROR);
    }
    if (typeof defs !== 'object' || defs === null || Array.isArray(defs))
      throw new CtlError('the definitions must be a JSON object', EXIT.DATA_ERROR);
    await ctx.api.post('/definitions', defs);
    ctx.print.info('Successfully imported definitions.');
  },
};

export const definitionVerbs: Verb[] = [exportDefinitions, importDefinitions];
