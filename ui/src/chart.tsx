/**
 * Live line charts drawn as SVG: the page samples the broker's counters and rates at every refresh
 * and the chart shows the recent history, newest on the right.
 */
import { useEffect, useRef, useState } from 'preact/hooks';

export interface Series {
  label: string;
  color: string;
}

interface Sample {
  t: number;
  values: number[];
}

const histories = new Map<string, Sample[]>();
const MAX_AGE_MS = 10 * 60 * 1000;

/**
 * Appends a sample to the named history whenever `stamp` changes (each fresh API answer), and returns
 * the samples. Histories outlive the page, so going back to a page keeps its chart.
 */
export function useHistory(key: string, stamp: unknown, values: number[] | undefined): Sample[] {
  const [, setN] = useState(0);
  const last = useRef<unknown>(undefined);
  useEffect(() => {
    if (values === undefined || stamp === undefined || last.current === stamp) return;
    last.current = stamp;
    const now = Date.now();
    const h = (histories.get(key) ?? []).filter((s) => now - s.t <= MAX_AGE_MS);
    h.push({ t: now, values });
    histories.set(key, h);
    setN((n) => n + 1);
  }, [key, stamp]);
  return histories.get(key) ?? [];
}

function niceMax(v: number): number {
  if (v <= 0) return 1;
  const p = Math.pow(10, Math.floor(Math.log10(v)));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= v) return m * p;
  return 10 * p;
}

function fmtAxis(v: number): string {
  if (v >= 1e6) return `${+(v / 1e6).toFixed(1)}M`;
  if (v >= 1e3) return `${+(v / 1e3).toFixed(1)}k`;
  return `${+v.toFixed(2)}`;
}

function clock(t: number): string {
  const d = new Date(t);
  return `${String(d.getHours()).padStart(2, '0')}:${String(d.getMinutes()).padStart(2, '0')}:${String(d.getSeconds()).padStart(2, '0')}`;
}

export function Chart(props: {
  title: string;
  series: Series[];
  samples: Sample[];
  format: (v: number) => string;
  testid?: string;
}) {
  const { series, samples } = props;
  const W = 560;
  const H = 170;
  const L = 48;
  const R = 8;
  const T = 8;
  const B = 22;
  const now = samples.length > 0 ? (samples[samples.length - 1]?.t ?? Date.now()) : Date.now();
  const first = samples[0]?.t ?? now;
  // at least one minute wide, so the first samples do not fill the whole chart
  const span = Math.max(60_000, now - first);
  const t0 = now - span;
  let max = 0;
  for (const s of samples) for (const v of s.values) if (v > max) max = v;
  const yMax = niceMax(max);
  const x = (t: number) => L + ((t - t0) / span) * (W - L - R);
  const y = (v: number) => T + (1 - v / yMax) * (H - T - B);
  const latest = samples[samples.length - 1];
  const ticks = [0, 0.25, 0.5, 0.75, 1].map((f) => f * yMax);
  return (
    <div class="chart" data-testid={props.testid}>
      <div class="chart-title">{props.title}</div>
      <div class="chart-body">
        <svg viewBox={`0 0 ${W} ${H}`} role="img" aria-label={props.title} preserveAspectRatio="none">
          {ticks.map((v) => (
            <g key={v}>
              <line x1={L} x2={W - R} y1={y(v)} y2={y(v)} class="grid" />
              <text x={L - 6} y={y(v) + 4} class="axis" text-anchor="end">
                {fmtAxis(v)}
              </text>
            </g>
          ))}
          <text x={L} y={H - 6} class="axis" text-anchor="start">
            {clock(t0)}
          </text>
          <text x={W - R} y={H - 6} class="axis" text-anchor="end">
            {clock(now)}
          </text>
          {series
            .map((s, i) => {
              if (samples.length === 0) return null;
              const pts = samples.map((p) => `${x(p.t).toFixed(1)},${y(p.values[i] ?? 0).toFixed(1)}`);
              if (samples.length === 1) pts.unshift(`${x(t0)},${y(samples[0]?.values[i] ?? 0).toFixed(1)}`);
              return (
                <polyline
                  key={s.label}
                  points={pts.join(' ')}
                  fill="none"
                  stroke={s.color}
                  stroke-width="2"
                  vector-effect="non-scaling-stroke"
                />
              );
            })
            // the first series on top
            .reverse()}
        </svg>
        <table class="legend">
          <tbody>
            {series.map((s, i) => (
              <tr key={s.label}>
                <td>
                  <span class="swatch" style={{ background: s.color }} />
                </td>
                <th>{s.label}</th>
                <td class="num">{latest ? props.format(latest.values[i] ?? 0) : ''}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </div>
  );
}
