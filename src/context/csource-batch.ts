import { isProblem } from '../platform/errors/problem.js';
import { ngsiErrorUri, ngsiProblem, problemDetails } from './ngsi-errors.js';
import { csourceProblem } from './csource-problems.js';
import { expandTerm } from './jsonld-context.js';
import { expandList, isUri } from './entity-model.js';
import { EntityBatchService, type BatchOptions, type BatchWrite } from './entity-batch-service.js';
import { SourceFailure } from './csource-forwarder.js';
import { attrNames, pick, without, type Federation, type WritePlan } from './csource-federation.js';
import type { Operation, StoredRegistration } from './csource-model.js';
import type { RequestScope } from './request-scope.js';
import type { BatchResult, EntityQueryParams, JsonObjectBody, NgsiProblemDetails } from './schemas.js';

/** The batch operations' names in registrations (§4.20) and their paths under /entityOperations. */
const OPS = { create: 'createBatch', upsert: 'upsertBatch', update: 'updateBatch', delete: 'deleteBatch', merge: 'mergeBatch' } as const satisfies Record<BatchWrite | 'delete' | 'merge', Operation>;
type BatchOp = keyof typeof OPS;

/** One entity of a batch: its place in the list, its id (when a URI), the body (a delete has none) and its plan. */
interface Item {
  index: number;
  id?: string;
  body?: JsonObjectBody;
  plan?: WritePlan;
}

/** What the sources said of each entity: taken by at least one, or the error of one that refused it. */
interface RemoteOutcome {
  ok: Set<string>;
  errors: Map<string, NgsiProblemDetails>;
}

const NOT_FOUND = ngsiErrorUri('ResourceNotFound');
const bodyOf = (item: unknown): JsonObjectBody | undefined => (item && typeof item === 'object' && !Array.isArray(item) ? (item as JsonObjectBody) : undefined);

/**
 * The batch operations and purge with context sources (ETSI GS CIM 009 §4.3.6.3, §5.6.7–5.6.10, §5.6.20–5.6.21):
 * each entity of a batch is planned as the single-entity write would be (Federation.planWrite: exclusive
 * attributes and redirected entities at the source only, inclusive ones at both, auxiliary never), the parts
 * for one source go to it as one batch, the rest is written here as one batch, and the reports are merged per
 * entity: an entity succeeds when it was written here, or when here did not hold it and a source took it.
 * A purge runs here and is forwarded, with its filter, to every source whose registration lists `purgeEntity`.
 */
export class FederatedBatchService extends EntityBatchService {
  private federation?: Federation;

  /** Set once at wiring (csources.ts). */
  federate(federation: Federation): void {
    this.federation = federation;
  }

  override async batchWrite(scope: RequestScope, op: BatchWrite, list: unknown[], options: BatchOptions): Promise<BatchResult> {
    if (!(await this.hasSources(scope))) return super.batchWrite(scope, op, list, options);
    const query = new URLSearchParams();
    const flags = [options.replace === false ? 'update' : '', options.noOverwrite ? 'noOverwrite' : ''].filter(Boolean);
    if (flags.length > 0) query.set('options', flags.join(','));
    return this.distribute(scope, op, list, query, (items) => super.batchWrite(scope, op, items.map((i) => i.body), {
      ...options, contexts: options.contexts && items.map((i) => options.contexts![i.index]),
    }));
  }

  override async batchMerge(scope: RequestScope, list: unknown[]): Promise<BatchResult> {
    if (!(await this.hasSources(scope))) return super.batchMerge(scope, list);
    return this.distribute(scope, 'merge', list, undefined, (items) => super.batchMerge(scope, items.map((i) => i.body)));
  }

  override async batchDelete(scope: RequestScope, list: unknown[]): Promise<BatchResult> {
    if (!(await this.hasSources(scope))) return super.batchDelete(scope, list);
    return this.distribute(scope, 'delete', list, undefined, (items) => super.batchDelete(scope, items.map((i) => i.id ?? list[i.index])));
  }

