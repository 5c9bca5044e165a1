import type { Selectable } from 'kysely';
import { registerLedgerContent, type LedgerContent } from '../platform/ledger/index.js';
import type { ShareGrantTable } from './tables.js';
import { listGrantContentRows } from './sharing-store.js';

/** A timestamp column as ISO 8601 UTC (PostgreSQL and PGlite give Date or string). */
export const iso = (d: Date | string | null): string | null => (d === null ? null : new Date(d).toISOString());

/**
 * What a grant's ledger entries vouch for, in two parts so `ledger verify` can say which was rewritten: the terms
 * (`grant`: who reads which fields of which dataset, masked how, for how long and how much) and the revocation.
 * A grant row changes only when it is made and when it is revoked, so every column is covered.
 */
export const grantContent = (g: Selectable<ShareGrantTable>): LedgerContent => ({
  grant: {
    id: g.id, request: g.request_id, dataset: g.dataset_id, consumerOrg: g.consumer_org_id, fields: g.fields, masks: g.masks,
    rowFilters: g.row_filters, aggregateOnly: g.aggregate_only, k: g.k, purpose: g.purpose, legalBasis: g.legal_basis,
    maxRowsPerDay: g.max_rows_per_day, maxCallsPerMinute: g.max_calls_per_minute, grantedBy: g.granted_by,
    grantedAt: iso(g.granted_at), expiresAt: iso(g.expires_at), epsilon: g.epsilon, sumBounds: g.sum_bounds,
  },
  revocation: { at: iso(g.revoked_at), by: g.revoked_by, reason: g.revoke_reason },
});

registerLedgerContent({
  prefix: 'share_grant',
  noun: 'share grant (共享授权) on dataset',
  // Reads through the grant are recorded about it but change nothing in its row.
  unchangedBy: ['share.gateway.rows', 'share.gateway.lookup', 'share.gateway.aggregate'],
  page: async (db, afterId, limit) =>
    (await listGrantContentRows(db, afterId, limit)).map(({ identifier, ...g }) => ({ id: g.id, label: identifier, content: grantContent(g) })),
});
