import { useCallback, useEffect, useState } from 'react';

/**
 * Hash routing (`#/work?queue=overdue`): the server falls back to index.html for any path, but a hash keeps every
 * link working even behind a proxy that does not. The query part holds the filters, so a filtered list can be
 * bookmarked and shared.
 */
export interface Route {
  path: string;
  query: URLSearchParams;
}

export const parseHash = (hash: string): Route => {
  const raw = hash.replace(/^#/, '') || '/';
  const [path, query = ''] = raw.split('?');
  return { path: path || '/', query: new URLSearchParams(query) };
};

export const href = (path: string, query?: Record<string, string | number | undefined | null>): string => {
  const params = new URLSearchParams();
  if (query) for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== null && v !== '') params.set(k, String(v));
  const s = params.toString();
  return `#${path}${s ? `?${s}` : ''}`;
};

export function navigate(path: string, query?: Record<string, string | number | undefined | null>, replace = false): void {
  const target = href(path, query);
  if (replace) history.replaceState(null, '', target);
  else location.hash = target;
  if (replace) window.dispatchEvent(new HashChangeEvent('hashchange'));
}

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseHash(location.hash));
  useEffect(() => {
    const on = () => setRoute(parseHash(location.hash));
    window.addEventListener('hashchange', on);
    return () => window.removeEventListener('hashchange', on);
  }, []);
  return route;
}

/** Reads and writes one query parameter of the current route (filters kept in the URL). */
export function useQueryParams(route: Route): [URLSearchParams, (patch: Record<string, string | null>) => void] {
  const set = useCallback(
    (patch: Record<string, string | null>) => {
      const next = new URLSearchParams(route.query);
      for (const [k, v] of Object.entries(patch)) {
        if (v === null || v === '') next.delete(k);
        else next.set(k, v);
      }
      navigate(route.path, Object.fromEntries(next), true);
    },
    [route],
  );
  return [route.query, set];
}