  /**
   * Purge (§5.6.21) here, then at each source registered for `purgeEntity` (not auxiliary ones) with the same
   * filter; what a source could not purge is added to the report, a source that failed is named in NGSILD-Warning.
   * Callers whose organisation rules narrow what they may read purge here only (a source would filter on the rest).
   */
  override async purge(scope: RequestScope, ids: (round: number) => Promise<string[]>, filter?: EntityQueryParams): Promise<BatchResult> {
    const result = await super.purge(scope, ids, filter);
    const fed = this.federation;
    if (!fed || !filter || !(await this.hasSources(scope))) return result;
    const types = filter.type?.split(/[,|]/).map((s) => s.trim()).filter(Boolean).map((t) => expandTerm(scope.ctx, t));
    const regs = (await fed.matching(scope, 'purgeEntity', { types, ids: filter.id?.split(',').map((s) => s.trim()), attrs: expandList(scope.ctx, filter.attrs) }))
      .filter((r) => r.registration.mode !== 'auxiliary');
    if (regs.length === 0 || !(await fed.mayQuerySources(scope, types))) return result;
    const query = new URLSearchParams();
    for (const k of ['type', 'id', 'idPattern', 'q', 'scopeQ'] as const) if (filter[k] !== undefined) query.set(k, String(filter[k]));
    await fed.gather(regs, async (reg) => {
      const a = await fed.forwarder.call(reg, 'DELETE', '/entities', { ctx: scope.ctx, query });
      if (a.status === 207) this.addReport(result, reg, a.body);
      else if (a.status !== 204 && a.status !== 404) throw new SourceFailure(reg.endpoint, `answered ${a.status}`);
      return [];
    });
    return result;
  }

  private async hasSources(scope: RequestScope): Promise<boolean> {
    return !!this.federation && (await this.federation.registry.any(scope.tenant));
  }

  /** Plans each entity, sends each source its part, writes the rest here, and merges the reports per entity. */
  private async distribute(scope: RequestScope, op: BatchOp, list: unknown[], query: URLSearchParams | undefined, local: (items: Item[]) => Promise<BatchResult>): Promise<BatchResult> {
    const fed = this.federation!;
    const result: BatchResult = { success: [], errors: [], created: [] };
    const items: Item[] = [];
    for (const [index, entry] of list.entries()) {
      const body = op === 'delete' ? undefined : bodyOf(entry);
      const raw = op === 'delete' ? entry : body?.id;
      const id = isUri(raw) ? raw : undefined;
      const item: Item = { index, id, body };
      try {
        if (id) item.plan = await fed.planWrite(scope, OPS[op], id, this.typesIn(scope, op, body), body ? attrNames(scope, body) : undefined);
      } catch (err) {
        if (!isProblem(err)) throw err;
        result.errors.push({ entityId: id!, error: problemDetails(err) });
        continue;
      }
      items.push(item);
    }
    const remote = await this.sendAll(scope, op, items, query);
    const here = items.filter((i) => !i.plan || (!i.plan.redirected && this.localNeeded(scope, op, i)));
    const localResult = here.length > 0 ? await local(here.map((i) => (i.plan && i.body ? { ...i, body: without(scope, i.body, i.plan.remoteOnly) } : i))) : { success: [], errors: [], created: [] };
    result.created.push(...localResult.created);
    const localErrors = new Map(localResult.errors.map((e) => [e.entityId, e.error]));
    const localOk = new Set(localResult.success);
    const ran = new Set(here.map((i) => i.index));
    const seen = new Set<string>();
    for (const item of items) {
      const id = item.id;
      if (!id) continue;
      if (seen.has(id)) continue;
      seen.add(id);
      const localError = localErrors.get(id);
      if (localOk.has(id) || (localError?.type === NOT_FOUND && remote.ok.has(id)) || (!ran.has(item.index) && remote.ok.has(id))) result.success.push(id);
      else if (localError) result.errors.push({ entityId: id, error: localError });
      else if (remote.errors.has(id)) result.errors.push({ entityId: id, error: remote.errors.get(id)! });
      else result.errors.push({ entityId: id, error: problemDetails(ngsiProblem('ResourceNotFound', `no context source holds entity ${id}`)) });
    }
    // Entities without a URI id: the local batch reported them.
    for (const e of localResult.errors) if (!items.some((i) => i.id === e.entityId)) result.errors.push(e);
    return result;
  }

  /** The types a create or upsert names (planned against them; other writes look the entity up). */
  private typesIn(scope: RequestScope, op: BatchOp, body: JsonObjectBody | undefined): string[] | undefined {
    if ((op !== 'create' && op !== 'upsert') || !body) return undefined;
    return (Array.isArray(body.type) ? body.type : [body.type]).filter((t): t is string => typeof t === 'string').map((t) => expandTerm(scope.ctx, t));
  }

