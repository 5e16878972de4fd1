/** list_vhosts, add_vhost, delete_vhost. */
import { apiPath, orNotFound } from './client.js';
import { CtlError, EXIT } from './errors.js';
import type { Column } from './format.js';
import { field, listVerb, type Verb } from './verb.js';

type Row = Record<string, unknown>;

export const VHOST_COLUMNS: Column<Row>[] = [
  {
    // {"node": "running"} as rabbitmqctl prints it: [{node, running}]
    name: 'cluster_state',
    get: (r) => {
      const s = (r['cluster_state'] ?? {}) as Record<string, unknown>;
      return `[${Object.entries(s)
        .map(([node, state]) => `{${node}, ${String(state)}}`)
        .join(', ')}]`;
    },
  },
  { name: 'default_queue_type', get: (r) => r['default_queue_type'] ?? 'undefined' },
  { name: 'description', get: (r) => r['description'] ?? '' },
  field('name'),
  { name: 'tags', get: (r) => r['tags'] ?? [], show: 'list' },
  { name: 'tracing', get: (r) => r['tracing'] ?? false },
];

const listVhosts = listVerb<Row>({
  name: 'list_vhosts',
  description: 'lists virtual hosts',
  columns: VHOST_COLUMNS,
  defaults: ['name'],
  info: () => ['Listing vhosts ...'],
  fetch: (ctx) => ctx.api.get<Row[]>('/vhosts'),
});

const addVhost: Verb = {
  name: 'add_vhost',
  args: '<vhost>',
  description: 'creates a virtual host (succeeds when it exists already)',
  options(cmd) {
    cmd.option('--description <text>', 'a description');
    cmd.option('--tags <tags>', 'comma-separated tags');
    cmd.option('--default-queue-type <type>', 'queue type for queues declared without x-queue-type');
  },
  async run(ctx, [name], opts) {
    const vhost = name as string;
    ctx.print.info(`Adding vhost "${vhost}" ...`);
    const body: Row = {};
    if (opts['description'] !== undefined) body['description'] = opts['description'];
    if (opts['tags'] !== undefined) body['tags'] = opts['tags'];
    if (opts['defaultQueueType'] !== undefined) body['default_queue_type'] = opts['defaultQueueType'];
    await ctx.api.put(apiPath('vhosts', vhost), body);
  },
};

const deleteVhost: Verb = {
  name: 'delete_vhost',
  args: '<vhost>',
  description: 'deletes a virtual host and everything in it',
  async run(ctx, [name]) {
    const vhost = name as string;
    ctx.print.info(`Deleting vhost "${vhost}" ...`);
    await orNotFound(
      ctx.api.delete(apiPath('vhosts', vhost)),
      () => new CtlError(`Virtual host '${vhost}' does not exist`, EXIT.DATA_ERROR),
    );
  },
};

export const vhostVerbs: Verb[] = [listVhosts, addVhost, deleteVhost];
