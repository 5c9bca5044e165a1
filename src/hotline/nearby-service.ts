import type { Db } from '../platform/db/database.js';
import type { Clock } from '../platform/clock/clock.js';
import type { Actor } from '../platform/auth/roles.js';
import { assertCan } from '../platform/auth/permissions.js';
import type { EventBus } from '../platform/events/index.js';
import { Problem } from '../platform/errors/problem.js';
import * as store from './citizen-store.js';
import * as tickets from './ticket-store.js';
import { distanceMeters } from './geo-distance.js';
import { maskPersonalData } from './personal-data.js';
import { openStatuses } from './ticket-workflow.js';
import { TICKETS_CHANGED } from './ticket-changes.js';
import type { CitizenConfig } from './config.js';
import type { FollowResult, NearbyQuery, NearbyTicket } from './citizen-schemas.js';

/**
 * How alike a typed text is to each of these tickets, 0–1. The intelligence module installs its similar-case
 * index here (`hotline.nearby.useTextSimilarity`); without it, character bigrams.
 */
export type TextSimilarity = (text: string, tickets: { id: string; title: string; content: string }[]) => Map<string, number>;

const bigrams = (s: string): Set<string> => {
  const t = s.replace(/\s+/g, '');
  const out = new Set<string>();
  for (let i = 0; i + 1 < t.length; i++) out.add(t.slice(i, i + 2));
  return out;
};

/** Dice coefficient of character bigrams: enough to put "路灯不亮" next to "小区路灯坏了不亮". */
export const bigramSimilarity: TextSimilarity = (text, list) => {
  const q = bigrams(text);
  return new Map(list.map((t) => {
    const d = bigrams(`${t.title}${t.content}`);
    let common = 0;
    for (const g of q) if (d.has(g)) common++;
    return [t.id, q.size + d.size === 0 ? 0 : (2 * common) / (q.size + d.size)];
  }));
};

const round3 = (x: number) => Math.round(x * 1000) / 1000;

/**
 * "已有人反映?" (issue 17): open appeals near a pin while a citizen types, most alike first, and "+1 / 关注" that
 * counts each citizen once and brings them the ticket's notices.
 */
export class NearbyService {
  private similarity: TextSimilarity = bigramSimilarity;

  constructor(private readonly db: Db, private readonly clock: Clock, private readonly events: EventBus, private readonly config: CitizenConfig) {}

  useTextSimilarity(similarity: TextSimilarity): void {
    this.similarity = similarity;
  }

  /** @example await hotline.nearby.nearby(citizen, { lon: 112.91, lat: 28.15, text: '路灯不亮' }) */
  async nearby(actor: Actor, q: NearbyQuery): Promise<NearbyTicket[]> {
    assertCan(actor, 'hotline.ticket.follow');
    const radius = this.config.nearbyRadiusMeters;
    const dLat = radius / 111_320;
    const dLon = dLat / Math.max(0.1, Math.cos((q.lat * Math.PI) / 180));
    const rows = (await store.listOpenTicketsInBox(this.db, { west: q.lon - dLon, east: q.lon + dLon, south: q.lat - dLat, north: q.lat + dLat }, 500))
      .map((r) => ({ ...r, distance: distanceMeters(q.lon, q.lat, r.lon!, r.lat!) }))
      .filter((r) => r.distance <= radius);
    const text = q.text?.trim() ?? '';
    const scores = text.length >= 2 ? this.similarity(text, rows) : null;
    const userId = actor.kind === 'user' ? actor.id ?? null : null;
    const followed = userId ? await store.followedAmong(this.db, userId, rows.map((r) => r.id)) : new Set<string>();
    const ranked = rows
      .map((r) => ({ r, score: scores ? (scores.get(r.id) ?? 0) : null }))
      .sort((a, b) => (b.score ?? 0) - (a.score ?? 0) || a.r.distance - b.r.distance)
      .slice(0, q.limit ?? 5);
    return ranked.map(({ r, score }) => ({
      id: r.id, number: r.number,
      // only an appeal filed for publication shows its (masked) words; the others show their category
      title: r.public ? maskPersonalData(r.title) : null,
      categoryId: r.category_id, status: r.status,
      lon: round3(r.lon!), lat: round3(r.lat!), distanceMeters: Math.round(r.distance),
      similarity: score === null ? null : Math.round(score * 100) / 100,
      likes: r.likes,
      following: followed.has(r.id) || (!!userId && r.citizen_user_id === userId),
      createdAt: new Date(r.created_at).toISOString(),
    }));
  }

  /** "+1 / 关注": counted once per citizen; the second time changes nothing. Only open tickets can be followed. */
  async follow(actor: Actor, ticketId: string): Promise<FollowResult> {
    assertCan(actor, 'hotline.ticket.follow');
    if (actor.kind !== 'user' || !actor.id) throw new Problem('HOTLINE_TICKET_NOT_FOUND', { detail: 'only a logged-in citizen can follow an appeal' });
    const userId = actor.id;
    const now = this.clock();
    const likes = await this.db.transaction().execute(async (trx) => {
      const ticket = await tickets.findTicket(trx, ticketId);
      if (!ticket || !(openStatuses as readonly string[]).includes(ticket.status)) {
        throw new Problem('HOTLINE_TICKET_NOT_FOUND', { detail: 'no open appeal with this id' });
      }
      if (ticket.citizen_user_id === userId) return ticket.likes; // one's own appeal: already following
      return (await store.insertFollow(trx, ticketId, userId, now)) ? (await store.addLike(trx, ticketId)).likes : ticket.likes;
    });
    this.events.publish(TICKETS_CHANGED, { ids: [ticketId] });
    return { likes, following: true };
  }
}
