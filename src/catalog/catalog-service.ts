import { createHash } from 'node:crypto';
import type { Db } from '../platform/db/database.js';
import type { Clock } from '../platform/clock/clock.js';
import type { Ledger } from '../platform/ledger/ledger.js';
import { canonicalJson } from '../platform/ledger/entry-body.js';
import { actorRef, type Actor } from '../platform/auth/roles.js';
import { assertCan, can } from '../platform/auth/permissions.js';
import { Problem } from '../platform/errors/problem.js';
import type { FieldError } from '../platform/errors/problem.js';
import type { CatalogConfig } from './config.js';
import { datasetGrade } from './grading.js';
import type { OrgDirectory } from './org-directory.js';
import type { CatalogSecrets } from './secrets.js';
import { dcatCatalog, type DcatDatasetInput } from './dcat.js';
import type { CatalogDatasetTable, CatalogFieldTable } from './tables.js';
import {
  grades, openAttributes, shareAttributes,
  type DatasetInput, type DatasetPatch, type DatasetSearchQuery, type DatasetSearchResult, type DatasetVersionView,
  type DatasetView, type DcatDocument, type DcatMetadata, type FieldInput, type FieldView, type PublicDatasetQuery,
  type PublicSearchResult, type ShareAttribute, type Vocabulary,
} from './schemas.js';
import * as store from './catalog-store.js';
import type { Selectable } from 'kysely';

export type DatasetRow = Selectable<CatalogDatasetTable>;
export type FieldRow = Selectable<CatalogFieldTable>;

const FIELD_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;

export const fieldView = (f: FieldRow): FieldView => ({
  name: f.name, title: f.title, type: f.type, required: f.required, category: f.category, grade: f.grade,
  generalLevel: f.general_level, personal: f.personal, sensitive: f.sensitive, subjectId: f.subject_id,
  defaultMask: f.default_mask,
});

const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

/**
 * The catalogue (目录): datasets with DCAT-AP metadata and the government catalogue's fields, their field schema
 * with classification and grading, search with facets, versions, and the public DCAT-AP export.
 */
export class CatalogService {
  constructor(
    private readonly db: Db,
    private readonly ledger: Ledger,
    private readonly config: CatalogConfig,
    private readonly clock: Clock,
    private readonly orgs: OrgDirectory,
    readonly secrets: CatalogSecrets,
    /** Where searches read (a replica may lag a moment); everything else uses the primary `db`. */
    private readonly reader: Db = db,
  ) {}

  /** Whether the actor may change this dataset: the data bureau any, a department's data owner its own. */
  canManage(actor: Actor, ownerOrgId: string): boolean {
    if (!can(actor, 'catalog.manage')) return false;
    if (actor.roles.includes('admin') || actor.roles.includes('data_admin')) return true;
    return !!actor.orgId && actor.orgId === ownerOrgId;
  }

  assertManage(actor: Actor, ownerOrgId: string): void {
    assertCan(actor, 'catalog.manage');
    if (!this.canManage(actor, ownerOrgId)) {
      throw new Problem('CATALOG_NOT_OWNER', { detail: 'only the owning organisation or the data bureau may change this dataset' });
    }
  }

  /** The dataset or a 404. */
  async requireDataset(ref: string): Promise<DatasetRow> {
    const dataset = await store.findDataset(this.db, ref);
    if (!dataset) throw new Problem('CATALOG_DATASET_NOT_FOUND', { detail: `no dataset "${ref}"` });
    return dataset;
  }

  fields(datasetId: string): Promise<FieldRow[]> {
    return store.listFields(this.db, datasetId);
  }

  /** The classification tree and grading vocabulary in force. */
  vocabulary(actor: Actor): Vocabulary {
    assertCan(actor, 'catalog.read');
    return {
      categories: this.config.categories.map((c) => ({ code: c.code, name: c.name, nameEn: c.nameEn ?? null, parent: c.parent ?? null })),
      grades: [...grades],
      generalLevels: this.config.generalLevels,
      shareAttributes: [...shareAttributes],
      openAttributes: [...openAttributes],
    };
  }

