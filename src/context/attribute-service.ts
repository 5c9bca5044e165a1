import type { Clock } from '../platform/clock/clock.js';
import { ngsiProblem } from './ngsi-errors.js';
import { compactIri, expandTerm } from './jsonld-context.js';
import { applyNulls, assertNoNullValues, datasetKey, entityTypes, holdsNull, isNgsiNull, mergeAttrs, normalizeAttribute, normalizeAttributes, renderInstance, splitNulls, type Attrs } from './entity-model.js';
import type { EntityWriter } from './entity-writer.js';
import type { RequestScope } from './request-scope.js';
import type { AttrUpdateResult, DeleteAttributeQuery, JsonObjectBody } from './schemas.js';

/**
 * The NGSI-LD operations on the attributes of one entity (ETSI GS CIM 009 §5.6.2–5.6.5, §5.6.19): append,
 * update, partial update, replace and delete, each a read-modify-write of the entity by the entity writer.
 */
export class AttributeService {
  constructor(
    private readonly clock: Clock,
    private readonly writer: EntityWriter,
  ) {}

  /** POST /entities/{id}/attrs (§5.6.3): add or replace attributes; with noOverwrite existing ones stay. */
  async appendAttrs(scope: RequestScope, id: string, body: JsonObjectBody, noOverwrite: boolean): Promise<AttrUpdateResult> {
    const now = this.clock().toISOString();
    const incoming = normalizeAttributes(scope.ctx, body, now);
    if (body.type !== undefined) entityTypes(scope.ctx, body.type);
    let result: AttrUpdateResult = { updated: [], notUpdated: [] };
    await this.writer.modify(scope, id, (current, policy) => {
      const types = body.type !== undefined ? [...new Set([...current.types, ...entityTypes(scope.ctx, body.type)])] : current.types;
      policy.assertWrite(types, Object.keys(incoming));
      const { attrs, changed, skipped } = mergeAttrs(current.attrs, incoming, noOverwrite);
      result = {
        updated: changed.map((a) => compactIri(scope.ctx, a)),
        notUpdated: skipped.map((a) => ({ attributeName: compactIri(scope.ctx, a), reason: 'attribute exists and noOverwrite was given' })),
      };
      return { after: { ...current, types, attrs, modifiedAt: now }, written: changed, deleted: [] };
    });
    return result;
  }

  /** PATCH /entities/{id}/attrs (§5.6.2): only attributes (and datasetIds) that exist are updated; NGSI-LD Null deletes. */
  async updateAttrs(scope: RequestScope, id: string, body: JsonObjectBody): Promise<AttrUpdateResult> {
    const now = this.clock().toISOString();
    const { rest, nulls } = splitNulls(scope.ctx, body);
    const incoming = normalizeAttributes(scope.ctx, rest, now, true);
    // An update replaces values whole: NGSI-LD Null inside one is for merges (§5.2.1), not stored as a string.
    assertNoNullValues(incoming);
    let result: AttrUpdateResult = { updated: [], notUpdated: [] };
    await this.writer.modify(scope, id, (current, policy) => {
      policy.assertWrite(current.types, [...Object.keys(incoming), ...nulls.map((n) => n.iri)]);
      const existing: Attrs = {};
      const notUpdated: AttrUpdateResult['notUpdated'] = [];
      for (const [iri, instances] of Object.entries(incoming)) {
        const old = current.attrs[iri];
        const keep = instances.filter((i) => old?.some((o) => datasetKey(o) === datasetKey(i)));
        if (keep.length) existing[iri] = keep;
        if (keep.length < instances.length) notUpdated.push({ attributeName: compactIri(scope.ctx, iri), reason: old ? 'no instance with this datasetId' : 'attribute does not exist' });
      }
      const { attrs, changed } = mergeAttrs(current.attrs, existing);
      const removed = applyNulls(attrs, nulls);
      const written = [...new Set([...changed, ...removed.written])];
      result = { updated: [...written, ...removed.deleted].map((a) => compactIri(scope.ctx, a)), notUpdated };
      return { after: { ...current, attrs, modifiedAt: now }, written, deleted: removed.deleted };
    });
    return result;
  }

