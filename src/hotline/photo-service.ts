import type { Db } from '../platform/db/database.js';
import type { Clock } from '../platform/clock/clock.js';
import type { Actor } from '../platform/auth/roles.js';
import { assertCan } from '../platform/auth/permissions.js';
import { Problem } from '../platform/errors/problem.js';
import * as store from './citizen-store.js';
import * as tickets from './ticket-store.js';
import { sniffImage } from './image-sniff.js';
import { handlesTicket, isOwnTicket } from './ticket-access.js';
import type { CitizenConfig } from './config.js';
import type { PhotoUpload, PhotoView } from './citizen-schemas.js';

const photoUrl = (id: string, variant: 'full' | 'thumbnail') => `/api/hotline/photos/${id}/${variant}`;
const thumbnailMaxSide = 512;

/**
 * Citizens' photos (issue 17), kept in the database so any node serves them. Every upload is decoded from base64,
 * identified by its magic bytes (JPEG, PNG, WebP only: no SVG, HTML or anything a browser might run), and its
 * declared size checked before anyone decodes it. A photo is readable by its uploader; once attached to a ticket,
 * also by those who handle the ticket and by the citizen who filed it. Anyone else gets the same 404 as for a photo
 * that does not exist.
 */
export class PhotoService {
  constructor(private readonly db: Db, private readonly clock: Clock, private readonly config: CitizenConfig) {}

  /** @example await hotline.photos.upload(citizen, { image: base64Jpeg, thumbnail: base64Thumb }) */
  async upload(actor: Actor, body: PhotoUpload): Promise<PhotoView> {
    assertCan(actor, 'hotline.ticket.create');
    if (actor.kind !== 'user' && actor.kind !== 'api_key') throw new Problem('UNAUTHENTICATED');
    const image = this.check('image', Buffer.from(body.image, 'base64'), this.config.photoMaxBytes, this.config.photoMaxSide);
    const thumb = this.check('thumbnail', Buffer.from(body.thumbnail, 'base64'), this.config.thumbnailMaxBytes, thumbnailMaxSide);
    const row = await store.insertPhoto(this.db, {
      uploaded_by: actor.id!, ticket_id: null, mime: image.mime, width: image.width, height: image.height, size: image.bytes.length,
      bytes: image.bytes, thumb_mime: thumb.mime, thumb: thumb.bytes, created_at: this.clock(),
    });
    return { ...row, url: photoUrl(row.id, 'full'), thumbnailUrl: photoUrl(row.id, 'thumbnail') };
  }

  private check(field: 'image' | 'thumbnail', bytes: Buffer, maxBytes: number, maxSide: number) {
    const fail = (message: string) => new Problem('HOTLINE_PHOTO_INVALID', { detail: `${field}: ${message}`, errors: [{ field, message }] });
    if (bytes.length > maxBytes) throw new Problem('HOTLINE_PHOTO_TOO_LARGE', { detail: `${field}: ${bytes.length} bytes, at most ${maxBytes}`, errors: [{ field, message: `at most ${maxBytes} bytes` }] });
    const sniffed = sniffImage(bytes);
    if (!sniffed) throw fail('not a JPEG, PNG or WebP image');
    if (sniffed.width > maxSide || sniffed.height > maxSide) {
      throw new Problem('HOTLINE_PHOTO_TOO_LARGE', { detail: `${field}: ${sniffed.width}×${sniffed.height} px, at most ${maxSide} px a side`, errors: [{ field, message: `at most ${maxSide} px a side` }] });
    }
    return { ...sniffed, bytes };
  }

  /** The photo's bytes and type for the reader, or 404 when they may not see it (or it does not exist). */
  async read(actor: Actor, id: string, variant: 'full' | 'thumbnail'): Promise<{ mime: string; bytes: Buffer }> {
    assertCan(actor, 'hotline.ticket.read');
    const notFound = new Problem('HOTLINE_PHOTO_NOT_FOUND', { detail: `photo ${id} does not exist` });
    const meta = await store.findPhotoMeta(this.db, id);
    if (!meta) throw notFound;
    let allowed = actor.id === meta.uploaded_by;
    if (!allowed && meta.ticket_id) {
      const ticket = await tickets.findTicket(this.db, meta.ticket_id);
      allowed = !!ticket && (handlesTicket(actor, ticket) || isOwnTicket(actor, ticket));
    }
    if (!allowed) throw notFound;
    const found = await store.readPhotoBytes(this.db, id, variant);
    if (!found) throw notFound;
    return { mime: found.mime, bytes: Buffer.from(found.bytes) };
  }

  /**
   * Links the uploader's photos to their new ticket, in the filing's transaction; the attachments the ticket lists.
   * A photo that is not theirs, already used or unknown fails the whole filing (400 naming photoIds).
   */
  async attach(trx: Db, actor: Actor, ticketId: string, ids: string[]) {
    if (ids.length === 0) return [];
    const unique = [...new Set(ids)];
    if (unique.length > this.config.photosPerTicket) {
      throw new Problem('VALIDATION_FAILED', { errors: [{ field: 'photoIds', message: `at most ${this.config.photosPerTicket} photos` }] });
    }
    const linked = actor.id ? await store.attachPhotos(trx, ticketId, actor.id, unique) : [];
    if (linked.length !== unique.length) {
      throw new Problem('HOTLINE_PHOTO_NOT_FOUND', { errors: [{ field: 'photoIds', message: 'a photo is unknown, someone else\'s, or already used' }] });
    }
    return linked.map((p, i) => ({ name: `photo-${i + 1}`, type: p.mime, size: p.size, url: photoUrl(p.id, 'full') }));
  }
}
