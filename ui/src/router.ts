/**
 * Hash routing: #/queues/%2F/orders is linkable and survives a reload. Segments are URI-encoded, so
 * a vhost "/" is %2F and names may hold any character.
 */
import { useEffect, useState } from 'preact/hooks';

export function currentRoute(): string[] {
  const h = location.hash.replace(/^#\/?/, '');
  const path = h.split('?')[0] ?? '';
  return path === ''
    ? []
    : path.split('/').map((s) => {
        try {
          return decodeURIComponent(s);
        } catch {
          return s;
        }
      });
}

export function href(...segments: string[]): string {
  return '#/' + segments.map((s) => encodeURIComponent(s)).join('/');
}

export function navigate(...segments: string[]): void {
  location.hash = href(...segments);
}

export function useRoute(): string[] {
  const [route, setRoute] = useState(currentRoute);
  useEffect(() => {
    const on = () => setRoute(currentRoute());
    window.addEventListener('hashchange', on);
    return () => window.removeEventListener('hashchange', on);
  }, []);
  return route;
}
