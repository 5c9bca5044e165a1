import type { Db } from '../platform/db/database.js';
import type { Clock } from '../platform/clock/clock.js';
import type { Ledger } from '../platform/ledger/ledger.js';
import type { Actor } from '../platform/auth/roles.js';
import { assertCan } from '../platform/auth/permissions.js';
import { Problem } from '../platform/errors/problem.js';
import type { OrgDirectory } from './org-directory.js';
import { subjectTag, type CatalogSecrets } from './secrets.js';
import { isCitizenId } from './row-validation.js';
import type { DataUsage } from './schemas.js';
import * as store from './usage-store.js';

/**
 * "Who used my data" (like Estonia's Data Tracker): a citizen linked to their ID number sees every gateway call
 * that returned a row carrying it — which unit, when, for what purpose, and the ledger entry that proves it.
 */
export class UsageService {
  constructor(
    private readonly db: Db,
    private readonly ledger: Ledger,
    private readonly clock: Clock,
    private readonly orgs: OrgDirectory,
    private readonly secrets: CatalogSecrets,
  ) {}

  /**
   * Links a user to an ID number (the data bureau, after verifying it; the demo seeds one). Only the keyed hash
   * is stored, never the number.
   */
  async linkCitizen(actor: Actor, userId: string, idNumber: string): Promise<void> {
    assertCan(actor, 'catalog.identity.link');
    if (!isCitizenId(idNumber.trim().toUpperCase())) {
      throw new Problem('VALIDATION_FAILED', { errors: [{ field: 'idNumber', message: 'not a valid ID number / 身份证号码无效' }] });
    }
    const subjectKey = await this.secrets.subjectKey(idNumber);
    await this.db.transaction().execute(async (trx) => {
      await store.upsertCitizenLink(trx, userId, subjectKey, this.clock());
      await this.ledger.append('catalog.citizen.linked', actor, `user:${userId}`, {}, { trx });
    });
  }

  async myDataUsage(actor: Actor, limit = 200): Promise<DataUsage> {
    assertCan(actor, 'share.usage.self');
    if (actor.kind !== 'user' || !actor.id) throw new Problem('UNAUTHENTICATED');
    const link = await store.findCitizenLink(this.db, actor.id);
    if (!link) return { linked: false, accesses: [] };
    const names = await this.orgs.names();
    const rows = await store.listAccessForSubject(this.db, subjectTag(link.subject_key), limit);
    return {
      linked: true,
      accesses: rows.map((r) => ({
        id: Number(r.id), unitId: r.consumer_org_id, unit: names.get(r.consumer_org_id) ?? null, purpose: r.purpose,
        kind: r.kind, dataset: r.dataset_title, datasetOwner: names.get(r.owner_org_id) ?? null,
        accessedAt: new Date(r.accessed_at).toISOString(), ledgerIndex: r.ledger_index === null ? null : Number(r.ledger_index),
      })),
    };
  }
}
