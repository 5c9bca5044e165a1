import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { sql } from 'kysely';
import { testEngines } from '../support/engines.js';
import { createTestHub, type TestHub } from '../support/test-hub.js';
import { timedAnswer } from '../support/timing.js';
import { boundIntegers, findNul } from '../../src/platform/http/validators.js';
import { isDataException, toProblem } from '../../src/platform/http/problem-handler.js';
import type { FastifyError } from 'fastify';
import { registeredPermissions, separatedPermissions } from '../../src/platform/auth/permissions.js';
import type { Role } from '../../src/platform/auth/roles.js';

/** The bits of JSON Schema the OpenAPI document uses that the fuzzer reads. */
interface Schema {
  type?: string | string[];
  properties?: Record<string, Schema>;
  items?: Schema;
  anyOf?: Schema[];
  oneOf?: Schema[];
  allOf?: Schema[];
  enum?: unknown[];
  const?: unknown;
  format?: string;
  minLength?: number;
  minimum?: number;
  default?: unknown;
}

interface Operation {
  method: string;
  path: string;
  params: { name: string; in: 'path' | 'query'; schema: Schema }[];
  body?: Schema;
}

/** A JSON literal spliced into a body after JSON.stringify: numbers JSON.stringify cannot write as they are sent. */
const BIG = ['9223372036854775807', '1e20', '-9223372036854775809'];
const token = (i: number) => `\u0001BIG${i}\u0001`;

const kindOf = (schema: Schema): 'string' | 'integer' | 'number' | 'boolean' | 'array' | 'object' | 'null' | 'other' => {
  const variant = schema.anyOf?.find((s) => s.type !== 'null') ?? schema.oneOf?.find((s) => s.type !== 'null');
  if (variant) return kindOf(variant);
  if (schema.enum) return typeof schema.enum[0] === 'string' ? 'string' : 'other';
  const type = Array.isArray(schema.type) ? schema.type.find((t) => t !== 'null') : schema.type;
  if (type) return type as ReturnType<typeof kindOf>;
  if (schema.properties) return 'object';
  return 'other';
};

const concrete = (schema: Schema): Schema =>
  schema.anyOf?.find((s) => s.type !== 'null') ?? schema.oneOf?.find((s) => s.type !== 'null') ?? (schema.allOf ? Object.assign({}, ...schema.allOf) : schema);

/** A plausible value of the schema: the fuzzer changes one field of it at a time. */
const sample = (schema: Schema): unknown => {
  const s = concrete(schema);
  if (s.const !== undefined) return s.const;
  if (s.enum) return s.enum[0];
  if (s.default !== undefined) return s.default;
  switch (kindOf(s)) {
    case 'object':
      return Object.fromEntries(Object.entries(s.properties ?? {}).map(([k, v]) => [k, sample(v)]));
    case 'array':
      return s.items ? [sample(s.items)] : [];
    case 'integer':
    case 'number':
      return s.minimum ?? 1;
    case 'boolean':
      return true;
    case 'null':
      return null;
    case 'string':
      if (s.format === 'uuid') return '00000000-0000-4000-8000-000000000000';
      if (s.format === 'date-time') return '2026-01-01T00:00:00Z';
      if (s.format === 'date') return '2026-01-01';
      if (s.format === 'email') return 'someone@example.org';
      if (s.format === 'uri') return 'https://example.org/x';
      return 'x'.repeat(Math.max(1, s.minLength ?? 1));
    default:
      return 'x';
  }
};

/** Every leaf of a body sample with its JSON Pointer and its schema's kind. */
const leaves = (schema: Schema, pointer = ''): { pointer: string; kind: string }[] => {
  const s = concrete(schema);
  const kind = kindOf(s);
  if (kind === 'object') return Object.entries(s.properties ?? {}).flatMap(([k, v]) => leaves(v, `${pointer}/${k}`));
  if (kind === 'array' && s.items) return leaves(s.items, `${pointer}/0`);
  return [{ pointer, kind }];
};

const setAt = (target: unknown, pointer: string, value: unknown): unknown => {
  if (pointer === '') return value;
  const keys = pointer.slice(1).split('/');
  const copy = structuredClone(target) as Record<string, unknown>;
  let node = copy;
  for (const key of keys.slice(0, -1)) node = node[key] as Record<string, unknown>;
  node[keys.at(-1)!] = value;
  return copy;
};

