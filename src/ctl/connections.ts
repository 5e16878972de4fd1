/** list_connections, list_channels, list_consumers, close_connection, close_all_connections. */
import { apiPath, orNotFound } from './client.js';
import { ApiError, CtlError, EXIT } from './errors.js';
import type { Column } from './format.js';
import { listInVhost, vhostNotFound } from './queues.js';
import { field, listVerb, str, type Verb } from './verb.js';

type Row = Record<string, unknown>;

const detail =
  (obj: string, key: string) =>
  (r: Row): unknown =>
    (r[obj] as Row | undefined)?.[key];

/** "AMQP 0-9-1" as rabbitmqctl prints it: {0,9,1} */
function protocol(r: Row): unknown {
  const m = /(\d+)-(\d+)-(\d+)/.exec(str(r['protocol']));
  return m ? `{${m[1]},${m[2]},${m[3]}}` : r['protocol'];
}

export const CONNECTION_COLUMNS: Column<Row>[] = [
  field('auth_mechanism'),
  field('channel_max'),
  field('channels'),
  field('client_properties', 'args'),
  field('connected_at'),
  field('frame_max'),
  field('host'),
  field('name'),
  field('peer_cert_issuer'),
  field('peer_cert_subject'),
  field('peer_cert_validity'),
  field('peer_host'),
  field('peer_port'),
  // No Erlang pids in Warren: a connection is identified by its name, which close_connection takes.
  field('pid', 'plain', 'name'),
  field('port'),
  { name: 'protocol', get: protocol },
  field('recv_cnt'),
  field('recv_oct'),
  field('send_cnt'),
  field('send_oct'),
  field('send_pend'),
  field('ssl'),
  field('ssl_cipher'),
  field('ssl_hash'),
  field('ssl_key_exchange'),
  field('ssl_protocol'),
  field('state'),
  field('timeout'),
  field('user'),
  field('vhost'),
];

export const CHANNEL_COLUMNS: Column<Row>[] = [
  field('acks_uncommitted'),
  field('confirm'),
  { name: 'connection', get: detail('connection_details', 'name') },
  field('consumer_count'),
  field('global_prefetch_count'),
  field('messages_unacknowledged'),
  field('messages_uncommitted'),
  field('messages_unconfirmed'),
  field('name'),
  field('number'),
  field('pid', 'plain', 'name'),
  field('prefetch_count'),
  field('transactional'),
  field('user'),
  field('vhost'),
];

/** In rabbitmqctl's order, which it keeps whatever order the columns are asked in. */
export const CONSUMER_COLUMNS: Column<Row>[] = [
  { name: 'queue_name', get: detail('queue', 'name') },
  { name: 'channel_pid', get: detail('channel_details', 'name') },
  field('consumer_tag'),
  field('ack_required'),
  field('prefetch_count'),
  field('active'),
  field('activity_status'),
  field('arguments', 'args'),
];

const listConnections = listVerb<Row>({
  name: 'list_connections',
  description: 'lists AMQP connections',
  columns: CONNECTION_COLUMNS,
  defaults: ['user', 'peer_host', 'peer_port', 'state'],
  info: () => ['Listing connections ...'],
  fetch: (ctx) => ctx.api.get<Row[]>('/connections'),
});

const listChannels = listVerb<Row>({
  name: 'list_channels',
  description: 'lists channels',
  columns: CHANNEL_COLUMNS,
  defaults: ['pid', 'user', 'consumer_count', 'messages_unacknowledged'],
  info: () => ['Listing channels ...'],
  fetch: (ctx) => ctx.api.get<Row[]>('/channels'),
});

const listConsumers = listVerb<Row>({
  name: 'list_consumers',
  description: 'lists consumers in a vhost',
  columns: CONSUMER_COLUMNS,
  defaults: CONSUMER_COLUMNS.map((c) => c.name).filter((c) => c !== 'activity_status'),
  fixedOrder: true,
  info: (ctx) => [`Listing consumers in vhost ${ctx.vhost} ...`],
  fetch: (ctx) => listInVhost(ctx, 'consumers'),
});

const closeConnection: Verb = {
  name: 'close_connection',
  args: '<name> <explanation>',
  description:
    'closes a connection by its name (the name column of list_connections), telling the client why',
  async run(ctx, [name, explanation]) {
    const conn = name as string;
    ctx.print.info(`Closing connection ${conn}, reason: ${explanation as string}...`);
    await orNotFound(
      ctx.api.delete(apiPath('connections', conn), { 'x-reason': explanation as string }),
      () => new CtlError(`Connection '${conn}' was not found`, EXIT.UNAVAILABLE),
    );
  },
};

const closeAllConnections: Verb = {
  name: 'close_all_connections',
  args: '<explanation>',
  description: 'closes all connections in a vhost (-p), or in every vhost with --global',
  options(cmd) {
    cmd.option('--global', 'close connections in every vhost');
    cmd.option('--limit <number>', 'close at most this many connections (0: no limit)', '0');
  },
  async run(ctx, [explanation], opts) {
    const reason = explanation as string;
    const limit = Number(opts['limit']);
    if (!Number.isInteger(limit) || limit < 0)
      throw new CtlError(`--limit must be a whole number, not ${String(opts['limit'])}`, EXIT.USAGE);
    let rows: Row[];
    if (opts['global']) {
      const overview = await ctx.api.get<Row>('/overview');
      ctx.print.info(
        `Closing all connections to node ${str(overview['node'])} (across all vhosts), reason: ${reason}...`,
      );
      rows = await ctx.api.get<Row[]>('/connections');
    } else {
      ctx.print.info(`Closing all connections in vhost ${ctx.vhost}, reason: ${reason}...`);
      rows = await orNotFound(ctx.api.get<Row[]>(apiPath('vhosts', ctx.vhost, 'connections')), () =>
        vhostNotFound(ctx.vhost),
      );
    }
    if (limit > 0) rows = rows.slice(0, limit);
    let closed = 0;
    for (const r of rows) {
      // One that went away meanwhile is not an error: the goal is that it is closed.
      try {
        await ctx.api.delete(apiPath('connections', str(r['name'])), { 'x-reason': reason });
        closed++;
      } catch (e) {
        if (!(e instanceof ApiError && e.status === 404)) throw e;
      }
    }
    ctx.print.line(`Closed ${closed} connections`);
  },
};

export const connectionVerbs: Verb[] = [
  listConnections,
  listChannels,
  listConsumers,
  closeConnection,
  closeAllConnections,
];
