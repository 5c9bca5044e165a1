import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { testEngines } from '../support/engines.js';
import { createTestHub, type TestHub } from '../support/test-hub.js';
import { isProblem } from '../../src/platform/errors/problem.js';
import { compileQ, evaluateQ, parseQ } from '../../src/context/q-language.js';
import { geometryError, matchGeo, parseGeoQuery, type Geometry } from '../../src/context/geo.js';
import { ContextResolver, expandTerm } from '../../src/context/jsonld-context.js';
import { ngsiRequester } from './ngsi-support.js';
import { timedAnswer } from '../support/timing.js';

/**
 * Issue 15, finding 8 (context part): the NGSI-LD parsers of CityHub's own — the q language, geo-queries and
 * GeoJSON, ids and types in bodies — answer bad input with 400 (BadRequestData) and never a 5xx or a throw of
 * another kind, and never take a second. Thousands of random inputs per property: from a q grammar (so the
 * compiled SQL/JSON path reaches the database), from the q alphabet, and raw strings (NUL, lone surrogates).
 */

// The real expansion with the core context, so names such as `toString` meet the term map as in a request.
const core = new ContextResolver().core;
const expand = (t: string) => expandTerm(core, t);
const qChars = fc.constantFrom(...'ab.[]()|;=!<>~",\\ 0123456789-:eE+/TZ.\u0000\u0001\n\t\uD800é中'.split(''));
const name = fc.oneof(
  fc.constantFrom('a', 'temperature', 'status', 'pm25', 'https://x.org/p', 'observedAt', 'toString', '__proto__', 'constructor', 'hasOwnProperty'),
  fc.string({ unit: 'binary', minLength: 1, maxLength: 8 }).filter((s) => !/[=!<>~;|()[\]."\s,]/.test(s)),
);
const scalar = fc.oneof(
  fc.constantFrom('1e400', '-1e400', '9223372036854775807', '-0', '0.5', '1e-400', 'true', 'false', '2026-11-26T08:00:00Z', '2026-13-45T99:99', 'urn:ngsi-ld:X:1'),
  fc.double().map(String),
  fc.bigInt().map(String),
  fc.string({ unit: 'binary', maxLength: 12 }).map((s) => JSON.stringify(s)),
  fc.string({ maxLength: 8 }),
);
const value = fc.oneof(scalar, fc.tuple(scalar, scalar).map(([a, b]) => `${a}..${b}`), fc.array(scalar, { minLength: 2, maxLength: 4 }).map((l) => l.join(',')));
const pattern = fc.oneof(fc.constantFrom('(a+)+$', '(a)\\1', '(?=a)', '[', '.*', '^x', '\\p{L}+', '(?i)A', 'a{1000}', '"(a|aa)+$"'), fc.string({ unit: 'binary', maxLength: 10 }));
const term = fc.oneof(
  name,
  fc.tuple(name, fc.array(name, { maxLength: 2 }), fc.array(name, { maxLength: 2 }), fc.constantFrom('==', '!=', '>', '>=', '<', '<=', '~=', '!~='), value, pattern)
    .map(([n, path, keys, op, v, p]) => `${[n, ...path].join('.')}${keys.map((k) => `[${k}]`).join('')}${op}${op.includes('~') ? p : v}`),
);
const query: fc.Arbitrary<string> = fc.letrec<{ q: string }>((tie) => ({
  q: fc.oneof({ depthSize: 'small', withCrossShrink: true }, term, fc.tuple(tie('q'), fc.constantFrom(';', '|'), tie('q')).map(([a, o, b]) => `${a}${o}${b}`), tie('q').map((q) => `(${q})`)),
})).q;
const anyQ = fc.oneof(query, fc.string({ unit: qChars, maxLength: 40 }), fc.string({ unit: 'binary', maxLength: 40 }));
/** Percent-encodes the UTF-8 bytes (a lone surrogate, which a URL cannot carry, becomes U+FFFD as on the wire). */
const enc = (s: string) => [...Buffer.from(s, 'utf8')].map((b) => `%${b.toString(16).padStart(2, '0')}`).join('');
/** Raw bytes in a query parameter: invalid UTF-8 too. */
const rawBytes = fc.uint8Array({ maxLength: 24 }).map((b) => [...b].map((x) => `%${x.toString(16).padStart(2, '0')}`).join(''));

/** Throws unless `f` returns or throws the NGSI-LD 400/403 problem, within a second. */
const onlyBadRequest = (f: () => unknown) => {
  const started = performance.now();
  try {
    f();
  } catch (err) {
    if (!isProblem(err)) throw err;
    expect([400, 403]).toContain(err.status);
    expect(['https://uri.etsi.org/ngsi-ld/errors/BadRequestData', 'https://uri.etsi.org/ngsi-ld/errors/TooComplexQuery']).toContain(err.extra?.type);
  }
  expect(performance.now() - started).toBeLessThan(1000);
};

const position = fc.oneof(
  fc.tuple(fc.double({ min: -180, max: 180, noNaN: true }), fc.double({ min: -90, max: 90, noNaN: true })),
  fc.array(fc.oneof(fc.double(), fc.integer(), fc.constant(1e400), fc.string()), { maxLength: 4 }),
);
const coordinates = fc.letrec<{ c: unknown }>((tie) => ({
  c: fc.oneof({ depthSize: 'small' }, position, fc.array(tie('c'), { maxLength: 6 }), fc.jsonValue({ maxDepth: 3 })),
})).c;
const geometryName = fc.oneof(fc.constantFrom('Point', 'MultiPoint', 'LineString', 'MultiLineString', 'Polygon', 'MultiPolygon', 'GeometryCollection', 'point', ''), fc.string());
const georel = fc.oneof(
  fc.constantFrom('near;maxDistance==1000', 'near;minDistance==5', 'near', 'near;maxDistance==1e400', 'within', 'contains', 'intersects', 'disjoint', 'equals', 'overlaps', 'near;maxDistance==-1', ''),
  fc.string({ unit: 'binary', maxLength: 20 }),
);
const ring = fc.array(fc.tuple(fc.double({ min: 112, max: 113, noNaN: true }), fc.double({ min: 28, max: 29, noNaN: true })), { minLength: 3, maxLength: 12 })
  .map((ps) => [...ps, ps[0]] as [number, number][]);
const validGeometry: fc.Arbitrary<Geometry> = fc.oneof(
  fc.tuple(fc.double({ min: 112, max: 113, noNaN: true }), fc.double({ min: 28, max: 29, noNaN: true })).map((p) => ({ type: 'Point' as const, coordinates: p })),
  fc.array(fc.tuple(fc.double({ min: 112, max: 113, noNaN: true }), fc.double({ min: 28, max: 29, noNaN: true })), { minLength: 2, maxLength: 50 }).map((c) => ({ type: 'LineString' as const, coordinates: c })),
  fc.array(ring, { minLength: 1, maxLength: 3 }).map((c) => ({ type: 'Polygon' as const, coordinates: c })),
);

describe('finding 8: the q and GeoJSON parsers refuse bad input with 400, never throw otherwise', () => {
  it('finding 8: q — parse, compile and evaluate never throw anything but BadRequestData, never take a second (3000 cases)', () => {
    const attrs = fc.dictionary(fc.constantFrom(...['a', 'temperature', 'status', 'pm25', 'toString'].map(expand)), fc.array(
      fc.record({ type: fc.constantFrom('Property', 'Relationship'), value: fc.jsonValue({ maxDepth: 2 }), observedAt: fc.constant('2026-11-26T08:00:00.000Z') }), { maxLength: 2 }));
    fc.assert(
      fc.property(anyQ, attrs, (q, a) => {
        onlyBadRequest(() => {
          const ast = parseQ(q);
          const compiled = compileQ(ast, expand);
          expect(typeof compiled.path).toBe('string');
          JSON.stringify(compiled.vars);
          evaluateQ(ast, a, expand);
        });
      }),
      { numRuns: 3000 },
    );
  });

  it('finding 8: geo-queries and GeoJSON — only BadRequestData, and matching valid geometries never throws (3000 cases each)', () => {
    fc.assert(
      fc.property(georel, geometryName, fc.oneof(coordinates, coordinates.map((c) => JSON.stringify(c)), fc.string()), (rel, geometry, coords) => {
        onlyBadRequest(() => parseGeoQuery(rel, geometry, coords, 'https://uri.etsi.org/ngsi-ld/location'));
        onlyBadRequest(() => geometryError({ type: geometry, coordinates: coords }));
      }),
      { numRuns: 3000 },
    );
    fc.assert(
      fc.property(fc.constantFrom('near;maxDistance==5000', 'near;minDistance==10', 'within', 'contains', 'intersects', 'disjoint', 'equals', 'overlaps'), validGeometry, validGeometry, (rel, query, entity) => {
        const geometry = rel.startsWith('near') ? { type: 'Point', coordinates: [112.5, 28.5] } : rel === 'within' ? { type: 'Polygon', coordinates: [[[112, 28], [113, 28], [113, 29], [112, 29], [112, 28]]] } : query;
        const parsed = parseGeoQuery(rel, geometry.type, geometry.coordinates, 'x')!;
        const started = performance.now();
        matchGeo(parsed, entity);
        expect(performance.now() - started).toBeLessThan(1000);
      }),
      { numRuns: 3000 },
    );
  });
});

describe.each(testEngines)('finding 8: NGSI-LD requests with random q, geo-queries and bodies never get a 5xx [%s]', (engine) => {
  let hub: TestHub;
  let cookie: string;
  const req = ngsiRequester(() => hub, () => cookie);
  const runs = engine === 'pglite' ? 1000 : 600;
  let slowest = { ms: 0, label: '' };
  const check = async (label: string, send: () => ReturnType<typeof req>) => {
    const { result: res, ms } = await timedAnswer(send, 1000);
    if (ms > slowest.ms) slowest = { ms, label };
    expect(res.statusCode, `${label}: ${res.body.slice(0, 300)}`).toBeLessThan(500);
    if (res.statusCode >= 400) expect(res.headers['content-type'], label).toContain('application/problem+json');
    expect(ms, label).toBeLessThan(1000);
  };

  beforeAll(async () => {
    hub = await createTestHub(engine, { config: { modules: { context: { simulator: { enabled: false }, mqtt: { ingest: false } } } } as never });
    cookie = (await hub.loginAs(['data_admin'])).cookie;
    const res = await req('POST', '/entityOperations/create', Array.from({ length: 20 }, (_, i) => ({
      id: `urn:ngsi-ld:T:${i}`, type: 'T', a: i, status: i % 2 ? 'on' : 'off', temperature: { type: 'Property', value: i / 3, unitCode: 'CEL', observedAt: '2026-11-26T08:00:00Z' },
      b: { type: 'Property', value: { c: i, d: [i, 'x'] } }, r: { type: 'Relationship', object: `urn:ngsi-ld:T:${(i + 1) % 20}` },
      location: { type: 'GeoProperty', value: { type: 'Point', coordinates: [112.5 + i / 100, 28.5] } },
    })));
    expect(res.statusCode, res.body).toBe(201);
  }, 240_000);
  afterAll(async () => {
    console.log(`finding 8 context fuzz [${engine}]: slowest answer ${slowest.ms.toFixed(0)} ms (${slowest.label.slice(0, 160)})`);
    await hub?.close();
  }, 60_000);

  it('finding 8: random q in GET /entities, temporal queries and entityOperations/query', async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(anyQ.map(enc), rawBytes), anyQ, fc.constantFrom('entities', 'temporal', 'post'), async (encoded, q, where) => {
        if (where === 'entities') await check(`q=${encoded}`, () => req('GET', `/entities?type=T&count=true&q=${encoded}`));
        else if (where === 'temporal') await check(`temporal q=${encoded}`, () => req('GET', `/temporal/entities?type=T&lastN=1&q=${encoded}`));
        else await check(`query q=${q}`, () => req('POST', '/entityOperations/query', { entities: [{ type: 'T' }], q }));
      }),
      { numRuns: runs },
    );
  }, 300_000);

  it('finding 8: random geo-queries', async () => {
    await fc.assert(
      fc.asyncProperty(georel, geometryName, fc.oneof(coordinates.map((c) => JSON.stringify(c)), fc.string({ unit: 'binary' })), async (rel, geometry, coords) => {
        await check(`georel=${rel} geometry=${geometry} coordinates=${coords}`, () =>
          req('GET', `/entities?type=T&georel=${enc(rel)}&geometry=${enc(geometry)}&coordinates=${enc(coords)}`));
      }),
      { numRuns: runs },
    );
  }, 300_000);

  it('finding 8: random idPatterns', async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(pattern.map(enc), rawBytes), async (idPattern) => {
        await check(`idPattern=${idPattern}`, () => req('GET', `/entities?type=T&idPattern=${idPattern}`));
      }),
      { numRuns: Math.round(runs * 0.4) },
    );
  }, 300_000);

  it('finding 8: random ids, types and attributes in entity and subscription bodies', async () => {
    const idLike = fc.oneof(fc.constantFrom('urn:ngsi-ld:T:x', 'urn:ngsi-ld:T:\u0000', 'x', '', 'urn:' + 'a'.repeat(3000)), fc.string({ unit: 'binary' }), fc.integer(), fc.constant(1e400), fc.constant(null));
    const attribute = fc.oneof(fc.jsonValue({ maxDepth: 3 }), fc.record({ type: fc.constantFrom('Property', 'GeoProperty', 'Relationship', 'LanguageProperty', 'X'), value: fc.oneof(coordinates, fc.jsonValue({ maxDepth: 2 })) }, { requiredKeys: [] }));
    const entity = fc.record({ id: idLike, type: fc.oneof(idLike, fc.array(idLike, { maxLength: 3 })), a: attribute, location: attribute, toString: attribute, constructor: attribute });
    const subscription = fc.record({
      type: fc.constantFrom('Subscription', 'X'), entities: fc.oneof(fc.constant([{ type: 'T' }]), fc.jsonValue({ maxDepth: 2 })), q: fc.oneof(anyQ, fc.jsonValue({ maxDepth: 1 })),
      geoQ: fc.oneof(fc.record({ georel, geometry: geometryName, coordinates }), fc.jsonValue({ maxDepth: 2 })),
      notification: fc.oneof(fc.record({ endpoint: fc.record({ uri: fc.oneof(fc.constant('https://example.org/n'), fc.string()), receiverInfo: fc.jsonValue({ maxDepth: 2 }) }, { requiredKeys: ['uri'] }) }), fc.jsonValue({ maxDepth: 2 })),
    }, { requiredKeys: ['type'] });
    await fc.assert(
      fc.asyncProperty(entity, subscription, async (e, s) => {
        await check(`entity ${JSON.stringify(e).slice(0, 120)}`, () => req('POST', '/entities', e));
        await check(`upsert ${JSON.stringify(e).slice(0, 120)}`, () => req('POST', '/entityOperations/upsert', [e]));
        await check(`subscription ${JSON.stringify(s).slice(0, 120)}`, () => req('POST', '/subscriptions', s));
      }),
      { numRuns: Math.round(runs / 3) },
    );
  }, 300_000);
});