  /** Checks a field schema against the configured tree and levels; errors name `<input>/<i>/<property>`. */
  private checkFields(fields: FieldInput[], pointer: string): void {
    const errors: FieldError[] = [];
    const codes = new Set(this.config.categories.map((c) => c.code));
    const seen = new Set<string>();
    fields.forEach((f, i) => {
      const at = `${pointer}/${i}`;
      if (!FIELD_NAME.test(f.name)) errors.push({ field: `${at}/name`, message: 'letters, digits and _ only, not starting with a digit' });
      if (seen.has(f.name)) errors.push({ field: `${at}/name`, message: 'duplicate field name' });
      seen.add(f.name);
      if (!codes.has(f.category)) errors.push({ field: `${at}/category`, message: 'not a category of the configured tree' });
      if (f.grade === 'general') {
        if (f.generalLevel != null && !this.config.generalLevels.includes(f.generalLevel)) {
          errors.push({ field: `${at}/generalLevel`, message: `one of ${this.config.generalLevels.join(', ')}` });
        }
      } else if (f.generalLevel != null) {
        errors.push({ field: `${at}/generalLevel`, message: 'sub-levels apply to general data only' });
      }
      if (f.sensitive && f.personal === false) errors.push({ field: `${at}/personal`, message: 'sensitive personal information is personal information' });
      if (f.subjectId && f.type !== 'cn_id') errors.push({ field: `${at}/subjectId`, message: 'the subject field must have type cn_id' });
    });
    if (fields.filter((f) => f.subjectId).length > 1) errors.push({ field: pointer, message: 'at most one subject ID field' });
    if (errors.length > 0) throw new Problem('VALIDATION_FAILED', { errors });
  }

  private checkShare(shareAttr: ShareAttribute, shareBasis: string | null | undefined): void {
    if (shareAttr === 'not_shared' && !shareBasis?.trim()) {
      throw new Problem('CATALOG_SHARE_BASIS_REQUIRED', {
        errors: [{ field: 'shareBasis', message: 'a dataset not shared needs its legal basis / 不予共享须注明依据' }],
      });
    }
  }

  private fieldRows(datasetId: string, fields: FieldInput[]) {
    return fields.map((f, i) => ({
      dataset_id: datasetId,
      name: f.name,
      title: f.title,
      position: i,
      type: f.type,
      required: f.required ?? false,
      category: f.category,
      grade: f.grade,
      general_level: f.grade === 'general' ? (f.generalLevel ?? this.config.generalLevels[0]!) : null,
      personal: (f.personal ?? false) || (f.sensitive ?? false),
      sensitive: f.sensitive ?? false,
      subject_id: f.subjectId ?? false,
      default_mask: JSON.stringify(f.defaultMask ?? { fn: 'none' }),
    }));
  }

  private grading(fields: ReturnType<CatalogService['fieldRows']>) {
    return datasetGrade(fields.map((f) => ({ grade: f.grade, generalLevel: f.general_level })), this.config.generalLevels);
  }

  /** Records the version snapshot and its ledger entry in the caller's transaction. */
  private async recordVersion(trx: Db, actor: Actor, dataset: DatasetRow, change: string, gradeChanged: boolean): Promise<void> {
    const fields = await store.listFields(trx, dataset.id);
    const snapshot = this.snapshot(dataset, fields);
    const snapshotHash = sha256(canonicalJson(snapshot));
    await store.insertVersion(trx, {
      dataset_id: dataset.id, version: dataset.version, change, snapshot: JSON.stringify(snapshot),
      snapshot_hash: snapshotHash, changed_by: actorRef(actor), changed_at: this.clock(),
    });
    await this.ledger.append(`catalog.dataset.${change}`, actor, `dataset:${dataset.id}`, {
      version: dataset.version, grade: dataset.grade, generalLevel: dataset.general_level, gradeChanged,
      shareAttr: dataset.share_attr, snapshotHash, fieldCount: fields.length,
    }, { trx });
  }

