/** list_exchanges, list_bindings. */
import type { Column } from './format.js';
import { listInVhost } from './queues.js';
import { field, listVerb, type Verb } from './verb.js';

type Row = Record<string, unknown>;

export const EXCHANGE_COLUMNS: Column<Row>[] = [
  field('name'),
  field('type'),
  field('durable'),
  field('auto_delete'),
  field('internal'),
  field('arguments', 'args'),
  field('policy'),
];

export const BINDING_COLUMNS: Column<Row>[] = [
  field('source_name', 'plain', 'source'),
  // The API has no source type: a binding's source is always an exchange.
  { name: 'source_kind', get: () => 'exchange' },
  field('destination_name', 'plain', 'destination'),
  field('destination_kind', 'plain', 'destination_type'),
  field('routing_key'),
  field('arguments', 'sorted-args'),
];

const listExchanges = listVerb<Row>({
  name: 'list_exchanges',
  description: 'lists exchanges',
  columns: EXCHANGE_COLUMNS,
  defaults: ['name', 'type'],
  info: (ctx) => [`Listing exchanges for vhost ${ctx.vhost} ...`],
  fetch: (ctx) => listInVhost(ctx, 'exchanges'),
});

const listBindings = listVerb<Row>({
  name: 'list_bindings',
  description: 'lists bindings',
  columns: BINDING_COLUMNS,
  defaults: BINDING_COLUMNS.map((c) => c.name),
  // rabbitmqctl's text, missing space included
  info: (ctx) => [`Listing bindings for vhost ${ctx.vhost}...`],
  fetch: (ctx) => listInVhost(ctx, 'bindings'),
});

export const exchangeVerbs: Verb[] = [listExchanges, listBindings];
