import { useCallback, useEffect, useRef, useState } from 'react';

/** A failed API call, carrying the RFC 9457 problem document the server sent (title_zh, detail, field errors). */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly title: string,
    readonly titleZh: string | null,
    readonly detail: string | null,
    readonly code: string | null,
    readonly errors: { field: string; message: string }[] = [],
    readonly body: Record<string, unknown> = {},
  ) {
    super(detail ?? title);
    this.name = 'ApiError';
  }
}

/** Anything a failed call threw, as an ApiError for the error box. */
export const toError = (err: unknown): ApiError => (err instanceof ApiError ? err : new ApiError(0, 'Error', null, String(err), null));

/**
 * The error of a screen's user actions: `run` clears it, runs the action and keeps what it threw; resolves
 * whether the action succeeded.
 *
 * @example const [error, run] = useActionError(); … onClick={() => run(() => intelApi.activate(2)).then((ok) => ok && list.reload())}
 */
export function useActionError(): [ApiError | null, (action: () => Promise<unknown>) => Promise<boolean>] {
  const [error, setError] = useState<ApiError | null>(null);
  const run = useCallback(async (action: () => Promise<unknown>) => {
    setError(null);
    try {
      await action();
      return true;
    } catch (err) {
      setError(toError(err));
      return false;
    }
  }, []);
  return [error, run];
}

/** status 0: the request never got an answer (offline, server down). */
const networkError = (err: unknown) =>
  new ApiError(0, 'Network error', '无法连接服务器', err instanceof Error ? err.message : String(err), 'NETWORK');

/**
 * Calls the CityHub API with the session cookie; JSON in, JSON out; any non-2xx becomes an ApiError built from the
 * problem+json body (or from the status line when the body is not a problem).
 *
 * @example const me = await api<MeView>('GET', '/api/auth/me');
 */
export async function api<T>(method: string, url: string, body?: unknown): Promise<T> {
  let response: Response;
  try {
    response = await fetch(url, {
      method,
      credentials: 'same-origin',
      headers: body === undefined ? { accept: 'application/json' } : { 'content-type': 'application/json', accept: 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (err) {
    throw networkError(err);
  }
  if (response.status === 204) return undefined as T;
  const text = await response.text();
  let json: unknown = undefined;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  if (!response.ok) {
    const p = (json && typeof json === 'object' ? json : {}) as Record<string, unknown>;
    throw new ApiError(
      response.status,
      typeof p.title === 'string' ? p.title : `${response.status} ${response.statusText}`,
      typeof p.title_zh === 'string' ? p.title_zh : null,
      typeof p.detail === 'string' ? p.detail : null,
      typeof p.code === 'string' ? p.code : null,
      Array.isArray(p.errors) ? (p.errors as { field: string; message: string }[]) : [],
      p,
    );
  }
  return json as T;
}

/** Builds `path?query` leaving out empty values. */
export function withQuery(path: string, query: Record<string, string | number | boolean | string[] | null | undefined>): string {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) {
    // arrays repeat the parameter (`status=a&status=b`), as the API's query schemas expect
    if (Array.isArray(v)) for (const item of v) params.append(k, item);
    else if (v !== undefined && v !== null && v !== '') params.set(k, String(v));
  }
  const s = params.toString();
  return s ? `${path}?${s}` : path;
}

export interface Loaded<T> {
  data: T | undefined;
  error: ApiError | null;
  loading: boolean;
  reload(): void;
}

/**
 * Loads data for a screen and keeps its loading and error state; a stale answer (deps changed meanwhile) is dropped.
 * `null` as the loader means "nothing to load".
 */
export function useLoad<T>(loader: (() => Promise<T>) | null, deps: unknown[]): Loaded<T> {
  const [data, setData] = useState<T | undefined>(undefined);
  const [error, setError] = useState<ApiError | null>(null);
  const [loading, setLoading] = useState<boolean>(loader !== null);
  const [tick, setTick] = useState(0);
  const seq = useRef(0);
  useEffect(() => {
    if (!loader) {
      setLoading(false);
      return;
    }
    const mine = ++seq.current;
    setLoading(true);
    loader().then(
      (value) => {
        if (mine !== seq.current) return;
        setData(value);
        setError(null);
        setLoading(false);
      },
      (err: unknown) => {
        if (mine !== seq.current) return;
        setError(err instanceof ApiError ? err : new ApiError(0, 'Error', null, String(err), null));
        setLoading(false);
      },
    );
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [...deps, tick]);
  const reload = useCallback(() => setTick((n) => n + 1), []);
  return { data, error, loading, reload };
}

let capabilities: Promise<Set<string>> | null = null;

/** The module that serves a path, for the optional panels (the intelligence, the context layer). */
const moduleOf = (path: string): string => {
  if (/^\/api\/hotline\/(assist|hot-issues|alerts|intel|replies)(\/|$)/.test(path)) return 'intel';
  if (/^\/api\/hotline\/kpi(\/|$)/.test(path)) return 'kpi';
  if (path.startsWith('/ngsi-ld/')) return 'context';
  const [, first, second] = path.split('/');
  return first === 'api' ? second ?? '' : first;
};

/**
 * Whether this server serves `METHOD /path` (e.g. `/api/hotline/assist`): whether it runs the module behind it,
 * from `GET /api/capabilities` (a few bytes, asked once per page load). Optional panels (assist, hot issues, live
 * city) ask first, so the app never calls a route the server does not have.
 */
export async function documentedRoute(_method: string, path: string): Promise<boolean> {
  capabilities ??= api<{ modules: string[] }>('GET', '/api/capabilities').then(
    (c) => new Set(c.modules),
    () => { capabilities = null; return new Set<string>(); },
  );
  return (await capabilities).has(moduleOf(path));
}

/**
 * One answer per page load for a lookup that does not change while the app is open (categories, areas, units):
 * every screen that asks shares it. A failed call is forgotten, so the next screen asks again.
 *
 * @example export const categories = cachedLookup(() => api<CategoryView[]>('GET', '/api/hotline/categories'));
 */
export function cachedLookup<T>(load: () => Promise<T>): () => Promise<T> {
  let kept: Promise<T> | null = null;
  return () => (kept ??= load().catch((err: unknown) => { kept = null; throw err; }));
}

/** The error a panel shows when the server does not document the route it needs. */
export const notDocumented = (method: string, path: string) =>
  new ApiError(404, 'No such route', '接口不存在', `${method} ${path}`, 'ROUTE_NOT_FOUND');
