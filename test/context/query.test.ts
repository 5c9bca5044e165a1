import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testEngines } from '../support/engines.js';
import { createTestHub, type TestHub } from '../support/test-hub.js';
import { ngsiRequester } from './ngsi-support.js';


describe.each(testEngines)('context query and batch [%s]', (engine) => {
  let hub: TestHub;
  let cookie: string;
  const req = ngsiRequester(() => hub, () => cookie);
  const ids = async (url: string) => {
    const res = await req('GET', url);
    expect(res.statusCode, res.body).toBe(200);
    return (res.json() as { id: string }[]).map((e) => e.id);
  };

  beforeAll(async () => {
    hub = await createTestHub(engine, { config: { modules: { context: { batchMax: 50 } } } as never });
    cookie = (await hub.loginAs(['data_admin'])).cookie;
    // 10 parking spots on a line eastwards from (112.9, 28.2), ~100 m apart; 3 streetlights; one polygon park.
    const spots = Array.from({ length: 10 }, (_, i) => ({
      id: `urn:ngsi-ld:ParkingSpot:p${i}`, type: 'ParkingSpot',
      status: { type: 'Property', value: i % 2 ? 'occupied' : 'free', observedAt: `2026-11-26T0${i}:00:00Z` },
      width: i + 0.5,
      address: { type: 'Property', value: { district: i < 5 ? '临江区' : '青山区' } },
      refParkingSite: { type: 'Relationship', object: `urn:ngsi-ld:OffStreetParking:${i % 3}` },
      location: { type: 'GeoProperty', value: { type: 'Point', coordinates: [112.9 + i * 0.001, 28.2] } },
    }));
    const lights = Array.from({ length: 3 }, (_, i) => ({
      id: `urn:ngsi-ld:Streetlight:l${i}`, type: 'Streetlight', powerState: i ? 'on' : 'off',
      location: { type: 'GeoProperty', value: { type: 'Point', coordinates: [112.95, 28.25 + i * 0.01] } },
    }));
    const park = {
      id: 'urn:ngsi-ld:Park:1', type: 'Park',
      location: { type: 'GeoProperty', value: { type: 'Polygon', coordinates: [[[112.8, 28.1], [112.85, 28.1], [112.85, 28.15], [112.8, 28.15], [112.8, 28.1]]] } },
    };
    const res = await req('POST', '/entityOperations/create', [...spots, ...lights, park]);
    expect(res.statusCode, res.body).toBe(201);
    expect(res.json()).toHaveLength(14);
  }, 240_000);
  afterAll(async () => hub?.close(), 60_000);

  it('filters by type lists, id, idPattern and attrs', async () => {
    expect(await ids('/entities?type=Streetlight')).toEqual(['urn:ngsi-ld:Streetlight:l0', 'urn:ngsi-ld:Streetlight:l1', 'urn:ngsi-ld:Streetlight:l2']);
    expect((await ids('/entities?type=Streetlight,Park&limit=100'))).toHaveLength(4);
    expect((await ids('/entities?type=Streetlight|Park&limit=100'))).toHaveLength(4);
    expect(await ids('/entities?id=urn:ngsi-ld:ParkingSpot:p1,urn:ngsi-ld:Park:1')).toEqual(['urn:ngsi-ld:Park:1', 'urn:ngsi-ld:ParkingSpot:p1']);
    expect(await ids('/entities?idPattern=^urn:ngsi-ld:ParkingSpot:p[2-3]$')).toEqual(['urn:ngsi-ld:ParkingSpot:p2', 'urn:ngsi-ld:ParkingSpot:p3']);
    expect(await ids('/entities?attrs=powerState&limit=100')).toHaveLength(3);
    const picked = (await req('GET', '/entities?type=Streetlight&pick=id,powerState&limit=1')).json();
    expect(picked).toEqual([{ id: 'urn:ngsi-ld:Streetlight:l0', powerState: { type: 'Property', value: 'off' } }]);
    const omitted = (await req('GET', '/entities?type=Streetlight&omit=location,type&limit=1&options=keyValues')).json();
    expect(omitted).toEqual([{ id: 'urn:ngsi-ld:Streetlight:l0', powerState: 'off' }]);
  });

  it('runs the q language in the database', async () => {
    const cases: [string, number][] = [
      ['status=="free"', 5],
      ['status!="free"', 5],
      ['width>5', 5],
      ['width==2..4', 2],
      ['width==0.5,9.5', 2],
      ['status~=^occ', 5],
      ['status!~=^occ', 5],
      ['address[district]=="临江区"', 5],
      ['status.observedAt>=2026-11-26T05:00:00Z', 5],
      ['refParkingSite==urn:ngsi-ld:OffStreetParking:0', 4],
      ['width>5;status=="free"', 2],
      ['width<1|width>9', 2],
      ['(width<2|width>8);status=="occupied"', 2],
      ['width', 10],
      ['nothing', 0],
    ];
    for (const [q, n] of cases) {
      expect(await ids(`/entities?type=ParkingSpot&limit=100&q=${encodeURIComponent(q)}`), q).toHaveLength(n);
    }
    const bad = await req('GET', `/entities?type=ParkingSpot&q=${encodeURIComponent('width>>5')}`);
    expect(bad.statusCode).toBe(400);
    expect(bad.json()).toMatchObject({ type: 'https://uri.etsi.org/ngsi-ld/errors/BadRequestData', position: 6 });
    expect(bad.json().detail).toContain('position 6');
    // Injection attempts are values, not SQL.
    expect(await ids(`/entities?type=ParkingSpot&q=${encodeURIComponent('status=="x\'); drop table context_entity; --"')}`)).toHaveLength(0);
    expect(await ids('/entities?type=ParkingSpot&limit=1')).toHaveLength(1);
  });

  it('answers geo-queries: near, within, intersects, contains, disjoint, equals', async () => {
    const near = await ids(`/entities?type=ParkingSpot&georel=near;maxDistance==250&geometry=Point&coordinates=${encodeURIComponent('[112.9,28.2]')}`);
    expect(near).toEqual(['urn:ngsi-ld:ParkingSpot:p0', 'urn:ngsi-ld:ParkingSpot:p1', 'urn:ngsi-ld:ParkingSpot:p2']);
    const far = await ids(`/entities?type=ParkingSpot&limit=100&georel=near;minDistance==750&geometry=Point&coordinates=[112.9,28.2]`);
    expect(far).toEqual(['urn:ngsi-ld:ParkingSpot:p8', 'urn:ngsi-ld:ParkingSpot:p9']);
    const box = encodeURIComponent('[[[112.9025,28.19],[112.9055,28.19],[112.9055,28.21],[112.9025,28.21],[112.9025,28.19]]]');
    expect(await ids(`/entities?georel=within&geometry=Polygon&coordinates=${box}`)).toEqual(['urn:ngsi-ld:ParkingSpot:p3', 'urn:ngsi-ld:ParkingSpot:p4', 'urn:ngsi-ld:ParkingSpot:p5']);
    expect(await ids(`/entities?georel=intersects&geometry=Point&coordinates=[112.82,28.12]`)).toEqual(['urn:ngsi-ld:Park:1']);
    expect(await ids(`/entities?georel=contains&geometry=Point&coordinates=[112.82,28.12]`)).toEqual(['urn:ngsi-ld:Park:1']);
    expect(await ids(`/entities?georel=intersects&geometry=LineString&coordinates=${encodeURIComponent('[[112.7,28.12],[112.82,28.12]]')}`)).toEqual(['urn:ngsi-ld:Park:1']);
    expect(await ids(`/entities?georel=equals&geometry=Point&coordinates=[112.95,28.26]`)).toEqual(['urn:ngsi-ld:Streetlight:l1']);
    expect(await ids(`/entities?type=Streetlight,Park&georel=disjoint&geometry=Point&coordinates=[112.82,28.12]`)).toHaveLength(3);
    const counted = await req('GET', `/entities?type=ParkingSpot&count=true&limit=2&georel=near;maxDistance==450&geometry=Point&coordinates=[112.9,28.2]`);
    expect(counted.headers['ngsild-results-count']).toBe('5');
    expect(counted.json()).toHaveLength(2);
    const geojson = await req('GET', `/entities?type=Streetlight&limit=2`, undefined, { accept: 'application/geo+json' });
    expect(geojson.json()).toMatchObject({ type: 'FeatureCollection', features: [{ type: 'Feature', geometry: { type: 'Point' } }, { type: 'Feature' }] });
    for (const bad of [
      'georel=near&geometry=Point&coordinates=[112.9,28.2]',
      // §4.10: near measures to any reference geometry, but takes one distance, more than 0.
      'georel=near;maxDistance==0&geometry=Point&coordinates=[112.9,28.2]',
      'georel=near;maxDistance==100;minDistance==1&geometry=Polygon&coordinates=[[[0,0],[1,0],[1,1],[0,0]]]',
      'georel=within&geometry=Point&coordinates=[500,0]',
      'georel=within&geometry=Polygon&coordinates=[[[0,0],[1,0],[1,1]]]',
      'georel=touches&geometry=Point&coordinates=[1,1]',
      'georel=within&geometry=Polygon&coordinates=not-json',
      'georel=within',
    ]) {
      const res = await req('GET', `/entities?${bad.replace(/\[/g, '%5B').replace(/\]/g, '%5D')}`);
      expect(res.statusCode, bad).toBe(400);
      expect(res.json().type).toBe('https://uri.etsi.org/ngsi-ld/errors/BadRequestData');
    }
  });

  it('orders by attribute values with orderBy', async () => {
    const spot = (...n: number[]) => n.map((i) => `urn:ngsi-ld:ParkingSpot:p${i}`);
    expect(await ids('/entities?type=ParkingSpot&orderBy=!width')).toEqual(spot(9, 8, 7, 6, 5, 4, 3, 2, 1, 0));
    expect(await ids('/entities?type=ParkingSpot&orderBy=status,!width')).toEqual(spot(8, 6, 4, 2, 0, 9, 7, 5, 3, 1));
    // Entities without the attribute come last, then by id; paging follows the order.
    const lights = [0, 1, 2].map((i) => `urn:ngsi-ld:Streetlight:l${i}`);
    expect(await ids('/entities?type=ParkingSpot,Streetlight&orderBy=width&limit=20')).toEqual([...spot(0, 1, 2, 3, 4, 5, 6, 7, 8, 9), ...lights]);
    expect(await ids('/entities?type=ParkingSpot,Streetlight&orderBy=!width&limit=3&offset=8')).toEqual([...spot(1, 0), lights[0]]);
    expect(await ids('/entities?type=ParkingSpot&orderBy=!id&limit=2')).toEqual(spot(9, 8));
    // With near, orderBy replaces the nearest-first order.
    const near = `georel=near;maxDistance==250&geometry=Point&coordinates=${encodeURIComponent('[112.9,28.2]')}`;
    expect(await ids(`/entities?type=ParkingSpot&${near}&orderBy=!width`)).toEqual(spot(2, 1, 0));
    for (const bad of ['width;status', '!', 'width,,status', '!!width']) {
      const res = await req('GET', `/entities?type=ParkingSpot&orderBy=${encodeURIComponent(bad)}`);
      expect(res.statusCode, bad).toBe(400);
      expect(res.json().type).toBe('https://uri.etsi.org/ngsi-ld/errors/BadRequestData');
    }
  });

  it('pages with limit/offset and counts', async () => {
    const page = await req('GET', '/entities?type=ParkingSpot&limit=3&offset=3&count=true');
    expect(page.headers['ngsild-results-count']).toBe('10');
    expect((page.json() as { id: string }[]).map((e) => e.id)).toEqual(['urn:ngsi-ld:ParkingSpot:p3', 'urn:ngsi-ld:ParkingSpot:p4', 'urn:ngsi-ld:ParkingSpot:p5']);
    const onlyCount = await req('GET', '/entities?type=ParkingSpot&limit=0&count=true');
    expect(onlyCount.json()).toEqual([]);
    expect(onlyCount.headers['ngsild-results-count']).toBe('10');
    expect((await req('GET', '/entities?type=ParkingSpot&limit=5000')).json().type).toBe('https://uri.etsi.org/ngsi-ld/errors/TooManyResults');
    expect((await req('GET', '/entities?type=ParkingSpot&limit=-1')).statusCode).toBe(400);
    expect((await req('GET', '/entities?idPattern=(')).statusCode).toBe(400);
  });

  it('reports batch results per entity (207) and refuses batches over the limit with 413', async () => {
    let res = await req('POST', '/entityOperations/create', [
      { id: 'urn:ngsi-ld:Streetlight:l0', type: 'Streetlight' },
      { id: 'urn:ngsi-ld:Streetlight:new', type: 'Streetlight', powerState: 'on' },
      { id: 'bad id', type: 'Streetlight' },
    ]);
    expect(res.statusCode).toBe(207);
    const report = res.json();
    expect(report.success).toEqual(['urn:ngsi-ld:Streetlight:new']);
    expect(report.errors.map((e: { entityId: string; error: { type: string } }) => [e.entityId, e.error.type.split('/').pop()]).sort()).toEqual([
      ['bad id', 'BadRequestData'], ['urn:ngsi-ld:Streetlight:l0', 'AlreadyExists'],
    ]);

    res = await req('POST', '/entityOperations/upsert', [
      { id: 'urn:ngsi-ld:Streetlight:new', type: 'Streetlight', powerState: 'off' },
      { id: 'urn:ngsi-ld:Streetlight:new2', type: 'Streetlight', powerState: 'off' },
    ]);
    expect(res.statusCode).toBe(201);
    expect(res.json()).toEqual(['urn:ngsi-ld:Streetlight:new2']);
    res = await req('POST', '/entityOperations/upsert?options=update', [{ id: 'urn:ngsi-ld:Streetlight:new', type: 'Streetlight', lampBrand: 'Z' }]);
    expect(res.statusCode).toBe(204);
    expect((await req('GET', '/entities/urn:ngsi-ld:Streetlight:new?options=keyValues')).json()).toMatchObject({ powerState: 'off', lampBrand: 'Z' });

    res = await req('POST', '/entityOperations/update', [
      { id: 'urn:ngsi-ld:Streetlight:new', type: 'Streetlight', powerState: 'on' },
      { id: 'urn:ngsi-ld:Streetlight:ghost', type: 'Streetlight', powerState: 'on' },
    ]);
    expect(res.statusCode).toBe(207);
    expect(res.json().errors[0]).toMatchObject({ entityId: 'urn:ngsi-ld:Streetlight:ghost', error: { status: 404 } });

    res = await req('POST', '/entityOperations/delete', ['urn:ngsi-ld:Streetlight:new', 'urn:ngsi-ld:Streetlight:new2', 'urn:ngsi-ld:Streetlight:ghost']);
    expect(res.statusCode).toBe(207);
    expect(res.json().success).toEqual(['urn:ngsi-ld:Streetlight:new', 'urn:ngsi-ld:Streetlight:new2']);

    const huge = Array.from({ length: 51 }, (_, i) => ({ id: `urn:ngsi-ld:T:${i}`, type: 'T' }));
    res = await req('POST', '/entityOperations/upsert', huge);
    expect(res.statusCode).toBe(413);
    expect(res.json()).toMatchObject({ limit: 50, received: 51 });
    expect((await req('POST', '/entityOperations/upsert', { id: 'urn:x:1' })).statusCode).toBe(400);

    res = await req('POST', '/entityOperations/query', { type: 'Query', entities: [{ type: 'ParkingSpot' }], q: 'width>8' });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toHaveLength(2);
  });

  it('lists types and attributes', async () => {
    const types = (await req('GET', '/types')).json();
    expect(types.typeList).toEqual(expect.arrayContaining(['ParkingSpot', 'Streetlight']));
    const info = (await req('GET', '/types/Streetlight')).json();
    expect(info.entityCount).toBe(3);
    expect((await req('GET', '/attributes')).json().attributeList).toEqual(expect.arrayContaining(['powerState', 'width']));
  });
});
