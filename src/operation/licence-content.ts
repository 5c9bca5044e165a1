import type { Selectable } from 'kysely';
import { registerLedgerContent, type LedgerContent } from '../platform/ledger/index.js';
import type { OperationLicenceTable } from './tables.js';
import { iso } from './versions.js';
import { listLicencePage } from './licence-store.js';

type LicenceRow = Selectable<OperationLicenceTable>;

/** A licence's registration as one version records it (its SHA-256 is the version's `snapshotHash`). */
export const licenceSnapshot = (l: LicenceRow): Record<string, unknown> => ({
  number: l.number, operator: l.operator_party_id, title: l.title, mode: l.mode, domain: l.domain, scope: l.scope, maxGrade: l.max_grade,
  maxGeneralLevel: l.max_general_level, scenarios: l.scenarios, validFrom: iso(l.valid_from), validUntil: iso(l.valid_until), quota: l.quota,
  feeCaps: l.fee_caps, maxPermittedIncomeFen: l.max_permitted_income_fen, distributionBasisPoints: l.distribution_basis_points,
  securityObligations: l.security_obligations, status: l.status, statusReason: l.status_reason, deletionAttestation: l.deletion_attestation,
});

/**
 * What a licence's version entries vouch for, in two parts so `ledger verify` can say which was rewritten: the
 * terms (scope, grade, scenarios, term, quota, fee caps…) and the state (status, version, who approved, when it
 * stopped). Every column changes only through a recorded version; `updated_at` is left out as bookkeeping.
 */
export const licenceContent = (l: LicenceRow): LedgerContent => {
  const { status, statusReason, deletionAttestation, ...terms } = licenceSnapshot(l);
  return {
    terms: { id: l.id, ...terms },
    state: {
      status, statusReason, deletionAttestation, version: l.version, appliedBy: l.applied_by, appliedAt: iso(l.applied_at),
      approvedBy: l.approved_by, approvedAt: iso(l.approved_at), suspendedAt: iso(l.suspended_at), terminatedAt: iso(l.terminated_at),
    },
  };
};

registerLedgerContent({
  prefix: 'operation_licence',
  noun: 'licence (授权协议)',
  // Stopping a licence's products and keys is recorded about it, but changes other tables.
  unchangedBy: ['operation.licence.products_suspended', 'operation.licence.products_withdrawn'],
  page: async (db, afterId, limit) => (await listLicencePage(db, afterId, limit)).map((l) => ({ id: l.id, label: l.number, content: licenceContent(l) })),
});
