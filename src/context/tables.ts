import type { ColumnType, Generated } from 'kysely';

type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;
type Json<T = unknown> = ColumnType<T, string, string>;

/** A tenant of the context layer (NGSILD-Tenant), created on first write. The default tenant is ''. */
export interface ContextTenantTable {
  name: string;
  created_at: Generated<Date>;
}

/** The current state of each entity; attributes as expanded IRIs → instance lists (entity-model.ts). */
export interface ContextEntityTable {
  tenant: string;
  id: string;
  /** Expanded type IRIs. */
  types: string[];
  /** Instances with their createdAt/modifiedAt left out where the entity's hold them (entity-store storedForm). */
  attrs: Json<Record<string, unknown>>;
  /** Attribute IRI → createdAt of its default instance, where that is not the entity's created_at. */
  attr_created: ColumnType<Record<string, string> | null, string | null, string | null>;
  /** The attribute names when each attribute is one default instance (the fast batch upsert's condition). */
  attr_sig: string | null;
  scope: string[] | null;
  created_at: Timestamp;
  modified_at: Timestamp;
  /** Bounding box of the `location` GeoProperty: the indexable geo pre-filter (no PostGIS). */
  min_lon: number | null;
  min_lat: number | null;
  max_lon: number | null;
  max_lat: number | null;
  /** v1.9 expiresAt of the entity: it is deleted then. */
  expires_at: ColumnType<Date | null, string | null | undefined, string | null>;
  /** The earliest expiresAt of the entity and its attribute instances: when the expiry job has work here. */
  expiry_due: ColumnType<Date | null, string | null | undefined, string | null>;
}

/**
 * The temporal history: one row per entity change, holding every attribute instance the change wrote
 * (attribute IRI → instances, createdAt/modifiedAt left out) and the attributes it deleted.
 */
export interface ContextHistoryTable {
  id: Generated<number>;
  tenant: string;
  entity_id: string;
  recorded_at: Timestamp;
  /** Earliest and latest observation time in the row (observedAt, else recorded_at): windows skip rows by them. */
  obs_min: Timestamp;
  obs_max: Timestamp;
  attrs: Json<Record<string, Record<string, unknown>[]>>;
  deleted: ColumnType<string[], string[] | undefined, string[]>;
  /** Folded into context_history_hourly (rollUpHistory); queries add the rows not yet folded. */
  rolled: Generated<boolean>;
}

export interface ContextSubscriptionTable {
  tenant: string;
  id: string;
  /** The creating actor (actorRef: `user:<id>`, `api_key:<id>`); null for rows stored before owners were kept. */
  owner: string | null;
  /** The subscription as stored: names expanded, the request's @context in `context`. */
  body: Json<Record<string, unknown>>;
  active: boolean;
  expires_at: Timestamp | null;
  throttling: number;
  times_sent: Generated<number>;
  times_failed: Generated<number>;
  last_notification: Timestamp | null;
  last_success: Timestamp | null;
  last_failure: Timestamp | null;
  created_at: Timestamp;
  modified_at: Timestamp;
}

/** Notifications waiting for delivery, written in the transaction of the change that caused them. */
export interface ContextOutboxTable {
  id: Generated<number>;
  tenant: string;
  subscription_id: string;
  endpoint: string;
  accept: string;
  /** Extra headers/metadata of the endpoint (receiverInfo). */
  headers: Json<Record<string, string>>;
  payload: Json<Record<string, unknown>>;
  attempts: Generated<number>;
  due_at: Timestamp;
  created_at: Timestamp;
  delivered_at: Timestamp | null;
  failed_at: Timestamp | null;
  last_error: string | null;
}

/**
 * Per-organisation access to entity types and attributes. An organisation with rules in a tenant sees and
 * writes only the listed types, and of those only the listed attributes (null: all attributes).
 */
export interface ContextAccessRuleTable {
  id: Generated<string>;
  org_id: string;
  tenant: string;
  /** Expanded type IRI. */
  entity_type: string;
  /** Expanded attribute IRIs, null for all. */
  attributes: string[] | null;
  can_write: boolean;
  created_at: Generated<Date>;
}

/** Hourly rollup of numeric history (sum, count, min, max, sum of squares) for fast aggregations. */
export interface ContextHistoryHourlyTable {
  tenant: string;
  entity_id: string;
  attr: string;
  dataset_id: string;
  hour: Timestamp;
  n: number;
  total: number;
  lo: number;
  hi: number;
  sumsq: number;
}

/** JSON-LD @contexts hosted by CityHub (POST /jsonldContexts, §5.13): served at /ngsi-ld/v1/jsonldContexts/{id}. */
export interface ContextJsonldTable {
  id: string;
  /** The document as given: an object with an `@context` member. */
  body: Json<Record<string, unknown>>;
  /** Hosted (POST /jsonldContexts) or ImplicitlyCreated (made for a request's list or object @context). */
  kind: Generated<'Hosted' | 'ImplicitlyCreated'>;
  created_at: Generated<Date>;
}

declare module '../platform/db/schema.js' {
  interface Database {
    context_tenant: ContextTenantTable;
    context_entity: ContextEntityTable;
    context_history: ContextHistoryTable;
    context_history_hourly: ContextHistoryHourlyTable;
    context_subscription: ContextSubscriptionTable;
    /** Bumped by a trigger whenever a tenant's subscriptions change in what matching reads (nodes' caches). */
    context_subscription_version: { tenant: string; version: string };
    context_outbox: ContextOutboxTable;
    context_access_rule: ContextAccessRuleTable;
    context_jsonld: ContextJsonldTable;
  }
}
