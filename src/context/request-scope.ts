import type { Actor } from '../platform/auth/roles.js';
import type { LdContext } from './jsonld-context.js';

/** Who asks, in which tenant (NGSILD-Tenant, '' for the default), with which JSON-LD @context. */
export interface RequestScope {
  actor: Actor;
  tenant: string;
  ctx: LdContext;
  /** A write to one entity with `?type=` (§4.17): the expanded types one of which the entity must have, else 404. */
  typeSelector?: string[];
}

/** Administrators and data administrators see and manage every caller's subscriptions and entity maps. */
export const managesAll = (actor: Actor): boolean => actor.roles.includes('admin') || actor.roles.includes('data_admin');
