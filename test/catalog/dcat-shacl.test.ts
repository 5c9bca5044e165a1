import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Parser, Store } from 'n3';
import { JsonLdParser } from 'jsonld-streaming-parser';
import SHACLValidator from 'rdf-validate-shacl';
import type { Quad } from '@rdfjs/types';
import { demoCityPlan, demoSeeders, type DemoContext } from '../../src/server/demo-city.js';
import { seedCatalogDemo } from '../../src/catalog/index.js';
import { systemActor } from '../../src/platform/auth/roles.js';
import { testEngines } from '../support/engines.js';
import { createTestHub, type TestHub } from '../support/test-hub.js';

/**
 * Issue 18: the public catalogue's DCAT JSON-LD checked against the official DCAT-AP 3 SHACL shapes
 * (fixtures/dcat-ap-3.0.1, SOURCE.md; SHA-256 ed668569a6f4d888b54c655352a270fac778c06b3af0388da125a10549107eba)
 * with a SHACL engine, on the demo catalogue.
 */
const shapes = new Store(new Parser().parse(readFileSync(new URL('./fixtures/dcat-ap-3.0.1/dcat-ap-SHACL.ttl', import.meta.url), 'utf8')));

/** The JSON-LD document as RDF quads (its context is inline: nothing is fetched). */
const toQuads = (doc: unknown): Promise<Quad[]> =>
  new Promise((resolve, reject) => {
    const quads: Quad[] = [];
    const parser = new JsonLdParser({ baseIRI: 'http://localhost/' });
    parser.on('data', (q: Quad) => quads.push(q));
    parser.on('error', reject);
    parser.on('end', () => resolve(quads));
    parser.end(JSON.stringify(doc));
  });

/** Every SHACL result of the document, one line each (focus node, path, message), for a readable failure. */
const violations = async (doc: unknown): Promise<string[]> => {
  const report = await new SHACLValidator(shapes).validate(new Store(await toQuads(doc)));
  return report.results.map((r) => `${r.focusNode?.value} ${r.path?.value ?? ''}: ${r.message.map((m) => m.value).join('; ')}`);
};

describe.each(testEngines)('DCAT-AP 3 SHACL validation of the public catalogue [%s]', (engine) => {
  let hub: TestHub;
  let dcat: { 'dcat:dataset': Record<string, unknown>[] } & Record<string, unknown>;

  beforeAll(async () => {
    hub = await createTestHub(engine);
    const ctx: DemoContext = { hub, actor: systemActor('demo-seed'), orgs: new Map(), users: new Map(), log: () => {} };
    await demoSeeders[0]!(ctx); // organisations and demo users
    await seedCatalogDemo({ ...ctx, districts: demoCityPlan.districts, now: hub.services.clock() }, hub.services.catalog);
    const res = await hub.http.inject({ method: 'GET', url: '/api/catalog/dcat', headers: { host: 'data.city.example' } });
    expect(res.statusCode).toBe(200);
    dcat = res.json();
  }, 240_000);
  afterAll(async () => hub?.close());

  it('conforms with zero violations on the demo catalogue', async () => {
    expect(shapes.size).toBeGreaterThan(1000);
    expect(dcat['dcat:dataset'].length).toBeGreaterThan(0);
    expect(await violations(dcat)).toEqual([]);
  });

  it('is a real check: a dataset without a title, or a distribution without an access URL, violates', async () => {
    const broken = structuredClone(dcat);
    const [first] = broken['dcat:dataset'];
    delete first['dct:title'];
    const distributions = broken['dcat:dataset'].flatMap((d) => (d['dcat:distribution'] as Record<string, unknown>[] | undefined) ?? []);
    expect(distributions.length).toBeGreaterThan(0);
    delete distributions[0]['dcat:accessURL'];
    const found = await violations(broken);
    expect(found.some((v) => v.includes('http://purl.org/dc/terms/title'))).toBe(true);
    expect(found.some((v) => v.includes('http://www.w3.org/ns/dcat#accessURL'))).toBe(true);
  });
});
