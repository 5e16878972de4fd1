/**
 * The one table of a run: per row the RabbitMQ and Warren figures, Warren's advantage (how many times
 * better: Warren/RabbitMQ for rates, RabbitMQ/Warren for latency, memory and time, so above 1 always
 * means Warren is ahead), the target and whether it is met, and Warren's RSS.
 */
import { fmt1, fmtValue } from './format.js';
import type { RowResult } from './results.js';
import type { Goal, RowDef, ScenarioDef } from './scenarios.js';

export interface TableRow {
  id: string;
  label: string;
  unit: string;
  rabbitmq: string;
  warren: string;
  advantage: string;
  target: string;
  met: string;
  warrenRss: string;
}

function goalText(g: Goal, unit: string): string {
  switch (g.kind) {
    case 'ratio':
      return `>= ${g.want}x`;
    case 'beats':
      return '< RabbitMQ';
    case 'below':
      return `< ${g.limit} ${unit}`;
    case 'none':
      return '';
  }
}

function met(g: Goal, advantage: number | undefined, warren: number | undefined): string {
  switch (g.kind) {
    case 'ratio':
      if (advantage === undefined) return '?';
      return advantage >= g.want ? 'yes' : advantage >= g.floor ? 'short' : 'NO';
    case 'beats':
      return advantage === undefined ? '?' : advantage > 1 ? 'yes' : 'NO';
    case 'below':
      return warren === undefined ? '?' : warren < g.limit ? 'yes' : 'NO';
    case 'none':
      return '';
  }
}

function cell(r: RowResult | undefined, unit: string): string {
  if (!r) return '-';
  if (r.value === undefined) return r.note ?? '-';
  return fmtValue(r.value, unit) + (r.note ? ` (${r.note})` : '');
}

export function buildRows(scenarios: ScenarioDef[], results: RowResult[]): TableRow[] {
  const rows: TableRow[] = [];
  for (const s of scenarios)
    for (const def of s.rows as RowDef[]) {
      const rmq = results.find((r) => r.row === def.key && r.target === 'rabbitmq');
      const w = results.find((r) => r.row === def.key && r.target === 'warren');
      let advantage: number | undefined;
      if (rmq?.value !== undefined && w?.value !== undefined && rmq.value > 0 && w.value > 0)
        advantage = def.higherIsBetter ? w.value / rmq.value : rmq.value / w.value;
      rows.push({
        id: s.id,
        label: def.label,
        unit: def.unit,
        rabbitmq: cell(rmq, def.unit),
        warren: cell(w, def.unit),
        advantage: advantage === undefined ? '-' : `${advantage.toFixed(2)}x`,
        target: goalText(def.goal, def.unit),
        met: met(def.goal, advantage, w?.value),
        warrenRss: fmt1(w?.brokerRssMB),
      });
    }
  return rows;
}

const HEAD = [
  '#',
  'scenario',
  'unit',
  'RabbitMQ',
  'Warren',
  'Warren ahead',
  'target',
  'met',
  'Warren RSS MB',
];
const cells = (r: TableRow): string[] => [
  r.id,
  r.label,
  r.unit,
  r.rabbitmq,
  r.warren,
  r.advantage,
  r.target,
  r.met,
  r.warrenRss,
];
/** columns aligned right (numbers) */
const RIGHT = new Set([3, 4, 5, 8]);

export function textTable(rows: TableRow[]): string {
  const all = [HEAD, ...rows.map(cells)];
  const widths = HEAD.map((_, i) => Math.max(...all.map((r) => (r[i] ?? '').length)));
  return all
    .map((r) =>
      r
        .map((c, i) => (RIGHT.has(i) ? c.padStart(widths[i] ?? 0) : c.padEnd(widths[i] ?? 0)))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

export function markdownTable(rows: TableRow[]): string {
  const line = (r: string[]): string => `| ${r.join(' | ')} |`;
  const rule = HEAD.map((_, i) => (RIGHT.has(i) ? '---:' : '---'));
  return [line(HEAD), line(rule), ...rows.map((r) => line(cells(r)))].join('\n');
}

export const LEGEND =
  '"Warren ahead" is how many times better Warren did: Warren/RabbitMQ for rates, RabbitMQ/Warren for ' +
  'latency, memory and time; above 1.00x Warren is ahead. "met": yes, short (1.5x-2x), NO.';
