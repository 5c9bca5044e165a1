import { assertCan, can } from '../../platform/auth/permissions.js';
import { actorRef, type Actor } from '../../platform/auth/roles.js';
import type { Clock } from '../../platform/clock/clock.js';
import type { Db } from '../../platform/db/database.js';
import { Problem } from '../../platform/errors/problem.js';
import type { Ledger } from '../../platform/ledger/ledger.js';
import type { LlmGateway } from '../../platform/llm/index.js';
import type { Logger } from 'pino';
import type { GovernanceConfig } from './config.js';
import * as store from './governance-store.js';
import { inspect, ruleJudgement } from './inspection-rules.js';
import { modelJudgement } from './inspection-model.js';
import { monthRange } from './months.js';
import { inspectionChecks, type InspectInput, type InspectionResult, type NotableCase, type RunInput, type RunView, type UnitScores } from './schemas.js';

/** Unit names for the scores (the organisations the actor may list). */
export type UnitNames = (actor: Actor) => Promise<Map<string, string>>;

/**
 * 智能质检 (docs/hotline-governance.md): a reply checked on the form before it goes out, and every reply of a month
 * checked in a background run whose progress is stored; scores per reply and per unit. A model, when on and
 * `inspection.useModel`, splits the appeal and judges stance and politeness; the rules do everything else, and
 * everything when there is no model.
 */
export class InspectionService {
  constructor(
    private readonly deps: { db: Db; clock: Clock; ledger: Ledger; llm: LlmGateway; timeZone: string; log: Logger; unitNames: UnitNames },
    private readonly config: GovernanceConfig['inspection'],
  ) {}

  /** Inspects one reply (the reply form's warnings). */
  async check(actor: Actor, input: InspectInput): Promise<InspectionResult> {
    assertCan(actor, 'hotline.inspection.check');
    return this.inspectOne(actor, input.appeal, input.reply);
  }

  /** Starts a bulk inspection of the month's replies; the run goes on in the background (`run` reads its progress). */
  async startRun(actor: Actor, input: RunInput): Promise<RunView> {
    assertCan(actor, 'hotline.inspection.run');
    const { db, clock, ledger } = this.deps;
    const { from, to } = monthRange(input.month, this.deps.timeZone);
    const total = await store.countRepliesToInspect(db, from, to);
    if (total > this.config.maxRunReplies) {
      throw new Problem('HOTLINE_INSPECTION_RUN_TOO_LARGE', { detail: `${total} replies > inspection.maxRunReplies ${this.config.maxRunReplies}`, errors: [{ field: 'month', message: '本月答复过多 / too many replies' }] });
    }
    const run = await db.transaction().execute(async (trx) => {
      const row = await store.insertRun(trx, { month: input.month, total, started_by: actorRef(actor), started_at: clock() });
      await ledger.append('hotline.inspection.run', actor, `inspection-run:${row.id}`, { month: input.month, total }, { trx });
      return row;
    });
    // The request answers at once (202); the run's failures are stored on it, never thrown here.
    setImmediate(() => void this.process(actor, run.id, from, to));
    return view(run);
  }

  async run(actor: Actor, id: string): Promise<RunView> {
    assertCan(actor, 'hotline.inspection.run');
    const row = await store.findRun(this.deps.db, id);
    if (!row) throw new Problem('HOTLINE_INSPECTION_RUN_NOT_FOUND', { detail: `inspection run ${id}` });
    return view(row);
  }

  /** Scores per unit for a month, and its lowest-scored replies; a handler sees its own unit only. */
  async unitScores(actor: Actor, month: string, notable: number): Promise<UnitScores> {
    assertCan(actor, 'hotline.inspection.read');
    let scope: string | null = null;
    if (!can(actor, 'hotline.inspection.read.all')) {
      if (!actor.orgId) throw new Problem('FORBIDDEN', { detail: 'a handling unit sees its own scores; this account belongs to no unit / 账号未归属承办单位' });
      scope = actor.orgId;
    }
    const { db } = this.deps;
    const { from, to } = monthRange(month, this.deps.timeZone);
    const [rows, lowest, names] = await Promise.all([
      store.findUnitScores(db, from, to, scope),
      store.findLowestResults(db, from, to, scope, notable),
      this.deps.unitNames(actor),
    ]);
    const nameOf = (id: string | null) => (id ? names.get(id) : undefined) ?? '未派单 / no unit';
    const units = rows.map((r) => ({
      unitId: r.unit_id, name: nameOf(r.unit_id), replies: Number(r.replies), score: round(Number(r.score)), failed: Number(r.failed),
      checks: Object.fromEntries(inspectionChecks.map((c) => [c, round(Number(r[c]))])) as UnitScores['units'][number]['checks'],
    })).sort((a, b) => b.score - a.score || b.replies - a.replies);
    const replies = units.reduce((s, u) => s + u.replies, 0);
    return {
      month, scopeUnitId: scope, units,
      total: { replies, score: replies ? round(units.reduce((s, u) => s + u.score * u.replies, 0) / replies) : null, failed: units.reduce((s, u) => s + u.failed, 0) },
      lowest: lowest.map((r): NotableCase => ({ ticketId: r.ticket_id, number: r.number, unitName: nameOf(r.unit_id), score: r.score, findings: r.findings })),
    };
  }

  private async inspectOne(actor: Actor, appeal: string, reply: string): Promise<InspectionResult> {
    const rules = ruleJudgement(appeal, reply, this.config);
    if (!this.config.useModel) return inspect(appeal, reply, rules, this.config, 'offline');
    const r = await this.deps.llm.withFallback((llm) => modelJudgement(llm, actor, appeal, reply), () => rules);
    return { ...inspect(appeal, reply, r.value, this.config, r.method), ...(r.llmError ? { llmError: r.llmError } : {}) };
  }

  /** The run's batches: inspect, store, report progress; a failure ends the run as `failed` with its reason. */
  private async process(actor: Actor, runId: string, from: Date, to: Date): Promise<void> {
    const { db, clock, log } = this.deps;
    let after: string | null = null;
    let done = 0;
    try {
      for (;;) {
        const batch = await store.findRepliesToInspect(db, from, to, after, this.config.batchSize);
        if (batch.length === 0) break;
        const results = [];
        for (const t of batch) {
          const r = await this.inspectOne(actor, t.content, t.reply_text!);
          results.push({
            ticket_id: t.id, run_id: runId, unit_id: t.unit_id, answered_at: t.answered_at!, score: r.score, passed: r.passed,
            checks: JSON.stringify(r.checks), findings: JSON.stringify(r.findings), method: r.method, inspected_at: clock(),
          });
        }
        await store.upsertResults(db, results);
        done += batch.length;
        after = batch[batch.length - 1].id;
        await store.updateRun(db, runId, { done });
      }
      await store.updateRun(db, runId, { status: 'done', finished_at: clock() });
    } catch (err) {
      log.warn({ err, runId }, 'inspection run failed');
      await store.updateRun(db, runId, { status: 'failed', finished_at: clock(), error: (err as Error).message.slice(0, 500) })
        .catch((e: unknown) => log.warn({ err: e }, 'recording the inspection run’s failure failed'));
    }
  }
}

const view = (r: { id: string; month: string; status: string; total: number; done: number; started_at: Date; finished_at: Date | null; error: string | null }): RunView => ({
  id: r.id, month: r.month, status: r.status as RunView['status'], total: r.total, done: r.done,
  startedAt: new Date(r.started_at).toISOString(), finishedAt: r.finished_at ? new Date(r.finished_at).toISOString() : null, error: r.error,
});
const round = (x: number) => Math.round(x * 100) / 100;