const operationsOf = (doc: { paths: Record<string, Record<string, { parameters?: Operation['params']; requestBody?: { content: Record<string, { schema: Schema }> } }>> }): Operation[] =>
  Object.entries(doc.paths).flatMap(([path, item]) =>
    Object.entries(item).map(([method, op]) => ({
      method: method.toUpperCase(),
      path,
      params: (op.parameters ?? []).filter((p) => p.in === 'path' || p.in === 'query'),
      body: op.requestBody?.content['application/json']?.schema,
    })),
  );

interface Attack {
  label: string;
  method: string;
  url: string;
  payload?: string;
  /** where the bad value is, as the problem must name it; undefined: only "never a 5xx" is checked */
  field?: string;
}

/** For each string field a NUL, for each integer or number field each huge number: one request each. */
const attacksOn = (op: Operation): Attack[] => {
  const base: Record<string, string> = Object.fromEntries(op.params.map((p) => [p.name, String(sample(p.schema))]));
  const body = op.body ? sample(op.body) : undefined;
  const build = (values: Record<string, string>, payload: unknown) => {
    let url = op.path;
    const query: string[] = [];
    for (const p of op.params) {
      if (p.in === 'path') url = url.replace(`{${p.name}}`, encodeURIComponent(values[p.name]));
      else query.push(`${encodeURIComponent(p.name)}=${encodeURIComponent(values[p.name])}`);
    }
    let text = payload === undefined ? undefined : JSON.stringify(payload);
    BIG.forEach((literal, i) => (text = text?.replaceAll(JSON.stringify(token(i)), literal)));
    return { url: query.length ? `${url}?${query.join('&')}` : url, payload: text };
  };
  const attacks: Attack[] = [];
  for (const p of op.params) {
    const kind = kindOf(p.schema);
    const root = p.in === 'path' ? 'params' : 'query';
    if (kind === 'string' || kind === 'other') {
      attacks.push({ label: `NUL in ${root} ${p.name}`, method: op.method, ...build({ ...base, [p.name]: `${base[p.name]}\u0000x` }, body), field: `/${root}/${p.name}` });
    }
    if (kind === 'integer' || kind === 'number') {
      for (const literal of BIG) {
        attacks.push({ label: `${literal} in ${root} ${p.name}`, method: op.method, ...build({ ...base, [p.name]: literal }, body), field: kind === 'integer' ? `/${root}/${p.name}` : undefined });
      }
    }
  }
  if (op.body && body !== undefined) {
    for (const leaf of leaves(op.body)) {
      if (leaf.kind === 'string' || leaf.kind === 'other') {
        const current = leaf.pointer === '' ? body : undefined;
        attacks.push({ label: `NUL in body ${leaf.pointer}`, method: op.method, ...build(base, setAt(body, leaf.pointer, `${typeof current === 'string' ? current : 'x'}\u0000x`)), field: `/body${leaf.pointer}` });
      }
      if (leaf.kind === 'integer' || leaf.kind === 'number') {
        BIG.forEach((literal, i) => {
          attacks.push({ label: `${literal} in body ${leaf.pointer}`, method: op.method, ...build(base, setAt(body, leaf.pointer, token(i))), field: leaf.kind === 'integer' ? `/body${leaf.pointer}` : undefined });
        });
      }
    }
    // a NUL in a key of its own
    if (kindOf(op.body) === 'object') {
      attacks.push({ label: 'NUL in a body key', method: op.method, ...build(base, { ...(body as object), 'k\u0000': 'v' }), field: '/body/k\u0000' });
    }
  }
  return attacks;
};

/**
 * The fields a 400 names: problem+json's `errors[].field`, or in the Open311 facade's own error format
 * (`[{ code, description: "field: message" }]`, GeoReport v2) the field before the colon, rooted as the attack was.
 */
const namedFields = (body: unknown): string[] => {
  if (Array.isArray(body)) {
    return body.flatMap((e: { description?: string }) => {
      const name = /^([^:]+):/.exec(e.description ?? '')?.[1];
      return name ? [`/params/${name}`, `/query/${name}`, `/body/${name}`] : [];
    });
  }
  return (((body as { errors?: { field: string }[] }).errors ?? []) as { field: string }[]).map((e) => e.field);
};

