/**
 * UI-wide settings: refresh interval (RabbitMQ's default 5 s) and the selected vhost, kept in
 * sessionStorage, with a hook that re-renders on change and a refresh tick every page polls on.
 */
import { useEffect, useState } from 'preact/hooks';

export interface Settings {
  /** milliseconds between refreshes, 0 = off */
  refreshMs: number;
  /** '' = all vhosts */
  vhost: string;
}

const KEY = 'warren.settings';

function load(): Settings {
  const d: Settings = { refreshMs: 5000, vhost: '' };
  try {
    const raw = sessionStorage.getItem(KEY);
    if (raw) {
      const s = JSON.parse(raw) as Partial<Settings>;
      if (typeof s.refreshMs === 'number') d.refreshMs = s.refreshMs;
      if (typeof s.vhost === 'string') d.vhost = s.vhost;
    }
  } catch {
    // defaults
  }
  return d;
}

let settings = load();
const listeners = new Set<() => void>();

export function getSettings(): Settings {
  return settings;
}

export function updateSettings(patch: Partial<Settings>): void {
  settings = { ...settings, ...patch };
  sessionStorage.setItem(KEY, JSON.stringify(settings));
  for (const l of listeners) l();
}

export function useSettings(): Settings {
  const [, setN] = useState(0);
  useEffect(() => {
    const l = () => setN((n) => n + 1);
    listeners.add(l);
    return () => {
      listeners.delete(l);
    };
  }, []);
  return settings;
}

// --- the refresh tick: every page's data reloads when it changes ---

let tick = 0;
const tickListeners = new Set<(t: number) => void>();

/** Forces every mounted page to reload now (after an action, or from the refresh button). */
export function refreshNow(): void {
  tick++;
  for (const l of tickListeners) l(tick);
}

let timer: number | undefined;
function schedule(): void {
  if (timer !== undefined) window.clearInterval(timer);
  timer = undefined;
  if (settings.refreshMs > 0) timer = window.setInterval(refreshNow, settings.refreshMs);
}
listeners.add(schedule);
schedule();

export function useTick(): number {
  const [t, setT] = useState(tick);
  useEffect(() => {
    tickListeners.add(setT);
    return () => {
      tickListeners.delete(setT);
    };
  }, []);
  return t;
}