  private snapshot(d: DatasetRow, fields: FieldRow[]): Record<string, unknown> {
    return {
      identifier: d.identifier, ownerOrgId: d.owner_org_id, title: d.title, description: d.description,
      keywords: d.keywords, themes: d.themes, metadata: d.metadata, shareAttr: d.share_attr, shareBasis: d.share_basis,
      shareConditions: d.share_conditions, openAttr: d.open_attr, updateCycle: d.update_cycle, sourceSystem: d.source_system,
      grade: d.grade, generalLevel: d.general_level, version: d.version,
      fields: fields.map((f) => ({ ...fieldView(f) })),
    };
  }

  private metadataOf(input: DcatMetadata): DcatMetadata {
    const m: DcatMetadata = {};
    if (input.contact) m.contact = input.contact;
    if (input.licence) m.licence = input.licence;
    if (input.temporal) m.temporal = input.temporal;
    if (input.spatial) m.spatial = input.spatial;
    if (input.landingPage) m.landingPage = input.landingPage;
    if (input.language) m.language = input.language;
    m.distributions = input.distributions ?? [];
    return m;
  }

  /** Registers a dataset with its field schema; version 1, ledgered. */
  async createDataset(actor: Actor, input: DatasetInput): Promise<DatasetView> {
    assertCan(actor, 'catalog.manage');
    const ownerOrgId = input.ownerOrgId ?? actor.orgId;
    if (!ownerOrgId) throw new Problem('VALIDATION_FAILED', { errors: [{ field: 'ownerOrgId', message: 'required for a user without an organisation' }] });
    this.assertManage(actor, ownerOrgId);
    if (!(await this.orgs.exists(ownerOrgId))) throw new Problem('AUTH_ORG_NOT_FOUND', { errors: [{ field: 'ownerOrgId', message: 'no such organisation' }] });
    this.checkShare(input.shareAttr, input.shareBasis);
    this.checkFields(input.fields, 'fields');
    if (await store.identifierTaken(this.db, input.identifier)) {
      throw new Problem('CATALOG_IDENTIFIER_TAKEN', { errors: [{ field: 'identifier', message: 'already used by another dataset' }] });
    }
    const now = this.clock();
    const id = await this.db.transaction().execute(async (trx) => {
      const provisional = this.fieldRows('00000000-0000-0000-0000-000000000000', input.fields);
      const { grade, generalLevel } = this.grading(provisional);
      const dataset = await store.insertDataset(trx, {
        identifier: input.identifier, owner_org_id: ownerOrgId, title: input.title, description: input.description,
        keywords: input.keywords ?? [], themes: input.themes ?? [], metadata: JSON.stringify(this.metadataOf(input)),
        share_attr: input.shareAttr, share_basis: input.shareBasis ?? null, share_conditions: input.shareConditions ?? null,
        open_attr: input.openAttr, update_cycle: input.updateCycle, source_system: input.sourceSystem ?? null,
        grade, general_level: generalLevel, version: 1, created_at: now, updated_at: now,
      });
      await store.replaceFields(trx, dataset.id, this.fieldRows(dataset.id, input.fields));
      await this.recordVersion(trx, actor, dataset, 'created', true);
      return dataset.id;
    });
    return this.view(actor, id);
  }

