import { ngsiProblem } from './ngsi-errors.js';
import type { AccessRuleRow } from './access-store.js';
import { replaceAttrs, type Attrs, type StoredEntity } from './entity-model.js';

/**
 * What an actor may see of entities' attributes, for filters that run in SQL (entity-store `visibleAttrs`):
 * entities with one of the `full` types show every attribute, the others only those listed for their types
 * in `partial` (type → attribute IRIs).
 */
export interface AttrVisibility {
  full: string[];
  partial: Record<string, string[]>;
}

/**
 * Per-organisation access to entity types and attributes, on top of the role permissions (who gets which policy:
 * AccessRuleService.policy). A restricted policy lets the actor see only the listed types and, of each, only the
 * listed attributes, and write only where a rule says can_write. An attribute the actor may not read is absent
 * for them for every purpose — output, `q`, `orderBy`, `attrs`, geo-queries, temporal queries and subscriptions —
 * so a filter on it matches nothing and a count says nothing of its value.
 */
export class AccessPolicy {
  /** Not narrowed by rules (admin, data_admin, the product's own system actors, organisations never given rules). */
  static readonly unrestricted = new AccessPolicy(undefined);
  /** Nothing readable, nothing writable (deny by default: actors of no organisation, tenants an organisation has no rule in). */
  static readonly none = new AccessPolicy([]);

  constructor(private readonly rules: readonly AccessRuleRow[] | undefined) {}

  get restricted(): boolean {
    return this.rules !== undefined;
  }

  /** Types the actor may read (undefined: any). */
  readableTypes(): string[] | undefined {
    return this.rules?.map((r) => r.entity_type);
  }

  /** Attributes of an entity with these types the actor may read: undefined for all, an empty set for none. */
  readableAttrs(types: string[]): Set<string> | undefined {
    if (!this.rules) return undefined;
    const matching = this.rules.filter((r) => types.includes(r.entity_type));
    if (matching.some((r) => r.attributes === null)) return undefined;
    return new Set(matching.flatMap((r) => r.attributes ?? []));
  }

  /** The same as readableAttrs, for the database's filters (undefined: every attribute of every type). */
  visibility(): AttrVisibility | undefined {
    if (!this.rules) return undefined;
    const full = this.rules.filter((r) => r.attributes === null).map((r) => r.entity_type);
    const partial: Record<string, string[]> = {};
    for (const r of this.rules) if (r.attributes !== null) partial[r.entity_type] = [...new Set([...(partial[r.entity_type] ?? []), ...r.attributes])];
    return { full, partial };
  }

  /** Whether the attribute is readable in every type the actor may read (so a database pre-filter on it reveals nothing). */
  readableEverywhere(attr: string): boolean {
    return !this.rules || this.rules.every((r) => r.attributes === null || r.attributes.includes(attr));
  }

  /** The attributes of an entity with these types that the actor may read. */
  projectAttrs(types: string[], attrs: Attrs): Attrs {
    const readable = this.readableAttrs(types);
    if (!readable) return attrs;
    return Object.fromEntries(Object.entries(attrs).filter(([a]) => readable.has(a)));
  }

  /** The entity with only the attributes the actor may read. */
  project(e: StoredEntity): StoredEntity {
    if (!this.rules) return e;
    return { ...e, attrs: this.projectAttrs(e.types, e.attrs) };
  }

  /**
   * The attributes after a replace (PUT, batch upsert) by this caller: those it can see are replaced by `incoming`;
   * those hidden from it stay as they are (it could not name them, and must not learn of them or destroy them).
   */
  replaceVisible(current: StoredEntity, incoming: Attrs): Attrs {
    if (!this.rules) return replaceAttrs(current.attrs, incoming);
    const visible = this.projectAttrs(current.types, current.attrs);
    const hidden = Object.fromEntries(Object.entries(current.attrs).filter(([a]) => !(a in visible)));
    return { ...hidden, ...replaceAttrs(visible, incoming) };
  }

  canReadEntity(types: string[]): boolean {
    return !this.rules || this.rules.some((r) => types.includes(r.entity_type));
  }

  /**
   * Throws 403 unless the actor may write these attributes of an entity with these types. Only attributes the
   * actor may read are named: the names of hidden ones are not told.
   */
  assertWrite(types: string[], attrs: string[]): void {
    if (!this.rules) return;
    const matching = this.rules.filter((r) => r.can_write && types.includes(r.entity_type));
    if (matching.length === 0) {
      throw ngsiProblem('Forbidden', this.rules.length === 0
        ? 'you may not write context data: an actor of no organisation, or of an organisation with no access rule in this tenant, sees and writes nothing'
        : `your organisation may not write entities of type ${types.join(', ')}`);
    }
    if (matching.some((r) => r.attributes === null)) return;
    const allowed = new Set(matching.flatMap((r) => r.attributes ?? []));
    const denied = attrs.filter((a) => !allowed.has(a));
    if (denied.length === 0) return;
    const readable = this.readableAttrs(types);
    const named = denied.filter((a) => !readable || readable.has(a));
    throw ngsiProblem('Forbidden', named.length > 0
      ? `your organisation may not write the attribute(s) ${named.join(', ')}`
      : 'your organisation may not write attributes it cannot read');
  }
}
