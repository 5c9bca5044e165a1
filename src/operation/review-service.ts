import type { Selectable } from 'kysely';
import type { Db } from '../platform/db/database.js';
import type { Clock } from '../platform/clock/clock.js';
import type { Ledger } from '../platform/ledger/ledger.js';
import { actorRef, type Actor } from '../platform/auth/roles.js';
import { assertCan } from '../platform/auth/permissions.js';
import { Problem } from '../platform/errors/problem.js';
import type { PartyService } from './party-service.js';
import type { OrgEntry } from './org-names.js';
import type { OperationSandboxRunTable } from './tables.js';
import type { ReviewDecision, ReviewStatus, SandboxRunView } from './schemas.js';
import { iso, sha256 } from './versions.js';
import * as store from './delivery-store.js';
import * as registry from './registry-store.js';
import * as licences from './licence-store.js';

type RunRow = Selectable<OperationSandboxRunTable>;

/**
 * Output review (输出审核) of sandbox queries: a sandbox answer is exact, so it is held until a reviewer of the
 * implementing body approves it, or refuses it with a reason; the market user gets it only after approval, and
 * each release is ledgered with the hash of the result that left.
 */
export class ReviewService {
  constructor(
    private readonly db: Db,
    private readonly ledger: Ledger,
    private readonly clock: Clock,
    private readonly parties: PartyService,
  ) {}

  async list(actor: Actor, status?: ReviewStatus): Promise<SandboxRunView[]> {
    assertCan(actor, 'operation.review.read');
    const names = await this.parties.orgs.all();
    return Promise.all((await store.listSandboxRuns(this.db, status)).map((r) => this.view(r, names, true)));
  }

  /** The reviewer's decision: approve, or refuse with a reason; once. */
  async decide(actor: Actor, id: string, d: ReviewDecision): Promise<SandboxRunView> {
    assertCan(actor, 'operation.review.decide');
    await this.parties.assertImplementingBody(actor);
    const run = await store.findSandboxRun(this.db, id);
    if (!run) throw new Problem('OPERATION_RUN_NOT_FOUND');
    const reason = d.reason?.trim() || null;
    if (d.decision === 'refuse' && !reason) throw new Problem('OPERATION_REASON_REQUIRED', { errors: [{ field: 'reason', message: 'a refusal needs a reason / 拒绝须说明理由' }] });
    const status = d.decision === 'approve' ? 'approved' : 'refused';
    const decided = await this.db.transaction().execute(async (trx) => {
      const r = await store.decideSandboxRun(trx, id, status, actorRef(actor), this.clock(), reason);
      if (!r) throw new Problem('OPERATION_REVIEW_DECIDED', { extra: { status: run.status } });
      await this.ledger.append(`operation.sandbox.${status}`, actor, `operation_sandbox_run:${id}`, {
        product: run.product_id, resultHash: run.result_hash, reasonSha256: reason ? sha256(reason) : null,
      }, { trx });
      return r;
    });
    return this.view(decided, await this.parties.orgs.all(), true);
  }

  /** The market user's result: only once approved; every release ledgered. */
  async result(actor: Actor, id: string): Promise<SandboxRunView> {
    assertCan(actor, 'operation.sandbox.read');
    const run = await store.findSandboxRun(this.db, id);
    const user = run && (await this.parties.find(run.market_user_party_id));
    if (!run || !user || !actor.orgId || actor.orgId !== user.org_id) throw new Problem('OPERATION_RUN_NOT_FOUND');
    if (run.status === 'pending') throw new Problem('OPERATION_OUTPUT_UNDER_REVIEW', { detail: 'the result leaves after the implementing body\'s output review' });
    if (run.status === 'refused') throw new Problem('OPERATION_OUTPUT_REFUSED', { detail: run.reason ?? undefined, extra: { reason: run.reason } });
    await this.ledger.append('operation.sandbox.released', actor, `operation_sandbox_run:${id}`, { product: run.product_id, resultHash: run.result_hash });
    return this.view(run, await this.parties.orgs.all(), true);
  }

  private async view(r: RunRow, names: Map<string, OrgEntry>, withResult: boolean): Promise<SandboxRunView> {
    const product = await registry.findProduct(this.db, r.product_id);
    const licence = await licences.findLicence(this.db, r.licence_id);
    const user = await this.parties.require(r.market_user_party_id);
    return {
      id: r.id, productId: r.product_id, productNumber: product?.number ?? null, licenceNumber: licence?.number ?? '',
      marketUser: this.parties.ref(user, names), query: r.query, status: r.status, submittedAt: iso(r.submitted_at)!,
      reviewedAt: iso(r.reviewed_at), reviewedBy: r.reviewed_by, reason: r.reason, result: withResult ? r.result : null,
    };
  }
}
