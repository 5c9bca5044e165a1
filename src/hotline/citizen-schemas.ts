import { Type, type Static } from 'typebox';
import { NStr, Nullable, Uuid } from '../platform/http/common-schemas.js';

/**
 * The citizen side's request and response schemas (issue 17): where a pin is, nearby open appeals and "+1 / 关注",
 * photos, notices, and the base map settings. A leaf (typebox only), so the web app imports the types.
 */

const Lon = Type.Number({ minimum: -180, maximum: 180 });
const Lat = Type.Number({ minimum: -90, maximum: 90 });

export const PointQuery = Type.Object({ lon: Lon, lat: Lat });
export type PointQuery = Static<typeof PointQuery>;

/** A pin resolved on the area tree: the district and street (街道) it falls in and a readable address. */
export const Located = Type.Object({
  lon: Type.Number(), lat: Type.Number(),
  districtId: NStr, district: NStr, streetId: NStr, street: NStr,
  /** the area to file the ticket under: the street when known, else the district */
  areaId: NStr,
  /** `临江区滨江街道附近` */
  address: Type.String(),
});
export type Located = Static<typeof Located>;

export const NearbyQuery = Type.Object({
  lon: Lon, lat: Lat,
  /** what the citizen has typed so far: similar appeals come first */
  text: Type.Optional(Type.String({ maxLength: 2000 })),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 20, default: 5 })),
});
export type NearbyQuery = Static<typeof NearbyQuery>;

/**
 * An open appeal near the pin, as any citizen may see it: no name, phone, content or exact address. The title is
 * shown (masked) only for appeals filed for publication; the position is rounded to about 100 m.
 */
export const NearbyTicket = Type.Object({
  id: Type.String(), number: Type.String(), title: NStr, categoryId: NStr, status: Type.String(),
  lon: Type.Number(), lat: Type.Number(), distanceMeters: Type.Integer(),
  /** 0–1, how alike the typed text and this appeal are; null when nothing was typed */
  similarity: Nullable(Type.Number()),
  likes: Type.Integer(),
  /** the caller already follows it (+1) or filed it */
  following: Type.Boolean(),
  createdAt: Type.String(),
});
export type NearbyTicket = Static<typeof NearbyTicket>;

export const FollowResult = Type.Object({ likes: Type.Integer(), following: Type.Boolean() });
export type FollowResult = Static<typeof FollowResult>;

/**
 * `POST /api/hotline/photos`: the photo the browser compressed and its thumbnail, both base64. JSON rather than
 * multipart keeps the one body parser and schema check every route has.
 */
export const PhotoUpload = Type.Object({
  image: Type.String({ minLength: 8, maxLength: 30_000_000, pattern: '^[A-Za-z0-9+/]+={0,2}$' }),
  thumbnail: Type.String({ minLength: 8, maxLength: 2_000_000, pattern: '^[A-Za-z0-9+/]+={0,2}$' }),
}, { additionalProperties: false });
export type PhotoUpload = Static<typeof PhotoUpload>;

export const PhotoView = Type.Object({
  id: Type.String(), mime: Type.String(), width: Type.Integer(), height: Type.Integer(), size: Type.Integer(),
  url: Type.String(), thumbnailUrl: Type.String(),
});
export type PhotoView = Static<typeof PhotoView>;

export const PhotoParams = Type.Object({ id: Uuid, variant: Type.Enum(['full', 'thumbnail']) });
export type PhotoParams = Static<typeof PhotoParams>;

/** A notice to the citizen: which ticket, what happened (the client words it), when, whether read. */
export const NoticeView = Type.Object({
  id: Type.String(), ticketId: Type.String(), number: Type.String(), kind: Type.String(), status: Type.String(),
  createdAt: Type.String(), read: Type.Boolean(),
});
export type NoticeView = Static<typeof NoticeView>;

export const NoticeList = Type.Object({ items: Type.Array(NoticeView), unread: Type.Integer() });
export type NoticeList = Static<typeof NoticeList>;

/** The base map the faces draw (modules.hotline.map, docs/web.md); public, it holds no secret but a tile key. */
export const MapSettings = Type.Object({
  base: Type.String(), tileUrl: Type.String(), labelUrl: Type.String(), subdomains: Type.String(), attribution: Type.String(),
  coordinateSystem: Type.String(), minZoom: Type.Integer(), maxZoom: Type.Integer(),
  center: Type.Array(Type.Number()), zoom: Type.Integer(),
});
export type MapSettings = Static<typeof MapSettings>;

/** What prefills a logged-in citizen's next filing: the name and phone of their latest one (their own data). */
export const MyContact = Type.Object({ name: NStr, phone: NStr });
export type MyContact = Static<typeof MyContact>;