  /** Changes metadata and/or the field schema (replaced whole when given); a new version, ledgered. */
  async updateDataset(actor: Actor, ref: string, patch: DatasetPatch): Promise<DatasetView> {
    assertCan(actor, 'catalog.manage');
    const current = await this.requireDataset(ref);
    this.assertManage(actor, current.owner_org_id);
    const shareAttr = patch.shareAttr ?? current.share_attr;
    const shareBasis = patch.shareBasis !== undefined ? patch.shareBasis : current.share_basis;
    this.checkShare(shareAttr, shareBasis);
    if (patch.fields) this.checkFields(patch.fields, 'fields');
    await this.db.transaction().execute(async (trx) => {
      const locked = await store.lockDataset(trx, current.id);
      const metadata = { ...locked.metadata, ...this.metadataOf({ ...locked.metadata, ...patch }) };
      let grading = { grade: locked.grade, generalLevel: locked.general_level };
      if (patch.fields) {
        const rows = this.fieldRows(locked.id, patch.fields);
        await store.replaceFields(trx, locked.id, rows);
        grading = this.grading(rows);
      }
      const updated = await store.updateDataset(trx, locked.id, {
        title: patch.title ?? locked.title,
        description: patch.description ?? locked.description,
        keywords: patch.keywords ?? locked.keywords,
        themes: patch.themes ?? locked.themes,
        metadata: JSON.stringify(metadata),
        share_attr: shareAttr,
        share_basis: shareBasis ?? null,
        share_conditions: patch.shareConditions !== undefined ? patch.shareConditions : locked.share_conditions,
        open_attr: patch.openAttr ?? locked.open_attr,
        update_cycle: patch.updateCycle ?? locked.update_cycle,
        source_system: patch.sourceSystem !== undefined ? patch.sourceSystem : locked.source_system,
        grade: grading.grade,
        general_level: grading.generalLevel,
        version: locked.version + 1,
        updated_at: this.clock(),
      });
      const gradeChanged = grading.grade !== locked.grade || grading.generalLevel !== locked.general_level;
      await this.recordVersion(trx, actor, updated, patch.fields ? 'regraded' : 'updated', gradeChanged);
    });
    return this.view(actor, current.id);
  }

  async getDataset(actor: Actor, ref: string): Promise<DatasetView> {
    assertCan(actor, 'catalog.read');
    const dataset = await this.requireDataset(ref);
    return this.view(actor, dataset.id);
  }

  private async view(actor: Actor, id: string, names?: Map<string, string>): Promise<DatasetView> {
    const dataset = await this.requireDataset(id);
    const fields = await store.listFields(this.db, id);
    return this.toView(dataset, fields, names ?? (await this.orgs.names()));
  }

  private toView(d: DatasetRow, fields: FieldRow[], names: Map<string, string>): DatasetView {
    const m = d.metadata ?? {};
    return {
      id: d.id, identifier: d.identifier, ownerOrgId: d.owner_org_id, ownerName: names.get(d.owner_org_id) ?? null,
      title: d.title, description: d.description, keywords: d.keywords, themes: d.themes,
      contact: m.contact ?? null, licence: m.licence ?? null, temporal: m.temporal ?? null, spatial: m.spatial ?? null,
      landingPage: m.landingPage ?? null, language: m.language ?? null, distributions: m.distributions ?? [],
      shareAttr: d.share_attr, shareBasis: d.share_basis, shareConditions: d.share_conditions, openAttr: d.open_attr,
      updateCycle: d.update_cycle, sourceSystem: d.source_system, grade: d.grade, generalLevel: d.general_level,
      version: d.version, dataVersion: d.data_version, rowCount: d.row_count,
      createdAt: new Date(d.created_at).toISOString(), updatedAt: new Date(d.updated_at).toISOString(),
      fields: fields.map(fieldView),
    };
  }

  /** Search with filters and facets (owner, theme, grade, share attribute) over the filtered set. */
  async search(actor: Actor, q: DatasetSearchQuery): Promise<DatasetSearchResult> {
    assertCan(actor, 'catalog.read');
    const { total, rows, facets, names } = await this.facetedSearch({ ...q, openOnly: false });
    const items = rows.map((d) => ({
      id: d.id, identifier: d.identifier, title: d.title, description: d.description, ownerOrgId: d.owner_org_id,
      ownerName: names.get(d.owner_org_id) ?? null, themes: d.themes, keywords: d.keywords, grade: d.grade,
      generalLevel: d.general_level, shareAttr: d.share_attr, openAttr: d.open_attr, updateCycle: d.update_cycle,
      version: d.version, rowCount: d.row_count, updatedAt: new Date(d.updated_at).toISOString(),
    }));
    return { total, items, facets: { owner: facets.owner, theme: facets.theme, grade: facets.grade, share: facets.share } };
  }

