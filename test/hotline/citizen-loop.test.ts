import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testEngines } from '../support/engines.js';
import { createTestHub, type TestHub } from '../support/test-hub.js';
import type { Actor } from '../../src/platform/auth/roles.js';
import { sniffImage } from '../../src/hotline/image-sniff.js';
import { jpegHeader, png } from '../support/images.js';
import type { OutgoingNotice } from '../../src/hotline/index.js';

const b64 = (b: Buffer | string) => Buffer.from(b).toString('base64');

describe('image sniffing by magic bytes', () => {
  it('reads JPEG, PNG and WebP sizes and refuses everything else', () => {
    expect(sniffImage(png(3, 2))).toEqual({ mime: 'image/png', width: 3, height: 2 });
    expect(sniffImage(jpegHeader(1280, 960))).toEqual({ mime: 'image/jpeg', width: 1280, height: 960 });
    const vp8x = Buffer.alloc(30);
    vp8x.write('RIFF', 0, 'latin1'); vp8x.write('WEBP', 8, 'latin1'); vp8x.write('VP8X', 12, 'latin1');
    vp8x.writeUIntLE(639, 24, 3); vp8x.writeUIntLE(479, 27, 3);
    expect(sniffImage(vp8x)).toEqual({ mime: 'image/webp', width: 640, height: 480 });
    for (const bad of ['<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>', '<!doctype html><script>alert(1)</script>', 'GIF89a\x01\x00\x01\x00', '%PDF-1.7']) {
      expect(sniffImage(Buffer.from(bad, 'latin1'))).toBeNull();
    }
    expect(sniffImage(Buffer.from([0xff, 0xd8, 0xff]))).toBeNull(); // truncated
  });
});

/**
 * Issue 17, the citizen side: a pin resolved on the area tree, nearby open appeals and "+1" once per citizen,
 * photos (attacks: SVG, HTML, huge images, other citizens' photos), the public lookup with unit and deadlines, the
 * rating that sends a case back for redo and to the supervisor, and notices with an adapter.
 */
