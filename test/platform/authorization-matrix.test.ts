import { readFileSync, writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { roles, type Role } from '../../src/platform/auth/roles.js';
import { createTestHub, type TestHub } from '../support/test-hub.js';

/**
 * The authorization matrix of the whole API, generated from /openapi.json: every operation, asked by nobody and by
 * one user of each role, and whether the access gate let the call through. It must equal the declared matrix in
 * docs/authorization-matrix.json, reviewed like code: a new route without an entry, or a changed policy, fails
 * here until the file says so. `UPDATE_AUTH_MATRIX=1 npx vitest run test/platform/authorization-matrix.test.ts`
 * rewrites the file from what the server does; read the diff before committing it.
 */
const MATRIX_FILE = new URL('../../docs/authorization-matrix.json', import.meta.url);
const callers = ['nobody', ...roles] as const;
type Caller = (typeof callers)[number];

/** A path with every parameter filled: the gate runs before parameters are validated. */
const concrete = (path: string): string => path.replace(/\{[^}]+\}/g, '00000000-0000-4000-8000-000000000000');

describe('authorization matrix (every route × every role and nobody)', () => {
  let hub: TestHub;
  const cookies = {} as Record<Caller, string | undefined>;
  let operations: { key: string; method: string; path: string; access: string | undefined }[] = [];

  beforeAll(async () => {
    hub = await createTestHub('pglite');
    for (const role of roles) cookies[role] = (await hub.loginAs([role as Role])).cookie;
    const spec = (await hub.http.inject({ method: 'GET', url: '/openapi.json' })).json() as { paths: Record<string, Record<string, unknown>> };
    const bare = (url: string) => url.replace(/(.)\/$/, '$1');
    const declared = new Map(hub.http.routeTable.map((r) => [`${r.method} ${bare(r.url)}`, r.access]));
    operations = Object.entries(spec.paths).flatMap(([path, methods]) =>
      Object.keys(methods)
        .filter((m) => ['get', 'post', 'put', 'patch', 'delete'].includes(m))
        .map((m) => {
          const method = m.toUpperCase();
          const fastifyPath = bare(path.replace(/\{([^}]+)\}/g, ':$1'));
          return { key: `${method} ${path}`, method, path, access: declared.get(`${method} ${fastifyPath}`) };
        }),
    );
  });
  afterAll(() => hub?.close());

  /** Who the gate lets through for one operation: `public`, or the callers that passed it. */
  const gateOutcome = async (op: (typeof operations)[number]): Promise<string> => {
    if (op.access === 'public') return 'public';
    const passed: Caller[] = [];
    for (const caller of callers) {
      const res = await hub.http.inject({
        method: op.method as 'GET',
        url: concrete(op.path),
        headers: cookies[caller] ? { cookie: cookies[caller]! } : {},
      });
      const body = String(res.headers['content-type'] ?? '').includes('json') ? (res.json() as { code?: string; permission?: string }) : {};
      const deniedByGate = res.statusCode === 401 || (res.statusCode === 403 && body.code === 'FORBIDDEN' && body.permission === op.access);
      if (!deniedByGate) passed.push(caller);
    }
    return passed.join(' ') || 'admin only';
  };

  it('lets exactly the declared roles past the gate on every route of /openapi.json', async () => {
    expect(operations.length).toBeGreaterThan(100);
    const actual: Record<string, string> = {};
    for (const op of operations) actual[op.key] = `${op.access ?? 'UNDECLARED'} → ${await gateOutcome(op)}`;
    if (process.env.UPDATE_AUTH_MATRIX) writeFileSync(MATRIX_FILE, `${JSON.stringify(actual, Object.keys(actual).sort(), 2)}\n`);
    const declared = JSON.parse(readFileSync(MATRIX_FILE, 'utf8')) as Record<string, string>;
    const missing = Object.keys(actual).filter((k) => !(k in declared));
    expect(missing, 'routes without an entry in docs/authorization-matrix.json').toEqual([]);
    expect(actual).toEqual(declared);
  }, 300_000);

  it('never lets nobody past a route that is not public, nor a citizen into staff routes', async () => {
    const declared = JSON.parse(readFileSync(MATRIX_FILE, 'utf8')) as Record<string, string>;
    for (const [route, entry] of Object.entries(declared)) {
      const [, outcome] = entry.split(' → ');
      if (outcome !== 'public') expect(outcome.split(' '), route).not.toContain('nobody');
    }
    const citizenRoutes = Object.entries(declared).filter(([, e]) => e.split(' → ')[1].split(' ').includes('citizen')).map(([r]) => r);
    expect(citizenRoutes.every((r) => !/\/(keys|users|orgs)\b|\/catalog\/datasets|\/kpi|\/models|\/ngsi-ld/.test(r)), citizenRoutes.join('\n')).toBe(true);
  });
});
