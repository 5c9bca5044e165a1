import { Type } from 'typebox';
import type { RoutePlugin } from '../platform/http/server.js';
import { IdParams } from './schemas.js';
import {
  FollowResult, Located, MapSettings, MyContact, NearbyQuery, NearbyTicket, NoticeList, PhotoParams, PhotoUpload, PhotoView, PointQuery,
} from './citizen-schemas.js';
import type { LocateService } from './locate-service.js';
import type { NearbyService } from './nearby-service.js';
import type { NoticeService } from './notice-service.js';
import type { PhotoService } from './photo-service.js';
import type { CitizenConfig, MapConfig } from './config.js';

const tags = ['hotline'];

/** Base64 grows bytes by 4/3; the photo route's body limit fits the largest photo and thumbnail allowed. */
const photoBodyLimit = (c: CitizenConfig) => Math.ceil(((c.photoMaxBytes + c.thumbnailMaxBytes) * 4) / 3) + 4096;

/**
 * The citizen side under /api/hotline (issue 17): the base map, where a pin is, nearby open appeals and "+1",
 * photos, notices.
 */
export const citizenRoutes = (services: {
  locate: LocateService; nearby: NearbyService; photos: PhotoService; notices: NoticeService; citizen: CitizenConfig; map: MapConfig;
}): RoutePlugin => async (app) => {
  const { locate, nearby, photos, notices } = services;

  app.get('/map', {
    config: { access: 'public' },
    schema: { tags, summary: 'The base map the faces draw (modules.hotline.map): offline demo basemap or a tile URL', response: { 200: MapSettings } },
  }, async () => services.map);

  app.get('/locate', {
    config: { access: 'hotline.reference.read' },
    schema: { tags, summary: 'Where a pin is: district, street (街道) and an address from the area tree', querystring: PointQuery, response: { 200: Located } },
  }, (request) => locate.locate(request.actor, request.query.lon, request.query.lat));

  app.get('/nearby', {
    config: { access: 'hotline.ticket.follow' },
    schema: {
      tags, summary: 'Open appeals near a pin, most like the typed text first (已有人反映?)',
      description: 'No personal data: the title only of appeals filed for publication (masked), positions rounded to ~100 m.',
      querystring: NearbyQuery, response: { 200: Type.Array(NearbyTicket) },
    },
  }, (request) => nearby.nearby(request.actor, request.query));

  app.post('/tickets/:id/follow', {
    config: { access: 'hotline.ticket.follow' },
    schema: { tags, summary: '+1 / 关注 an open appeal: counted once per citizen, brings its notices', params: IdParams, response: { 200: FollowResult } },
  }, (request) => nearby.follow(request.actor, request.params.id));

  app.post('/photos', {
    config: { access: 'hotline.ticket.create' },
    bodyLimit: photoBodyLimit(services.citizen),
    schema: {
      tags, summary: 'Upload a photo and its thumbnail (base64 JPEG, PNG or WebP; checked by magic bytes and size)',
      description: 'Then file the ticket with `photoIds`. 415 HOTLINE_PHOTO_INVALID for anything not an image, 413 HOTLINE_PHOTO_TOO_LARGE past modules.hotline.citizen.photoMaxBytes or photoMaxSide.',
      body: PhotoUpload, response: { 201: PhotoView },
    },
  }, async (request, reply) => reply.code(201).send(await photos.upload(request.actor, request.body)));

  app.get('/photos/:id/:variant', {
    config: { access: 'hotline.ticket.read' },
    schema: { tags, summary: 'A photo (full or thumbnail): its uploader, the citizen who filed the ticket and those who handle it', params: PhotoParams },
  }, async (request, reply) => {
    const photo = await photos.read(request.actor, request.params.id, request.params.variant);
    // The type is the sniffed one; nosniff, a sandboxing CSP and `inline` with a fixed name keep a crafted file
    // from ever running as a page, and private caching keeps it out of shared caches.
    return reply
      .header('content-type', photo.mime)
      .header('x-content-type-options', 'nosniff')
      .header('content-security-policy', "default-src 'none'; sandbox")
      .header('content-disposition', `inline; filename="photo.${photo.mime.split('/')[1]}"`)
      .header('cache-control', 'private, max-age=86400')
      .header('cross-origin-resource-policy', 'same-origin')
      .send(photo.bytes);
  });

  app.get('/my-contact', {
    config: { access: 'hotline.citizen.self' },
    schema: { tags, summary: 'My name and phone from my latest appeal (prefills the next one)', response: { 200: MyContact } },
  }, (request) => notices.myContact(request.actor));

  app.get('/notices', {
    config: { access: 'hotline.citizen.self' },
    schema: { tags, summary: 'My notices (progress of my appeals and those I follow), newest first', response: { 200: NoticeList } },
  }, (request) => notices.list(request.actor));

  app.post('/notices/read', {
    config: { access: 'hotline.citizen.self' },
    schema: {
      tags, summary: 'Mark my notices read (all, or these ids)',
      body: Type.Object({ ids: Type.Optional(Type.Array(Type.String({ format: 'uuid' }), { maxItems: 200 })) }, { additionalProperties: false }),
      response: { 200: NoticeList },
    },
  }, (request) => notices.markRead(request.actor, request.body.ids ?? 'all'));
};
