/** Number, rate, byte and time formatting for the tables. */

export function fmtNum(n: number | undefined | null): string {
  if (n === undefined || n === null || Number.isNaN(n)) return '';
  return Math.round(n).toLocaleString('en-US');
}

export function fmtRate(r: number | undefined | null): string {
  if (r === undefined || r === null || Number.isNaN(r)) return '';
  if (r === 0) return '0.00/s';
  if (Math.abs(r) < 10) return `${r.toFixed(2)}/s`;
  if (Math.abs(r) < 100) return `${r.toFixed(1)}/s`;
  return `${Math.round(r).toLocaleString('en-US')}/s`;
}

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];

export function fmtBytes(n: number | undefined | null): string {
  if (n === undefined || n === null || Number.isNaN(n)) return '';
  let v = n;
  let u = 0;
  while (Math.abs(v) >= 1024 && u < UNITS.length - 1) {
    v /= 1024;
    u++;
  }
  return u === 0 ? `${v} B` : `${v < 10 ? v.toFixed(1) : Math.round(v)} ${UNITS[u]}`;
}

export function fmtByteRate(r: number | undefined | null): string {
  if (r === undefined || r === null) return '';
  return `${fmtBytes(r)}/s`;
}

/** Milliseconds of uptime as "2d 3h", "5h 10m", "42s". */
export function fmtUptime(ms: number | undefined): string {
  if (ms === undefined) return '';
  let s = Math.floor(ms / 1000);
  const d = Math.floor(s / 86400);
  s -= d * 86400;
  const h = Math.floor(s / 3600);
  s -= h * 3600;
  const m = Math.floor(s / 60);
  s -= m * 60;
  if (d > 0) return `${d}d ${h}h`;
  if (h > 0) return `${h}h ${m}m`;
  if (m > 0) return `${m}m ${s}s`;
  return `${s}s`;
}

export function fmtTime(ms: number | undefined): string {
  if (ms === undefined) return '';
  const d = new Date(ms);
  const p = (x: number) => String(x).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}

/** An argument or property value for display: strings as they are, the rest as JSON. */
export function fmtValue(v: unknown): string {
  if (typeof v === 'string') return v;
  if (v === undefined) return '';
  return JSON.stringify(v);
}

/** Reads a dotted path such as "message_stats.publish_details.rate". */
export function pick(o: unknown, path: string): unknown {
  let cur: unknown = o;
  for (const k of path.split('.')) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[k];
  }
  return cur;
}
