import { distanceMeters, type IndexedTicket, type SimilarHit, type SimilarIndex } from './similar-index.js';
import type { DuplicateProposal } from './schemas.js';

export interface DuplicateRules {
  minSimilarity: number;
  textOnlyMinSimilarity: number;
  radiusMeters: number;
  windowDays: number;
  maxResults: number;
}

/** The new (or open) ticket being checked. */
export interface DuplicateQuery {
  tokens: readonly string[];
  at: number;
  lon?: number | null;
  lat?: number | null;
  areaId?: string | null;
  /** the ticket itself, when it is already filed */
  selfId?: string;
}

const DAY = 86_400_000;
const CLOSED = new Set(['closed']);

/**
 * Duplicates = the same matter (cosine ≥ `minSimilarity`), near the same place (≤ `radiusMeters` when both have
 * coordinates, else the same area; with neither, the text alone must reach `textOnlyMinSimilarity`) and within
 * `windowDays`. Closed tickets are not merge targets. Proposals only: the merge itself is the workflow's action.
 *
 * @example findDuplicates(index, { tokens, at: Date.now(), lon, lat }, rules) // [{ ticketId, mainTicketId, … }]
 */
export function findDuplicates(index: SimilarIndex, query: DuplicateQuery, rules: DuplicateRules, searched?: readonly SimilarHit[]): DuplicateProposal[] {
  const window = rules.windowDays * DAY;
  const accept = (t: IndexedTicket) => t.id !== query.selfId && Math.abs(t.createdAt - query.at) <= window && !CLOSED.has(t.status);
  // `searched`: the candidates of a search already made (the assist's), filtered here instead of searching again.
  const hits = searched ? searched.filter((h) => accept(h.ticket)) : index.search(query.tokens, Math.max(rules.maxResults * 4, 20), accept);
  const out: DuplicateProposal[] = [];
  const seenMain = new Set<string>();
  for (const h of hits) {
    const place = placeMatch(h.ticket, query, rules);
    if (!place) continue;
    const needed = place.kind === 'text' ? rules.textOnlyMinSimilarity : rules.minSimilarity;
    if (h.similarity < needed) continue;
    const mainTicketId = h.ticket.status === 'merged' && h.ticket.mainTicketId ? h.ticket.mainTicketId : h.ticket.id;
    if (mainTicketId === query.selfId || seenMain.has(h.ticket.id)) continue;
    seenMain.add(h.ticket.id);
    out.push({
      ticketId: h.ticket.id,
      number: h.ticket.number,
      title: h.ticket.title,
      similarity: round(h.similarity),
      distanceMeters: place.distance === null ? null : Math.round(place.distance),
      placeMatch: place.kind,
      mainTicketId,
      proposal: 'merge',
    });
    if (out.length >= rules.maxResults) break;
  }
  return out;
}

function placeMatch(
  t: IndexedTicket,
  q: DuplicateQuery,
  rules: DuplicateRules,
): { kind: 'distance' | 'area' | 'text'; distance: number | null } | undefined {
  if (t.lon != null && t.lat != null && q.lon != null && q.lat != null) {
    const d = distanceMeters(q.lon, q.lat, t.lon, t.lat);
    return d <= rules.radiusMeters ? { kind: 'distance', distance: d } : undefined;
  }
  if (t.areaId && q.areaId) return t.areaId === q.areaId ? { kind: 'area', distance: null } : undefined;
  return { kind: 'text', distance: null };
}

const round = (x: number) => Math.round(x * 1000) / 1000;
