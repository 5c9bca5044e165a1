import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoCityPlan, demoSeeders, type DemoContext } from '../../src/server/demo-city.js';
import { seedCatalogDemo } from '../../src/catalog/index.js';
import { testEngines } from '../support/engines.js';
import { createTestHub, type TestHub } from '../support/test-hub.js';
import { systemActor } from '../../src/platform/auth/roles.js';
import { dcatShapes, dcatViolations } from './dcat-shacl.js';

describe.each(testEngines.slice(0, 1))('catalog demo [%s]', (engine) => {
  let hub: TestHub;
  let ctx: DemoContext;

  beforeAll(async () => {
    hub = await createTestHub(engine);
    ctx = { hub, actor: systemActor('demo-seed'), orgs: new Map(), users: new Map(), log: () => {} };
    await demoSeeders[0]!(ctx); // the platform part: organisations and demo users
    await seedCatalogDemo({ ...ctx, districts: demoCityPlan.districts, now: hub.services.clock() }, hub.services.catalog);
  }, 240_000);
  afterAll(async () => hub?.close());

  it('seeds graded datasets of several departments with rows, grants and pending requests', async () => {
    const bureau = { kind: 'user' as const, id: 'x', orgId: ctx.orgs.get('市数据局'), roles: ['data_admin' as const] };
    const found = await hub.services.catalog.catalog.search(bureau, {});
    expect(found.total).toBe(6);
    expect(Object.fromEntries(found.items.map((d) => [d.identifier, d.grade]))).toMatchObject({
      population: 'important', enterprises: 'general', 'medical-records': 'core', 'hotline-tickets': 'general',
    });
    expect(found.items.find((d) => d.identifier === 'population')!.rowCount).toBe(600);
    const requests = await hub.services.catalog.sharing.listRequests(bureau);
    expect(requests.filter((r) => r.status === 'granted')).toHaveLength(5);
    expect(requests.filter((r) => r.status === 'pending').map((r) => r.consumerName).sort()).toEqual(['市卫生健康委员会', '市教育局'].sort());
  });

  it('gives the demo citizen entries in "who used my data", and the ledger still verifies', async () => {
    const citizen = { kind: 'user' as const, id: ctx.users.get('citizen')!, roles: ['citizen' as const] };
    const usage = await hub.services.catalog.usage.myDataUsage(citizen);
    expect(usage.linked).toBe(true);
    expect(new Set(usage.accesses.map((a) => a.unit))).toEqual(new Set(['市人力资源和社会保障局', '市住房和城乡建设局']));
    expect(usage.accesses.map((a) => a.purpose)).toContain('住房保障家庭资格审核');
    const verification = await hub.services.ledger.verify();
    expect(verification.ok, JSON.stringify(verification.fault)).toBe(true);
  });

  // Issue 18: the demo catalogue's DCAT JSON-LD against SEMIC's official DCAT-AP 3.0.1 SHACL shapes
  // (fixtures/dcat-ap-3.0.1, dcat-shacl.ts); catalog.test.ts runs the same check on both engines.
  it('exports a DCAT catalogue with zero DCAT-AP 3 SHACL violations, and the check is real', async () => {
    const res = await hub.http.inject({ method: 'GET', url: '/api/catalog/dcat', headers: { host: 'data.city.example' } });
    expect(res.statusCode).toBe(200);
    const dcat = res.json() as { 'dcat:dataset': Record<string, unknown>[] };
    expect(dcatShapes.size).toBeGreaterThan(1000);
    expect(dcat['dcat:dataset'].length).toBeGreaterThan(0);
    expect(await dcatViolations(dcat)).toEqual([]);
    // A dataset without its title and a distribution without its access URL are reported.
    const broken = structuredClone(dcat);
    delete broken['dcat:dataset'][0]['dct:title'];
    const distributions = broken['dcat:dataset'].flatMap((d) => (d['dcat:distribution'] as Record<string, unknown>[] | undefined) ?? []);
    expect(distributions.length).toBeGreaterThan(0);
    delete distributions[0]['dcat:accessURL'];
    const found = await dcatViolations(broken);
    expect(found.some((v) => v.includes('http://purl.org/dc/terms/title'))).toBe(true);
    expect(found.some((v) => v.includes('http://www.w3.org/ns/dcat#accessURL'))).toBe(true);
  });
});
