/** list_policies, set_policy, clear_policy, list_parameters, list_global_parameters. */
import { apiPath, orNotFound } from './client.js';
import { ApiError, CtlError, EXIT } from './errors.js';
import type { Column } from './format.js';
import { listInVhost } from './queues.js';
import { field, type Verb } from './verb.js';

type Row = Record<string, unknown>;

const POLICY_COLUMNS: Column<Row>[] = [
  field('vhost'),
  field('name'),
  field('pattern'),
  field('apply-to'),
  field('definition', 'json'),
  field('priority'),
];

const listPolicies: Verb = {
  name: 'list_policies',
  description: 'lists the policies of a vhost',
  async run(ctx) {
    const rows = await listInVhost<Row>(ctx, 'policies');
    ctx.print.list(`Listing policies for vhost "${ctx.vhost}" ...`, POLICY_COLUMNS, rows);
  },
};

const APPLY_TO = ['queues', 'exchanges', 'all', 'classic_queues', 'quorum_queues', 'streams'];

const setPolicy: Verb = {
  name: 'set_policy',
  args: '<name> <pattern> <definition>',
  description: 'sets a policy: queues or exchanges whose names match the pattern get the JSON definition',
  options(cmd) {
    cmd.option('--priority <n>', 'the highest-priority matching policy applies', '0');
    cmd.option('--apply-to <kind>', `what it applies to: ${APPLY_TO.join(', ')}`, 'all');
  },
  async run(ctx, [name, pattern, definition], opts) {
    const policy = name as string;
    const def = definition as string;
    const priority = Number(opts['priority']);
    ctx.print.info(
      `Setting policy "${policy}" for pattern "${pattern as string}" to "${def}" with priority "${String(opts['priority'])}" for vhost "${ctx.vhost}" ...`,
    );
    if (!Number.isInteger(priority))
      throw new CtlError(`--priority must be an integer, not ${String(opts['priority'])}`, EXIT.USAGE);
    let parsed: unknown;
    try {
      parsed = JSON.parse(def);
    } catch (e) {
      throw new CtlError(`JSON decoding error: ${(e as Error).message}`, EXIT.DATA_ERROR);
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
      throw new CtlError('the policy definition must be a JSON object', EXIT.DATA_ERROR);
    await orNotFound(
      ctx.api.put(apiPath('policies', ctx.vhost, policy), {
        pattern,
        definition: parsed,
        priority,
        'apply-to': opts['applyTo'],
      }),
      () => new CtlError(`Virtual host '${ctx.vhost}' does not exist`, EXIT.UNAVAILABLE),
    );
  },
};

const clearPolicy: Verb = {
  name: 'clear_policy',
  args: '<name>',
  description: 'removes a policy',
  async run(ctx, [name]) {
    const policy = name as string;
    ctx.print.info(`Clearing policy "${policy}" on vhost "${ctx.vhost}" ...`);
    await orNotFound(
      ctx.api.delete(apiPath('policies', ctx.vhost, policy)),
      () => new CtlError(`Policy '${policy}' in vhost '${ctx.vhost}' does not exist`, EXIT.UNAVAILABLE),
    );
  },
};

/** A broker without runtime parameters (Warren has no federation or shovels) may not serve their lists. */
async function orEmpty(call: Promise<Row[]>): Promise<Row[]> {
  try {
    return await call;
  } catch (e) {
    if (e instanceof ApiError && e.status === 404) return [];
    throw e;
  }
}

const listParameters: Verb = {
  name: 'list_parameters',
  description: 'lists the runtime parameters of a vhost',
  async run(ctx) {
    const all = await orEmpty(ctx.api.get<Row[]>('/parameters'));
    ctx.print.list(
      `Listing runtime parameters for vhost "${ctx.vhost}" ...`,
      [field('component'), field('name'), field('value', 'json')],
      all.filter((p) => p['vhost'] === ctx.vhost),
    );
  },
};

const listGlobalParameters: Verb = {
  name: 'list_global_parameters',
  description: 'lists global runtime parameters',
  async run(ctx) {
    const rows = await orEmpty(ctx.api.get<Row[]>('/global-parameters'));
    ctx.print.list('Listing global runtime parameters ...', [field('name'), field('value', 'json')], rows);
  },
};

export const policyVerbs: Verb[] = [
  listPolicies,
  setPolicy,
  clearPolicy,
  listParameters,
  listGlobalParameters,
];