describe.each(testEngines)('hotline: the citizen loop [%s]', (engine) => {
  let hub: TestHub;
  const now = new Date('2026-12-06T02:00:00Z');
  const admin: Actor = { kind: 'user', id: '00000000-0000-4000-8000-000000000000', roles: ['admin'] };
  const cookies: Record<string, string> = {};
  const users: Record<string, string> = {};
  let unit: string;
  let district: string;
  let street: string;
  const sent: OutgoingNotice[] = [];

  const api = (who: string | null, method: 'GET' | 'POST', url: string, payload?: object) =>
    hub.http.inject({ method, url: `/api/hotline${url}`, headers: who ? { cookie: cookies[who]! } : {}, ...(payload ? { payload } : {}) });
  const ok = async (who: string, method: 'GET' | 'POST', url: string, payload?: object, status = 200) => {
    const res = await api(who, method, url, payload);
    expect(res.statusCode, res.body).toBe(status);
    return res.json();
  };
  const upload = (who: string, image: Buffer | string, thumbnail: Buffer | string = png(8, 6)) =>
    api(who, 'POST', '/photos', { image: b64(image), thumbnail: b64(thumbnail) });

  beforeAll(async () => {
    hub = await createTestHub(engine, {
      clock: () => now,
      config: { modules: { hotline: { citizen: { photoMaxBytes: 50_000, photoMaxSide: 2000, nearbyRadiusMeters: 800 } } } },
    });
    const { auth, hotline: { reference: ref, notices } } = hub.services;
    notices.useChannel({ name: 'test-sms', send: async (n) => { sent.push(n); } });
    const gov = (await auth.insertOrg(admin, { name: '市政府', kind: 'government' })).id;
    const centre = (await auth.insertOrg(admin, { name: '热线中心', kind: 'department', parentId: gov })).id;
    unit = (await auth.insertOrg(admin, { name: '市城市管理局', kind: 'department', parentId: gov })).id;
    const other = (await auth.insertOrg(admin, { name: '市水务局', kind: 'department', parentId: gov })).id;
    district = (await ref.createArea(admin, { name: '临江区', centerLon: 112.9, centerLat: 28.15 })).id;
    await ref.createArea(admin, { name: '青山区', centerLon: 112.98, centerLat: 28.15 });
    street = (await ref.createArea(admin, { name: '滨江街道', parentId: district, centerLon: 112.88, centerLat: 28.14 })).id;
    await ref.createArea(admin, { name: '望湖街道', parentId: district, centerLon: 112.92, centerLat: 28.16 });
    for (const [key, roles, org] of [['agent', ['agent'], centre], ['supervisor', ['supervisor'], centre], ['handler', ['handler'], unit],
      ['otherHandler', ['handler'], other], ['citizen', ['citizen'], null], ['neighbour', ['citizen'], null], ['third', ['citizen'], null]] as const) {
      const login = await hub.loginAs([...roles], org);
      cookies[key] = login.cookie;
      users[key] = login.userId;
    }
  }, 180_000);
  afterAll(async () => hub?.close());

  it('resolves a pin to district, street and address, and serves the base map settings to anyone', async () => {
    const at = await ok('citizen', 'GET', '/locate?lon=112.879&lat=28.141');
    expect(at).toMatchObject({ districtId: district, district: '临江区', streetId: street, street: '滨江街道', areaId: street, address: '临江区滨江街道附近' });
    expect((await ok('citizen', 'GET', '/locate?lon=112.99&lat=28.16')).district).toBe('青山区');
    expect((await api('citizen', 'GET', '/locate?lon=200&lat=28')).statusCode).toBe(400);
    expect((await api(null, 'GET', '/locate?lon=112.9&lat=28.1')).statusCode).toBe(401);
    const map = await api(null, 'GET', '/map');
    expect(map.statusCode).toBe(200);
    expect(map.json()).toMatchObject({ base: 'offline', coordinateSystem: 'wgs84', center: [112.95, 28.2] });
  });

  let filed: { id: string; number: string };
  let photoId: string;

  it('stores checked photos and refuses SVG, HTML, GIF, huge and oversized images', async () => {
    const res = await upload('citizen', png(40, 30));
    expect(res.statusCode, res.body).toBe(201);
    const photo = res.json();
    expect(photo).toMatchObject({ mime: 'image/png', width: 40, height: 30, url: `/api/hotline/photos/${photo.id}/full` });
    photoId = photo.id;
    const svg = await upload('citizen', '<svg xmlns="http://www.w3.org/2000/svg"><script>alert(document.cookie)</script></svg>');
    expect(svg.statusCode).toBe(415);
    expect(svg.json()).toMatchObject({ code: 'HOTLINE_PHOTO_INVALID', errors: [{ field: '/body/image' }] });
    expect((await upload('citizen', '<html><script>alert(1)</script></html>')).statusCode).toBe(415);
    expect((await upload('citizen', png(10, 10), '<svg onload="alert(1)"/>')).json().errors[0].field).toBe('/body/thumbnail');
    expect((await upload('citizen', Buffer.from('GIF89a\x01\x00\x01\x00\x00\x00\x00;', 'latin1'))).statusCode).toBe(415);
    // a decompression bomb: a small file whose header claims 30000×30000 pixels
    const bomb = await upload('citizen', png(30_000, 30_000, true));
    expect(bomb.statusCode).toBe(413);
    expect(bomb.json().code).toBe('HOTLINE_PHOTO_TOO_LARGE');
    // more bytes than photoMaxBytes (50 kB here), and a body past the route's limit
    expect((await upload('citizen', Buffer.concat([jpegHeader(100, 100), Buffer.alloc(60_000)]))).statusCode).toBe(413);
    expect((await upload('citizen', Buffer.alloc(200_000, 1))).statusCode).toBe(413);
    // not base64, extra fields
    expect((await api('citizen', 'POST', '/photos', { image: '<svg>', thumbnail: 'AAAA' })).statusCode).toBe(400);
    expect((await api('citizen', 'POST', '/photos', { image: b64(png(2, 2)), thumbnail: b64(png(2, 2)), mime: 'text/html' })).statusCode).toBe(400);
    expect((await upload('handler', png(2, 2))).statusCode).toBe(403);
  });

  it('files with photos; only the filer and those who handle the ticket see them, with safe headers', async () => {
    const theirs = (await upload('neighbour', png(5, 5))).json().id;
    const stolen = await api('citizen', 'POST', '/tickets', { title: '路灯', content: '路灯不亮', photoIds: [theirs] });
    expect(stolen.statusCode).toBe(404);
    expect(stolen.json().errors[0].field).toBe('/body/photoIds');
    filed = await ok('citizen', 'POST', '/tickets', {
      title: '滨江路路灯不亮', content: '滨江路口路灯连续三晚不亮', citizenName: '李四', citizenPhone: '13900001111',
      lon: 112.8801, lat: 28.1402, areaId: street, photoIds: [photoId],
    }, 201);
    expect((filed as unknown as { attachments: { url: string }[] }).attachments[0].url).toBe(`/api/hotline/photos/${photoId}/full`);
    // a used photo cannot be attached again
    expect((await api('citizen', 'POST', '/tickets', { title: 'x', content: 'y', photoIds: [photoId] })).statusCode).toBe(404);

    const own = await api('citizen', 'GET', `/photos/${photoId}/full`);
    expect(own.statusCode).toBe(200);
    expect(own.headers['content-type']).toBe('image/png');
    expect(own.headers['x-content-type-options']).toBe('nosniff');
    expect(own.headers['content-security-policy']).toContain('sandbox');
    expect(own.headers['cache-control']).toContain('private');
    expect(own.rawPayload.subarray(1, 4).toString()).toBe('PNG');
    expect((await api('citizen', 'GET', `/photos/${photoId}/thumbnail`)).statusCode).toBe(200);
    for (const who of ['neighbour', 'otherHandler', 'handler']) expect((await api(who, 'GET', `/photos/${photoId}/full`)).statusCode, who).toBe(404);
    expect((await api(null, 'GET', `/photos/${photoId}/full`)).statusCode).toBe(401);
    expect((await api('agent', 'GET', `/photos/${photoId}/full`)).statusCode).toBe(200);
    await ok('agent', 'POST', `/tickets/${filed.id}/dispatch`, { unitId: unit });
    expect((await api('handler', 'GET', `/photos/${photoId}/full`)).statusCode).toBe(200);
    expect((await api('otherHandler', 'GET', `/photos/${photoId}/full`)).statusCode).toBe(404);
    expect((await api('citizen', 'GET', '/photos/not-a-uuid/full')).statusCode).toBe(400);
  });

  it('shows nearby open appeals without personal data, most alike first, and counts +1 once per citizen', async () => {
    await ok('agent', 'POST', '/tickets', { title: '望湖路噪声扰民', content: '夜间施工噪声', citizenPhone: '13700002222', lon: 112.884, lat: 28.143, public: true }, 201);
    await ok('agent', 'POST', '/tickets', { title: '远处的路灯不亮', content: '路灯不亮', lon: 113.2, lat: 28.5 }, 201);
    const list = await ok('neighbour', 'GET', `/nearby?lon=112.8805&lat=28.1405&text=${encodeURIComponent('路灯不亮了')}`);
    expect(list.map((t: { number: string }) => t.number)[0]).toBe(filed.number);
    expect(list).toHaveLength(2); // the far one is outside the radius
    const [mine, noise] = list;
    expect(mine).toMatchObject({ title: null, likes: 0, following: false }); // not filed for publication: no words
    expect(mine.similarity).toBeGreaterThan(noise.similarity);
    expect(noise.title).toBe('望湖路噪声扰民');
    const body = JSON.stringify(list);
    for (const hidden of ['李四', '13900001111', '连续三晚', '28.1402']) expect(body).not.toContain(hidden);

    expect(await ok('neighbour', 'POST', `/tickets/${filed.id}/follow`, {})).toEqual({ likes: 1, following: true });
    expect(await ok('neighbour', 'POST', `/tickets/${filed.id}/follow`, {})).toEqual({ likes: 1, following: true });
    expect(await ok('third', 'POST', `/tickets/${filed.id}/follow`, {})).toEqual({ likes: 2, following: true });
    expect(await ok('citizen', 'POST', `/tickets/${filed.id}/follow`, {})).toEqual({ likes: 2, following: true }); // one's own
    expect((await ok('neighbour', 'GET', '/nearby?lon=112.8805&lat=28.1405'))[0]).toMatchObject({ following: true, likes: 2 });
    expect((await api('agent', 'POST', `/tickets/${filed.id}/follow`)).statusCode).toBe(403);
    expect((await api('neighbour', 'POST', '/tickets/00000000-0000-4000-8000-000000000001/follow')).statusCode).toBe(404);
  });

  it('tracks with the unit and deadlines; 不满意 sends the case back for redo and to the supervisor; notices follow', async () => {
    await ok('handler', 'POST', `/tickets/${filed.id}/accept`, {});
    await ok('handler', 'POST', `/tickets/${filed.id}/start`, {});
    await ok('handler', 'POST', `/tickets/${filed.id}/answer`, { replyText: '已安排检修。', result: 'solved' });
    const tracked = await ok('citizen', 'POST', '/track', { number: filed.number, phone: '13900001111' });
    expect(tracked.ticket).toMatchObject({ status: 'answered', unitName: '市城市管理局', allowed: ['visit'], reopenCount: 0 });
    expect(tracked.ticket.dueAt).toBeTruthy();
    expect(tracked.ticket.signDueAt).toBeTruthy();

    const rated = await ok('citizen', 'POST', `/tickets/${filed.id}/visit`, { contacted: true, solved: false, satisfaction: 'unsatisfied', note: '路灯还是不亮' });
    expect(rated).toMatchObject({ status: 'dispatched', satisfaction: 'unsatisfied', supervised: true, reopenCount: 1, unitId: unit });
    const timeline = await ok('supervisor', 'GET', `/tickets/${filed.id}/timeline`);
    expect(timeline.at(-1)).toMatchObject({ action: 'visit', fromStatus: 'answered', toStatus: 'dispatched', details: { redo: true, note: '路灯还是不亮' } });
    expect((await ok('supervisor', 'GET', '/tickets?supervised=true')).items.map((t: { id: string }) => t.id)).toContain(filed.id);

    const notices = await ok('citizen', 'GET', '/notices');
    // (one fixed clock here: the order of notices of the same instant is not defined, so compare as sets)
    expect(notices.items.map((n: { kind: string }) => n.kind).sort()).toEqual(['accept', 'answer', 'dispatch', 'redo']);
    expect(notices.unread).toBe(4);
    expect((await ok('neighbour', 'GET', '/notices')).items.map((n: { kind: string }) => n.kind).sort()).toEqual(['accept', 'answer', 'redo']);
    // marking someone else's notice read changes nothing for them
    await ok('neighbour', 'POST', '/notices/read', { ids: [notices.items[0].id] });
    expect((await ok('citizen', 'GET', '/notices')).unread).toBe(4);
    expect((await ok('citizen', 'POST', '/notices/read', {})).unread).toBe(0);
    expect((await api('agent', 'GET', '/notices')).statusCode).toBe(403);
    expect(await ok('citizen', 'GET', '/my-contact')).toEqual({ name: '李四', phone: '13900001111' });
    expect(await ok('neighbour', 'GET', '/my-contact')).toEqual({ name: null, phone: null });

    // the adapter receives each notice once; the filer's with the phone, the followers' without
    expect(await hub.services.hotline.notices.deliver()).toBe(4 + 3 + 3);
    expect(await hub.services.hotline.notices.deliver()).toBe(0);
    expect(sent.filter((n) => n.userId === users.citizen).every((n) => n.phone === '13900001111')).toBe(true);
    expect(sent.filter((n) => n.userId !== users.citizen).every((n) => n.phone === null)).toBe(true);
  });
});
