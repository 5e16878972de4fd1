/** list_queues, purge_queue, delete_queue. */
import { apiPath, orNotFound } from './client.js';
import { ApiError, CtlError, EXIT } from './errors.js';
import type { Column } from './format.js';
import { field, listVerb, type Ctx, type Verb } from './verb.js';

type Queue = Record<string, unknown>;

const n = (name: string): Column<Queue> => field(name);
const node = (q: Queue): unknown => q['node'];

/** rabbitmqctl's info keys, mapped to the management API's queue object. */
export const QUEUE_COLUMNS: Column<Queue>[] = [
  n('name'),
  n('durable'),
  n('auto_delete'),
  n('exclusive'),
  field('arguments', 'args'),
  n('policy'),
  // Warren has no Erlang processes: pid columns show what identifies the owner instead, or nothing.
  { name: 'pid', get: () => '' },
  {
    name: 'owner_pid',
    get: (q) => (q['owner_pid_details'] as { name?: unknown } | undefined)?.name ?? '',
  },
  { name: 'exclusive_consumer_pid', get: () => '' },
  n('exclusive_consumer_tag'),
  n('messages_ready'),
  n('messages_unacknowledged'),
  n('messages'),
  n('messages_ready_ram'),
  n('messages_unacknowledged_ram'),
  n('messages_ram'),
  n('messages_persistent'),
  n('message_bytes'),
  n('message_bytes_ready'),
  n('message_bytes_unacknowledged'),
  n('message_bytes_ram'),
  n('message_bytes_persistent'),
  n('head_message_timestamp'),
  n('disk_reads'),
  n('disk_writes'),
  n('consumers'),
  n('consumer_utilisation'),
  n('consumer_capacity'),
  n('memory'),
  { name: 'slave_pids', get: () => '' },
  { name: 'synchronised_slave_pids', get: () => '' },
  n('state'),
  n('type'),
  { name: 'leader', get: node },
  { name: 'members', get: (q) => [node(q)], show: 'list' },
  { name: 'online', get: (q) => [node(q)], show: 'list' },
];

export function queueNotFound(name: string, vhost: string): CtlError {
  return new CtlError(`Queue '${name}' in vhost '${vhost}' was not found`, EXIT.UNAVAILABLE);
}

export function vhostNotFound(vhost: string): CtlError {
  return new CtlError(`Virtual host '${vhost}' does not exist`, EXIT.UNAVAILABLE);
}

/** GET of a per-vhost collection; its 404 means the vhost is missing. */
export function listInVhost<T>(ctx: Ctx, kind: string): Promise<T[]> {
  return orNotFound(ctx.api.get<T[]>(apiPath(kind, ctx.vhost)), () => vhostNotFound(ctx.vhost));
}

const listQueues = listVerb<Queue>({
  name: 'list_queues',
  description: 'lists queues and their properties',
  columns: QUEUE_COLUMNS,
  defaults: ['name', 'messages'],
  info: (ctx) => [
    `Timeout: ${ctx.timeoutSeconds.toFixed(1)} seconds ...`,
    `Listing queues for vhost ${ctx.vhost} ...`,
  ],
  fetch: (ctx) => listInVhost(ctx, 'queues'),
});

const purgeQueue: Verb = {
  name: 'purge_queue',
  args: '<queue>',
  description: 'removes all ready messages from a queue',
  async run(ctx, [name]) {
    const q = name as string;
    ctx.print.info(`Purging queue '${q}' in vhost '${ctx.vhost}' ...`);
    await orNotFound(ctx.api.delete(apiPath('queues', ctx.vhost, q, 'contents')), () =>
      queueNotFound(q, ctx.vhost),
    );
  },
};

const deleteQueue: Verb = {
  name: 'delete_queue',
  args: '<queue>',
  description: 'deletes a queue',
  options(cmd) {
    cmd.option('-e, --if-empty', 'delete only when the queue has no ready messages');
    cmd.option('-u, --if-unused', 'delete only when the queue has no consumers');
  },
  async run(ctx, [name], opts) {
    const q = name as string;
    const conditions = [
      opts['ifEmpty'] ? 'if queue is empty' : '',
      opts['ifUnused'] ? 'if queue is unused' : '',
    ]
      .filter(Boolean)
      .join(' and ');
    ctx.print.info(`Deleting queue '${q}' on vhost '${ctx.vhost}'${conditions ? ' ' + conditions : ''} ...`);
    const path = apiPath('queues', ctx.vhost, q);
    const before = await orNotFound(ctx.api.get<Queue>(path), () => queueNotFound(q, ctx.vhost));
    const query = [opts['ifEmpty'] ? 'if-empty=true' : '', opts['ifUnused'] ? 'if-unused=true' : '']
      .filter(Boolean)
      .join('&');
    try {
      await ctx.api.delete(query ? `${path}?${query}` : path);
    } catch (e) {
      if (e instanceof ApiError && e.status === 404) throw queueNotFound(q, ctx.vhost);
      if (e instanceof ApiError && e.status === 400) {
        if (/empty/i.test(e.reason)) throw new CtlError('Queue is not empty', EXIT.DATA_ERROR);
        if (/use|consumer/i.test(e.reason)) throw new CtlError('Queue is in use', EXIT.DATA_ERROR);
      }
      throw e;
    }
    const ready = typeof before['messages_ready'] === 'number' ? before['messages_ready'] : 0;
    ctx.print.line(`Queue was successfully deleted with ${ready} ready messages`);
  },
};

export const queueVerbs: Verb[] = [listQueues, purgeQueue, deleteQueue];
