import { assertCan, can } from '../../platform/auth/permissions.js';
import { actorRef, type Actor } from '../../platform/auth/roles.js';
import type { Clock } from '../../platform/clock/clock.js';
import type { Db } from '../../platform/db/database.js';
import { invalidField, Problem } from '../../platform/errors/problem.js';
import type { Ledger } from '../../platform/ledger/ledger.js';
import type { GovernanceConfig } from './config.js';
import * as store from './governance-store.js';
import { matterNames } from './matter-names.js';
import type { UnitNames } from './inspection-service.js';
import { monthOf, monthRange, monthsBetween } from './months.js';
import type { ProposalList, TaskUpdate, TaskView, TopicInput, TopicProposal, TopicView } from './schemas.js';

type TopicRow = NonNullable<Awaited<ReturnType<typeof store.findTopic>>>;
type TaskRow = NonNullable<Awaited<ReturnType<typeof store.findTask>>>;

/**
 * 每月一题 (docs/hotline-governance.md): the problems that recur month after month (a category in a district with
 * at least `minPerMonth` tickets in `minMonths` of the last `lookbackMonths` months) proposed as a month's topic;
 * topics with governance tasks assigned to units, their progress, and the matter's complaints per month before
 * and after the topic (the effect).
 */
export class TopicService {
  constructor(
    private readonly deps: { db: Db; clock: Clock; ledger: Ledger; timeZone: string; unitNames: UnitNames },
    private readonly config: GovernanceConfig['topics'],
  ) {}

  /** The recurring problems of the months before `month`, most persistent first. */
  async proposals(actor: Actor, month: string): Promise<ProposalList> {
    assertCan(actor, 'hotline.governance.read');
    const { db, timeZone } = this.deps;
    const c = this.config;
    const { from, to } = monthRange(month, timeZone, -c.lookbackMonths, c.lookbackMonths);
    const months = monthsBetween(from, to, timeZone);
    const counts = await store.countByMatterAndMonth(db, from, to, timeZone);
    const matters = new Map<string, { categoryId: string; districtId: string | null; byMonth: Map<string, number> }>();
    for (const r of counts) {
      const key = `${r.category_id}|${r.district_id}`;
      const m = matters.get(key) ?? { categoryId: r.category_id!, districtId: r.district_id, byMonth: new Map() };
      m.byMonth.set(r.month, Number(r.n));
      matters.set(key, m);
    }
    const ranked = [...matters.values()]
      .map((m) => ({ ...m, total: [...m.byMonth.values()].reduce((s, n) => s + n, 0), months: [...m.byMonth.values()].filter((n) => n >= c.minPerMonth).length }))
      .filter((m) => m.months >= c.minMonths)
      .sort((a, b) => b.months - a.months || b.total - a.total)
      .slice(0, c.proposals);
    const names = await matterNames(this.deps.db, ranked.map((m) => m.categoryId), ranked.map((m) => m.districtId));
    return {
      month,
      proposals: ranked.map((m): TopicProposal => {
        const category = names.category(m.categoryId);
        const district = names.district(m.districtId);
        return {
          categoryId: m.categoryId, category, districtId: m.districtId, district, total: m.total, months: m.months,
          series: months.map((mm) => ({ month: mm, count: m.byMonth.get(mm) ?? 0 })),
          title: `${district}${category.split(' / ').at(-1)}问题专项治理`,
        };
      }),
    };
  }

  /** Sets a topic with its tasks (one ledger entry). */
  async create(actor: Actor, input: TopicInput): Promise<TopicView> {
    assertCan(actor, 'hotline.governance.manage');
    const { db, clock, ledger } = this.deps;
    const names = await matterNames(this.deps.db, [input.categoryId], [input.districtId ?? null]);
    if (!names.hasCategory(input.categoryId)) throw invalidField('categoryId', '类别不存在 / no such category');
    if (input.districtId && !names.hasDistrict(input.districtId)) throw invalidField('districtId', '区域不存在 / no such district');
    const units = await this.deps.unitNames(actor);
    input.tasks.forEach((t, i) => {
      if (!units.has(t.unitId)) throw invalidField(`tasks/${i}/unitId`, '承办单位不存在 / no such unit');
    });
    const now = clock();
    const id = await db.transaction().execute(async (trx) => {
      const topic = await store.insertTopic(trx, {
        month: input.month, title: input.title, category_id: input.categoryId, district_id: input.districtId ?? null,
        description: input.description ?? null, created_by: actorRef(actor), created_at: now,
      });
      await store.insertTasks(trx, input.tasks.map((t) => ({ topic_id: topic.id, unit_id: t.unitId, action: t.action, due_at: t.dueAt, progress: 0, note: null, updated_at: now })));
      await ledger.append('hotline.governance.topic', actor, `governance-topic:${topic.id}`, { month: input.month, tasks: input.tasks.length }, { trx });
      return topic.id;
    });
    return (await this.views(actor, [(await store.findTopic(db, id))!]))[0];
  }