  /**
   * PATCH /entities/{id}/attrs/{attrId} (§5.6.4): the members given replace those stored, the rest stays. The
   * instance is chosen by the datasetId in the body.
   */
  async patchAttr(scope: RequestScope, id: string, attrName: string, body: JsonObjectBody): Promise<void> {
    const now = this.clock().toISOString();
    if (attrName === 'scope') throw ngsiProblem('BadRequestData', 'scope is no attribute: change it with a merge or a replace of the entity (§5.6.4)');
    // NGSI-LD Null inside a structured value is for merges only (§5.5.4): a partial update refuses it.
    if (body.value && typeof body.value === 'object' && holdsNull(body.value)) throw ngsiProblem('BadRequestData', `the value of ${attrName} holds NGSI-LD Null (urn:ngsi-ld:null); use a merge`);
    const iri = expandTerm(scope.ctx, attrName);
    await this.writer.modify(scope, id, (current, policy) => {
      policy.assertWrite(current.types, [iri]);
      const instances = current.attrs[iri];
      const key = typeof body.datasetId === 'string' ? body.datasetId : '';
      const at = instances?.findIndex((i) => datasetKey(i) === key) ?? -1;
      if (at < 0) throw ngsiProblem('ResourceNotFound', `entity ${id} has no attribute ${attrName}${key ? ` with datasetId ${key}` : ''}`);
      const old = instances[at];
      if (isNgsiNull(body)) {
        const attrs = { ...current.attrs };
        const removed = applyNulls(attrs, [{ iri, datasetId: key }]);
        return { after: { ...current, attrs, modifiedAt: now }, ...removed };
      }
      const compact = renderInstance(scope.ctx, old, { format: 'normalized', sysAttrs: false }) as Record<string, unknown>;
      const merged = { ...compact, ...body, type: body.type ?? old.type };
      if (old.type === 'Relationship' && 'value' in body && !('object' in body)) throw ngsiProblem('BadRequestData', `${attrName} is a Relationship: give "object", not "value"`);
      const [next] = normalizeAttribute(scope.ctx, attrName, merged, now, attrName, true).instances;
      const updated = [...instances];
      updated[at] = { ...next, createdAt: old.createdAt };
      return { after: { ...current, attrs: { ...current.attrs, [iri]: updated }, modifiedAt: now }, written: [iri], deleted: [] };
    });
  }

  /** PUT /entities/{id}/attrs/{attrId} (§5.6.19): replaces the attribute instance, which must exist. */
  async replaceAttr(scope: RequestScope, id: string, attrName: string, body: unknown): Promise<void> {
    const now = this.clock().toISOString();
    const { iri, instances: incoming } = normalizeAttribute(scope.ctx, attrName, body, now);
    await this.writer.modify(scope, id, (current, policy) => {
      policy.assertWrite(current.types, [iri]);
      const old = current.attrs[iri];
      if (!old || !incoming.every((i) => old.some((o) => datasetKey(o) === datasetKey(i)))) {
        throw ngsiProblem('ResourceNotFound', `entity ${id} has no attribute ${attrName} to replace`);
      }
      const { attrs } = mergeAttrs(current.attrs, { [iri]: incoming });
      return { after: { ...current, attrs, modifiedAt: now }, written: [iri], deleted: [] };
    });
  }

  /** DELETE /entities/{id}/attrs/{attrId} (§5.6.5): the default instance, one datasetId, or all. */
  async deleteAttr(scope: RequestScope, id: string, attrName: string, opts: DeleteAttributeQuery): Promise<void> {
    const now = this.clock().toISOString();
    const iri = expandTerm(scope.ctx, attrName);
    await this.writer.modify(scope, id, (current, policy) => {
      policy.assertWrite(current.types, [iri]);
      const instances = current.attrs[iri];
      if (!instances) throw ngsiProblem('ResourceNotFound', `entity ${id} has no attribute ${attrName}`);
      const key = opts.datasetId ?? '';
      const remaining = opts.deleteAll ? [] : instances.filter((i) => datasetKey(i) !== key);
      if (remaining.length === instances.length) throw ngsiProblem('ResourceNotFound', `attribute ${attrName} has no instance with datasetId ${key || '(default)'}`);
      const attrs = { ...current.attrs };
      if (remaining.length) attrs[iri] = remaining;
      else delete attrs[iri];
      return { after: { ...current, attrs, modifiedAt: now }, written: remaining.length ? [iri] : [], deleted: remaining.length ? [] : [iri] };
    });
  }
}
