import type { Actor } from '../platform/auth/roles.js';
import { ngsiProblem } from './ngsi-errors.js';
import type { AccessRuleRow } from './access-store.js';
import type { StoredEntity } from './entity-model.js';

/**
 * Per-organisation access to entity types and attributes, on top of the role permissions. An organisation
 * without rules in a tenant is not restricted beyond its roles; once it has rules it sees only the listed types
 * and, of each, only the listed attributes; it writes only where a rule says can_write. `admin` is never restricted.
 */
export class AccessPolicy {
  static readonly unrestricted = new AccessPolicy(undefined);

  constructor(private readonly rules: AccessRuleRow[] | undefined) {}

  static for(actor: Actor, rules: AccessRuleRow[]): AccessPolicy {
    if (actor.roles.includes('admin') || rules.length === 0) return AccessPolicy.unrestricted;
    return new AccessPolicy(rules);
  }

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

  /** The entity with only the attributes the actor may read. */
  project(e: StoredEntity): StoredEntity {
    const readable = this.readableAttrs(e.types);
    if (!readable) return e;
    return { ...e, attrs: Object.fromEntries(Object.entries(e.attrs).filter(([a]) => readable.has(a))) };
  }

  canReadEntity(types: string[]): boolean {
    return !this.rules || this.rules.some((r) => types.includes(r.entity_type));
  }

  /** Throws 403 unless the actor may write these attributes of an entity with these types. */
  assertWrite(types: string[], attrs: string[]): void {
    if (!this.rules) return;
    const matching = this.rules.filter((r) => r.can_write && types.includes(r.entity_type));
    if (matching.length === 0) throw ngsiProblem('Forbidden', `your organisation may not write entities of type ${types.join(', ')}`);
    if (matching.some((r) => r.attributes === null)) return;
    const allowed = new Set(matching.flatMap((r) => r.attributes ?? []));
    const denied = attrs.filter((a) => !allowed.has(a));
    if (denied.length > 0) throw ngsiProblem('Forbidden', `your organisation may not write the attribute(s) ${denied.join(', ')}`);
  }
}