  /** A month's topics (all when no month) with tasks, progress and effect. */
  async list(actor: Actor, month?: string): Promise<TopicView[]> {
    assertCan(actor, 'hotline.governance.read');
    return this.views(actor, await store.findTopics(this.deps.db, month ?? null));
  }

  /** A task's progress; a handler updates its own unit's tasks only. */
  async updateTask(actor: Actor, id: string, update: TaskUpdate): Promise<TaskView> {
    assertCan(actor, 'hotline.governance.task.update');
    const { db, clock, ledger } = this.deps;
    const task = await store.findTask(db, id);
    if (!task) throw new Problem('HOTLINE_GOVERNANCE_TASK_NOT_FOUND', { detail: `governance task ${id}` });
    if (!can(actor, 'hotline.governance.manage') && task.unit_id !== actor.orgId) {
      throw new Problem('FORBIDDEN', { detail: 'a unit updates its own tasks only / 只能更新本单位的治理任务' });
    }
    const row = await db.transaction().execute(async (trx) => {
      const r = await store.updateTask(trx, id, { progress: update.progress, note: update.note ?? null, updated_at: clock() });
      await ledger.append('hotline.governance.task', actor, `governance-task:${id}`, { progress: update.progress }, { trx });
      return r;
    });
    return this.taskView(row, await this.deps.unitNames(actor));
  }

  private async views(actor: Actor, topics: TopicRow[]): Promise<TopicView[]> {
    const { db, timeZone } = this.deps;
    const [tasks, units, names] = await Promise.all([
      store.findTasksOf(db, topics.map((t) => t.id)),
      this.deps.unitNames(actor),
      matterNames(this.deps.db, topics.map((t) => t.category_id), topics.map((t) => t.district_id)),
    ]);
    const now = this.deps.clock();
    return Promise.all(topics.map(async (t): Promise<TopicView> => {
      const own = tasks.filter((k) => k.topic_id === t.id).map((k) => this.taskView(k, units));
      const before = monthRange(t.month, timeZone, -this.config.effectMonths, this.config.effectMonths);
      const afterFrom = monthRange(t.month, timeZone).from;
      const afterTo = new Date(Math.min(now.getTime(), monthRange(t.month, timeZone, 0, this.config.effectMonths).to.getTime()));
      const counts = new Map((await store.countMatterByMonth(db, { categoryId: t.category_id, districtId: t.district_id }, before.from, afterTo, timeZone)).map((r) => [r.month, Number(r.n)]));
      const series = (from: Date, to: Date) => (from < to ? monthsBetween(from, to, timeZone) : []).map((m) => ({ month: m, count: counts.get(m) ?? 0 }));
      const b = series(before.from, before.to);
      // the month under way counts as far as it has gone: its mean is per elapsed month, so the partial month is left out
      const a = series(afterFrom, afterTo).filter((x) => x.month !== monthOf(now, timeZone) || afterTo.getTime() >= monthRange(x.month, timeZone).to.getTime());
      return {
        id: t.id, month: t.month, title: t.title, categoryId: t.category_id, category: names.category(t.category_id),
        districtId: t.district_id, district: names.district(t.district_id), description: t.description,
        createdAt: new Date(t.created_at).toISOString(),
        progress: own.length ? Math.round(own.reduce((s, k) => s + k.progress, 0) / own.length) : 0,
        tasks: own,
        effect: { before: b, after: a, beforeMean: mean(b), afterMean: mean(a) },
      };
    }));
  }

  private taskView(k: TaskRow, units: Map<string, string>): TaskView {
    const now = this.deps.clock().getTime();
    return {
      id: k.id, unitId: k.unit_id, unitName: units.get(k.unit_id) ?? k.unit_id, action: k.action,
      dueAt: new Date(k.due_at).toISOString(), progress: k.progress, note: k.note,
      overdue: k.progress < 100 && new Date(k.due_at).getTime() < now, updatedAt: new Date(k.updated_at).toISOString(),
    };
  }
}


const mean = (xs: { count: number }[]) => (xs.length ? Math.round((xs.reduce((s, x) => s + x.count, 0) / xs.length) * 10) / 10 : null);