describe('finding 8 validators (properties)', () => {
  it('finding 8: findNul finds a NUL in any string or key of any JSON value, and nothing else (3000 cases)', () => {
    const text = fc.oneof(fc.string({ unit: 'binary' }), fc.string({ unit: fc.constantFrom('\u0000', 'a', '/', '~', '中', '~1') }));
    const json = fc.letrec<{ value: unknown }>((tie) => ({
      value: fc.oneof(
        { depthSize: 'small' },
        text, fc.integer(), fc.double(), fc.boolean(), fc.constant(null),
        fc.array(tie('value'), { maxLength: 4 }),
        fc.dictionary(text, tie('value'), { maxKeys: 4 }),
      ),
    }));
    const resolve = (value: unknown, pointer: string): { value: unknown; key: string } => {
      let node = value;
      let key = '';
      for (const raw of pointer.split('/').slice(1)) {
        key = raw.replaceAll('~1', '/').replaceAll('~0', '~');
        node = (node as Record<string, unknown>)[key];
      }
      return { value: node, key };
    };
    fc.assert(
      fc.property(json.value, (value) => {
        const at = findNul(value);
        const hasNul = JSON.stringify(value)?.includes('\\u0000') ?? false;
        expect(at !== undefined).toBe(hasNul);
        if (at !== undefined) {
          const found = resolve(value, at);
          expect((typeof found.value === 'string' && found.value.includes('\u0000')) || found.key.includes('\u0000')).toBe(true);
        }
      }),
      { numRuns: 3000 },
    );
    // a body nested 100,000 deep is walked without a stack overflow
    let deep: unknown = 'end\u0000';
    for (let i = 0; i < 100_000; i++) deep = [deep];
    expect(findNul(deep)).toBe('/0'.repeat(100_000));
    expect(findNul(Buffer.from([0, 0, 0]))).toBeUndefined(); // bytes are not text
  });

  it('finding 8: every unbounded integer schema is held to the safe range, bounds of its own are kept, data is not touched', () => {
    const schema = {
      type: 'object',
      properties: {
        page: { type: 'integer', minimum: 1 },
        limit: { type: 'integer', minimum: 1, maximum: 200 },
        any: { type: ['integer', 'null'] },
        nested: { anyOf: [{ type: 'array', items: { type: 'integer', exclusiveMaximum: 10 } }, { type: 'null' }] },
        ratio: { type: 'number' },
      },
      default: { type: 'integer' },
    };
    const bounded = boundIntegers(schema) as typeof schema & Record<string, unknown>;
    expect(bounded.properties.page).toEqual({ type: 'integer', minimum: 1, maximum: Number.MAX_SAFE_INTEGER });
    expect(bounded.properties.limit).toEqual({ type: 'integer', minimum: 1, maximum: 200 });
    expect(bounded.properties.any).toEqual({ type: ['integer', 'null'], minimum: Number.MIN_SAFE_INTEGER, maximum: Number.MAX_SAFE_INTEGER });
    expect(bounded.properties.nested.anyOf[0].items).toEqual({ type: 'integer', exclusiveMaximum: 10, minimum: Number.MIN_SAFE_INTEGER });
    expect(bounded.properties.ratio).toEqual({ type: 'number' });
    expect(bounded.default).toEqual({ type: 'integer' });
    expect(schema.properties.page).toEqual({ type: 'integer', minimum: 1 }); // the route's own schema is unchanged
  });

  it('finding 8: a PostgreSQL data exception (SQLSTATE class 22) is a 400 without the SQL, other database errors stay 500', () => {
    for (const code of ['22P02', '22003', '22021', '22007', '22008', '22P05']) {
      const error = Object.assign(new Error(`value "secret" out of range in select * from app_user`), { code, severity: 'ERROR' }) as unknown as FastifyError;
      expect(isDataException(error)).toBe(true);
      const problem = toProblem(error);
      expect(problem.status).toBe(400);
      expect(JSON.stringify(problem.toJSON())).not.toMatch(/secret|select|app_user/);
    }
    expect(toProblem(Object.assign(new Error('x'), { code: '23505', severity: 'ERROR' }) as unknown as FastifyError).status).toBe(500);
    expect(toProblem(Object.assign(new Error('x'), { code: '22P02' }) as unknown as FastifyError).status).toBe(500); // not from the database
  });
});