  /** Whether anything of the entity is written here: always for creates, upserts and deletes, else when attributes remain. */
  private localNeeded(scope: RequestScope, op: BatchOp, item: Item): boolean {
    if (op === 'create' || op === 'upsert' || op === 'delete' || !item.body || !item.plan) return true;
    return attrNames(scope, without(scope, item.body, item.plan.remoteOnly)).length > 0;
  }

  /** One batch per source with its parts of the planned entities; the answers read per entity. */
  private async sendAll(scope: RequestScope, op: BatchOp, items: Item[], query: URLSearchParams | undefined): Promise<RemoteOutcome> {
    const fed = this.federation!;
    const outcome: RemoteOutcome = { ok: new Set(), errors: new Map() };
    const byReg = new Map<string, { reg: StoredRegistration; ids: string[]; parts: unknown[] }>();
    for (const item of items) {
      for (const { reg, attrs } of item.plan?.sends ?? []) {
        const batch = byReg.get(reg.id) ?? { reg, ids: [], parts: [] };
        byReg.set(reg.id, batch);
        batch.ids.push(item.id!);
        batch.parts.push(item.body ? (attrs ? pick(scope, item.body, attrs) : item.body) : item.id);
      }
    }
    await Promise.all([...byReg.values()].map(async ({ reg, ids, parts }) => {
      try {
        const a = await fed.forwarder.call(reg, 'POST', `/entityOperations/${op}`, { ctx: scope.ctx, body: parts, query });
        if (a.status === 404) return;
        if (a.status === 207) return this.readReport(outcome, ids, a.body);
        if (a.status >= 300) throw new SourceFailure(reg.endpoint, `answered ${a.status}`);
        for (const id of ids) outcome.ok.add(id);
      } catch (err) {
        fed.forwarder.warn(err);
        const failed = problemDetails(csourceProblem('CONTEXT_SOURCE_FAILED', (err instanceof Error ? err.message : String(err)).slice(0, 300)));
        for (const id of ids) if (!outcome.errors.has(id)) outcome.errors.set(id, failed);
      }
    }));
    return outcome;
  }

  /** A source's 207: its successes count, its errors are kept as it gave them (type, title, status, detail only). */
  private readReport(outcome: RemoteOutcome, ids: string[], body: unknown): void {
    const report = body as { success?: unknown; errors?: unknown } | undefined;
    for (const id of Array.isArray(report?.success) ? report.success : []) if (ids.includes(id as string)) outcome.ok.add(id as string);
    for (const e of Array.isArray(report?.errors) ? report.errors : []) {
      const entityId = (e as { entityId?: unknown })?.entityId;
      if (typeof entityId !== 'string' || !ids.includes(entityId)) continue;
      outcome.errors.set(entityId, sourceError((e as { error?: unknown }).error));
    }
  }

  /** A source's purge report: what it could not purge joins ours. */
  private addReport(result: BatchResult, reg: StoredRegistration, body: unknown): void {
    const outcome: RemoteOutcome = { ok: new Set(), errors: new Map() };
    const report = body as { success?: unknown; errors?: { entityId?: unknown }[] } | undefined;
    const ids = [...(Array.isArray(report?.success) ? report.success : []), ...(Array.isArray(report?.errors) ? report.errors.map((e) => e?.entityId) : [])]
      .filter((id): id is string => isUri(id));
    this.readReport(outcome, ids, body);
    result.success.push(...[...outcome.ok].filter((id) => !result.success.includes(id)));
    for (const [entityId, error] of outcome.errors) result.errors.push({ entityId, error: { ...error, detail: `${reg.endpoint}: ${error.detail ?? error.title}`.slice(0, 500) } });
  }
}

/** Only the members of a problem a report may carry, with their types checked (a source's text is never trusted as more). */
function sourceError(error: unknown): NgsiProblemDetails {
  const e = (error && typeof error === 'object' ? error : {}) as Record<string, unknown>;
  const type = typeof e.type === 'string' && e.type.startsWith('https://uri.etsi.org/ngsi-ld/errors/') ? e.type : ngsiErrorUri('InternalError');
  return {
    type,
    title: typeof e.title === 'string' ? e.title.slice(0, 200) : 'context source error',
    status: typeof e.status === 'number' ? e.status : 502,
    ...(typeof e.detail === 'string' ? { detail: e.detail.slice(0, 500) } : {}),
  };
}