  /**
   * The public part of the catalogue for anyone (the portal's 数据目录): open and conditionally open datasets with
   * what the DCAT-AP export shows — metadata and distributions, no field schema, grading, sharing or rows.
   */
  async publicSearch(q: PublicDatasetQuery): Promise<PublicSearchResult> {
    const { total, rows, facets, names } = await this.facetedSearch({ q: q.q, owner: q.owner, theme: q.theme, limit: q.limit, offset: q.offset, openOnly: true });
    const items = rows.map((d) => {
      const meta: DcatMetadata = d.metadata ?? {};
      return {
        id: d.id, identifier: d.identifier, title: d.title, description: d.description, ownerName: names.get(d.owner_org_id) ?? null,
        ownerOrgId: d.owner_org_id, themes: d.themes, keywords: d.keywords, openAttr: d.open_attr, updateCycle: d.update_cycle,
        licence: meta.licence ?? null, contactName: meta.contact?.name ?? null,
        distributions: (meta.distributions ?? []).map((x) => ({ title: x.title, format: x.format })),
        updatedAt: new Date(d.updated_at).toISOString(),
      };
    });
    return { total, items, facets: { owner: facets.owner, theme: facets.theme, open: facets.open } };
  }

  /** Filters, counts the facets over the whole filtered set, and loads one page of datasets. */
  private async facetedSearch(q: DatasetSearchQuery & { openOnly: boolean }) {
    const rows = await store.listDatasetFacetRows(this.reader, q);
    const names = await this.orgs.names();
    const count = (values: string[]) => {
      const m = new Map<string, number>();
      for (const v of values) m.set(v, (m.get(v) ?? 0) + 1);
      return [...m].map(([value, n]) => ({ value, count: n })).sort((a, b) => b.count - a.count || a.value.localeCompare(b.value));
    };
    const facets = {
      owner: count(rows.map((r) => r.owner_org_id)).map((f) => ({ ...f, label: names.get(f.value) ?? f.value })),
      theme: count(rows.flatMap((r) => r.themes)),
      grade: count(rows.map((r) => r.grade)),
      share: count(rows.map((r) => r.share_attr)),
      open: count(rows.map((r) => r.open_attr)),
    };
    const offset = q.offset ?? 0;
    const page = rows.slice(offset, offset + (q.limit ?? 50)).map((r) => r.id);
    const datasets = new Map((await store.listDatasetsByIds(this.reader, page)).map((d) => [d.id, d]));
    return { total: rows.length, rows: page.map((id) => datasets.get(id)!), facets, names };
  }

  async versions(actor: Actor, ref: string): Promise<DatasetVersionView[]> {
    assertCan(actor, 'catalog.read');
    const dataset = await this.requireDataset(ref);
    return (await store.listVersions(this.db, dataset.id)).map((v) => ({
      version: v.version, change: v.change, snapshotHash: v.snapshot_hash, changedBy: v.changed_by,
      changedAt: new Date(v.changed_at).toISOString(), snapshot: v.snapshot,
    }));
  }

  /**
   * The public part of the catalogue as DCAT-AP 3 JSON-LD: open and conditionally open datasets, their
   * metadata and distributions — never their field schema or rows.
   */
  async exportDcat(baseUrl: string): Promise<DcatDocument> {
    const datasets = await store.listOpenDatasets(this.db);
    const names = await this.orgs.names();
    const items: DcatDatasetInput[] = datasets.map((d) => ({
      id: d.id, identifier: d.identifier, title: d.title, description: d.description, keywords: d.keywords,
      themes: d.themes, publisher: names.get(d.owner_org_id) ?? d.owner_org_id, publisherId: d.owner_org_id,
      metadata: d.metadata ?? {}, updateCycle: d.update_cycle, openAttr: d.open_attr,
      issued: new Date(d.created_at), modified: new Date(d.updated_at),
    }));
    return dcatCatalog(baseUrl, items, this.clock(), this.config.dcatPublisher);
  }
}