describe.each(testEngines)('finding 8: bad input over HTTP [%s]', (engine) => {
  let hub: TestHub;
  let adminCookie: string;
  let operations: Operation[];
  /** An administrator who passes the gate of the operation: the system administrator, or for what 三员分立 keeps from them the security or audit administrator. */
  const administrators = new Map<string, string>();
  const administratorFor = (op: Operation): string => {
    const fastifyPath = op.path.replace(/\{([^}]+)\}/g, ':$1');
    const access = hub.http.routeTable.find((r) => r.method === op.method && r.url === fastifyPath)?.access;
    return access && separatedPermissions.has(access) ? administrators.get(registeredPermissions().get(access)![0])! : adminCookie;
  };

  beforeAll(async () => {
    hub = await createTestHub(engine);
    // Two routes of this test's own, added before the server starts: one that hands its input to the database
    // unchecked (the last line of defence), one without any schema (the NUL check needs none).
    hub.http.get('/test/raw-int', { config: { access: 'public' } }, async (request) => {
      const { n } = request.query as { n?: string };
      await sql`select ${n ?? ''}::int8 as n`.execute(hub.database.db);
      return { ok: true };
    });
    hub.http.post('/test/no-schema', { config: { access: 'public' } }, async () => ({ ok: true }));
    adminCookie = (await hub.loginAs(['admin'])).cookie;
    for (const role of ['security_admin', 'audit_admin'] as Role[]) administrators.set(role, (await hub.loginAs([role])).cookie);
    const doc = (await hub.http.inject('/openapi.json')).json();
    operations = operationsOf(doc);
  });
  afterAll(async () => hub?.close());

  it('finding 8: a NUL in login, a search, an id or a body field is a 400 naming the field', async () => {
    const loginNul = await hub.http.inject({ method: 'POST', url: '/api/auth/login', payload: { username: 'ad\u0000min', password: 'x-password' } });
    expect(loginNul.statusCode).toBe(400);
    expect(loginNul.headers['content-type']).toContain('application/problem+json');
    expect(loginNul.json().errors).toEqual([{ field: '/body/username', message: expect.stringContaining('NUL') }]);
    const noSchema = await hub.http.inject({ method: 'POST', url: '/test/no-schema', payload: { a: [{ b: 'x\u0000' }] } });
    expect(noSchema.statusCode).toBe(400);
    expect(noSchema.json().errors[0].field).toBe('/body/a/0/b');
    const param = await hub.http.inject({ method: 'PATCH', url: '/api/users/abc%00def', headers: { cookie: adminCookie }, payload: {} });
    expect(param.statusCode).toBe(400);
    expect(param.json().errors[0].field).toBe('/params/id');
  });

  it('finding 8: integers past the safe range are a 400 naming the field; a database data exception is a 400 without the SQL', async () => {
    for (const value of ['9223372036854775807', '1e20', '-1e20']) {
      const res = await hub.http.inject({ url: `/api/ledger/consistency?from=${value}&to=1`, headers: { cookie: adminCookie } });
      expect(res.statusCode, value).toBe(400);
      expect(res.json().errors.map((e: { field: string }) => e.field)).toContain('/query/from');
    }
    const raw = await hub.http.inject({ url: '/test/raw-int?n=99999999999999999999999' });
    expect(raw.statusCode).toBe(400);
    expect(raw.json().code).toBe('BAD_REQUEST');
    expect(raw.body).not.toMatch(/int8|select|bigint/i);
    expect((await hub.http.inject({ url: '/test/raw-int?n=abc' })).statusCode).toBe(400);
  });

  it('finding 8: every route of /openapi.json, anonymous and as an administrator, answers a NUL or a huge number in any field with a 4xx, never a 5xx', async () => {
    expect(operations.length).toBeGreaterThan(80);
    const failures: string[] = [];
    const unnamed: string[] = [];
    let slowest = { ms: 0, label: '' };
    let sent = 0;
    // Twice: the first pass also warms what a route loads once (a scorer, a dictionary); the second is timed.
    for (const pass of [1, 2]) {
      for (const op of operations) {
        for (const attack of attacksOn(op)) {
          for (const [who, headers] of [['anonymous', {}], ['admin', { cookie: administratorFor(op) }]] as const) {
            const { result: res, ms } = await timedAnswer(() => hub.http.inject({
              method: attack.method as 'GET', url: attack.url, payload: attack.payload,
              headers: { ...headers, ...(attack.payload !== undefined ? { 'content-type': 'application/json' } : {}) },
            }), pass === 2 ? 1000 : Infinity);
            sent++;
            const label = `${who} ${attack.method} ${op.path} — ${attack.label}`;
            if (pass === 2 && ms > slowest.ms) slowest = { ms, label };
            if (res.statusCode >= 500) failures.push(`${label}: ${res.statusCode} ${res.body.slice(0, 200)}`);
            // as an administrator the request passes the access gate, so the validator must name the field
            if (pass === 1 && who === 'admin' && attack.field && res.statusCode < 500) {
              const fields = res.statusCode === 400 ? namedFields(res.json()) : [];
              if (!fields.includes(attack.field)) unnamed.push(`${label}: ${res.statusCode} ${res.body.slice(0, 160)}`);
            }
          }
        }
      }
    }
    console.log(`finding 8 fuzz: ${sent} requests over ${operations.length} operations; slowest ${slowest.ms.toFixed(0)} ms (${slowest.label})`);
    expect(failures).toEqual([]);
    expect(unnamed).toEqual([]);
    expect(slowest.ms).toBeLessThan(1000);
  }, 600_000);

  it('finding 8: random JSON bodies and random query integers never get a 5xx or an answer slower than 1 s (1000 cases each)', async () => {
    // one integer query parameter at a time (the others keep plausible values, so the attacked one is what is judged)
    const targets = operations
      .filter((op) => op.method === 'GET')
      .flatMap((op) => op.params.filter((p) => p.in === 'query' && kindOf(p.schema) === 'integer').map((p) => ({ op, name: p.name })));
    expect(targets.length).toBeGreaterThan(10);
    const numberText = fc.oneof(
      fc.bigInt().map(String), fc.double().map(String), fc.integer().map(String),
      fc.constantFrom('1e20', '9223372036854775807', '-9223372036854775809', '-0', 'NaN', 'Infinity', '0x10', ' 1', '1.0', ''), fc.string(),
    );
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...targets), numberText, async ({ op, name }, value) => {
        const query = op.params
          .filter((p) => p.in === 'query' && (p.name === name || p.schema.minimum !== undefined))
          .map((p) => `${p.name}=${encodeURIComponent(p.name === name ? value : String(sample(p.schema)))}`);
        const url = `${op.path.replace(/\{[^}]+\}/g, 'x')}?${query.join('&')}`;
        const { result: res, ms } = await timedAnswer(() => hub.http.inject({ url, headers: { cookie: adminCookie } }), 1000);
        expect(res.statusCode, `${url}: ${res.body.slice(0, 200)}`).toBeLessThan(500);
        expect(ms, url).toBeLessThan(1000);
      }),
      { numRuns: 1000 },
    );
    const jsonBody = fc.jsonValue({ maxDepth: 4, stringUnit: 'binary' });
    // (training a model is slow by nature and runs in a worker: not a parser)
    const writes = operations.filter((op) => op.body && ['POST', 'PATCH', 'PUT'].includes(op.method) && !op.path.includes('{') && !op.path.endsWith('/models/train'));
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...writes), jsonBody, async (op, body) => {
        const send = () => hub.http.inject({ method: op.method as 'POST', url: op.path, payload: JSON.stringify(body), headers: { cookie: adminCookie, 'content-type': 'application/json' } });
        const { result: res, ms } = await timedAnswer(send, 1000);
        expect(res.statusCode, `${op.method} ${op.path} ${JSON.stringify(body).slice(0, 100)}: ${res.body.slice(0, 200)}`).toBeLessThan(500);
        expect(ms, `${op.method} ${op.path}`).toBeLessThan(1000);
      }),
      { numRuns: 1000 },
    );
  }, 300_000);
});
