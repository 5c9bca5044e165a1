import { compactIri, type LdContext } from './jsonld-context.js';
import { datasetKey, NGSI_NULL, renderEntity, renderInstance, type AttrType, type Instance, type RenderOptions, type StoredEntity } from './entity-model.js';
import type { EntityChange } from './entity-writer.js';

/**
 * What a change did, in the terms of a subscription's `notificationTrigger` (GS CIM 009 v1.8 §5.2.12, §5.8.6):
 * the entity created, updated or deleted, and the attributes created, updated and deleted.
 */
export const TRIGGERS = ['entityCreated', 'entityUpdated', 'entityDeleted', 'attributeCreated', 'attributeUpdated', 'attributeDeleted'] as const;
export type Trigger = (typeof TRIGGERS)[number];
/** §5.2.12: a subscription without notificationTrigger is notified of attributes created and updated. */
export const DEFAULT_TRIGGERS: Trigger[] = ['attributeCreated', 'attributeUpdated'];

export interface ChangeEvents {
  entity?: 'created' | 'updated' | 'deleted';
  created: string[];
  updated: string[];
  deleted: string[];
}

/**
 * The events of a change, over the attributes `visible` lets the subscriber see (undefined: all). An upsert done
 * in SQL without reading the entity (`existed`, no `before`) tells written attributes as updated.
 */
export function changeEvents(c: EntityChange, visible: (attr: string) => boolean): ChangeEvents {
  const deleted = c.deleted.filter(visible);
  if (!c.after) return { entity: 'deleted', created: [], updated: [], deleted };
  const written = c.written.filter(visible);
  if (!c.before && !c.existed) return { entity: 'created', created: written, updated: [], deleted };
  const before = c.before?.attrs;
  return {
    entity: 'updated',
    created: before ? written.filter((a) => !(a in before)) : [],
    updated: before ? written.filter((a) => a in before) : written,
    deleted,
  };
}

/** Whether one of the subscription's triggers fires for the events; attribute triggers only for watched attributes. */
export function triggered(triggers: readonly Trigger[], ev: ChangeEvents, watched: (attr: string) => boolean): boolean {
  return triggers.some((t) => {
    switch (t) {
      case 'entityCreated': return ev.entity === 'created';
      case 'entityDeleted': return ev.entity === 'deleted';
      case 'entityUpdated': return ev.entity === 'updated' && [...ev.created, ...ev.updated, ...ev.deleted].some(watched);
      case 'attributeCreated': return ev.created.some(watched);
      case 'attributeUpdated': return ev.updated.some(watched);
      case 'attributeDeleted': return ev.deleted.some(watched);
    }
  });
}

/**
 * v1.8 §5.2.12 `datasetId`: the entity with only the attribute instances of these datasetIds (`@none`: the
 * default instance); an attribute left with none is not shown. Undefined: the entity as it is.
 */
export function selectDatasets(e: StoredEntity, datasetIds: readonly string[] | undefined): StoredEntity {
  if (!datasetIds) return e;
  const keys = new Set(datasetIds.map((d) => (d === '@none' ? '' : d)));
  const attrs: StoredEntity['attrs'] = {};
  for (const [iri, list] of Object.entries(e.attrs)) {
    const kept = list.filter((i) => keys.has(datasetKey(i)));
    if (kept.length > 0) attrs[iri] = kept;
  }
  return { ...e, attrs };
}

/** The member holding an attribute's value, per type (§4.5): `value`, `object`, `languageMap`… */
const MAIN: Record<AttrType, string> = {
  Property: 'value', GeoProperty: 'value', Relationship: 'object', LanguageProperty: 'languageMap',
  JsonProperty: 'json', VocabProperty: 'vocab', ListProperty: 'valueList', ListRelationship: 'objectList',
};
/** `previousValue`, `previousObject`, … (§5.2.12 showChanges). */
const previousName = (type: AttrType) => `previous${MAIN[type][0].toUpperCase()}${MAIN[type].slice(1)}`;

/** The value member of an instance as it is rendered (names and vocab compacted). */
const mainOf = (ctx: LdContext, inst: Instance): unknown =>
  (renderInstance(ctx, inst, { format: 'normalized', sysAttrs: false }) as Record<string, unknown>)[MAIN[inst.type]];

/** A deleted instance (§5.8.6): its value NGSI-LD Null, with the value it had when showChanges asks for it. */
function nullInstance(ctx: LdContext, inst: Instance, o: RenderOptions, showChanges: boolean, deletedAt: string): unknown {
  if (o.format === 'keyValues') return NGSI_NULL;
  const out: Record<string, unknown> = { type: inst.type, [MAIN[inst.type]]: NGSI_NULL };
  if (showChanges) out[previousName(inst.type)] = mainOf(ctx, inst);
  if (typeof inst.datasetId === 'string') out.datasetId = inst.datasetId;
  if (o.sysAttrs) out.deletedAt = deletedAt;
  if (o.format === 'concise') delete out.type;
  return out;
}

const single = (list: unknown[]) => (list.length === 1 ? list[0] : list);

/**
 * An entity as a subscription is notified of it: as it is now, each deleted attribute shown with NGSI-LD Null,
 * and, with showChanges, each updated or deleted one with its previous value. A deleted entity is its id, type,
 * `deletedAt` and its attributes, each Null.
 */
export function renderNotified(ctx: LdContext, c: { after?: StoredEntity; before?: StoredEntity }, ev: ChangeEvents | undefined, o: RenderOptions, showChanges: boolean, now: string): Record<string, unknown> {
  const shown = (iri: string) => (!o.only || o.only.has(iri)) && !o.omit?.has(iri);
  if (!c.after) {
    const before = c.before!;
    const out = renderEntity(ctx, { ...before, attrs: {} }, { ...o, sysAttrs: false });
    out.deletedAt = now;
    for (const [iri, instances] of Object.entries(before.attrs)) {
      if (!shown(iri) || !ev?.deleted.includes(iri)) continue;
      out[compactIri(ctx, iri)] = o.format === 'keyValues' ? NGSI_NULL : single(instances.map((i) => nullInstance(ctx, i, o, showChanges, now)));
    }
    return out;
  }
  const out = renderEntity(ctx, c.after, o);
  const before = c.before?.attrs;
  if (!ev || !before) return out;
  for (const iri of ev.deleted) {
    if (!shown(iri) || !before[iri] || c.after.attrs[iri]) continue;
    out[compactIri(ctx, iri)] = o.format === 'keyValues' ? NGSI_NULL : single(before[iri].map((i) => nullInstance(ctx, i, o, showChanges, now)));
  }
  if (!showChanges || o.format === 'keyValues') return out;
  for (const iri of ev.updated) {
    const name = compactIri(ctx, iri);
    const current = c.after.attrs[iri];
    if (!shown(iri) || !current || !before[iri] || out[name] === undefined) continue;
    const rendered = current.map((inst, n) => {
      const shownInst = Array.isArray(out[name]) ? (out[name] as unknown[])[n] : out[name];
      const old = before[iri].find((b) => datasetKey(b) === datasetKey(inst));
      if (!old) return shownInst;
      // A concise Property may have been rendered as its bare value.
      const obj: Record<string, unknown> = shownInst && typeof shownInst === 'object' && !Array.isArray(shownInst) ? { ...(shownInst as Record<string, unknown>) } : { value: shownInst };
      obj[previousName(old.type)] = mainOf(ctx, old);
      return obj;
    });
    out[name] = single(rendered);
  }
  return out;
}
