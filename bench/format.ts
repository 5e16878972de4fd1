/** Number formatting shared by the benchmark's lines and tables. */
export const fmtInt = (n: number | undefined): string =>
  n === undefined || !Number.isFinite(n) ? '-' : Math.round(n).toLocaleString('en-US');
export const fmt1 = (n: number | undefined): string =>
  n === undefined || !Number.isFinite(n) ? '-' : n.toFixed(1);
export const pct = (n: number | undefined): string =>
  n === undefined || !Number.isFinite(n) ? '-' : `${Math.round(n)}%`;

/** A value in its unit, with the digits that matter for it. */
export function fmtValue(v: number | undefined, unit: string): string {
  if (v === undefined || !Number.isFinite(v)) return '-';
  if (unit === 'msg/s') return fmtInt(v);
  if (unit === 'ms') return v >= 100 ? fmtInt(v) : v >= 10 ? v.toFixed(1) : v.toFixed(2);
  if (unit === 's') return v.toFixed(2);
  return v >= 100 ? fmtInt(v) : v.toFixed(1);
}
