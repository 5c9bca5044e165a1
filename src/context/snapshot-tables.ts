import type { ColumnType } from 'kysely';

type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;
type Json<T = unknown> = ColumnType<T, string, string>;

/**
 * A snapshot (v1.9 §5.2.41): `body` holds its members but id, type and the timestamps (snapshotQueries, …,
 * snapshotStatus and the details), per tenant. Its copy of the entities is in context_snapshot_entity.
 */
export interface ContextSnapshotTable {
  tenant: string;
  id: string;
  /** The creating actor (actorRef): only it and the data bureau see the snapshot (it holds what it could read). */
  owner: string;
  body: Json<Record<string, unknown>>;
  entity_count: number;
  created_at: Timestamp;
  modified_at: Timestamp;
  last_used_at: Timestamp;
  expires_at: Timestamp;
}

/** One entity as a snapshot froze it: the stored form (expanded names), as its creator could read it. */
export interface ContextSnapshotEntityTable {
  tenant: string;
  snapshot_id: string;
  entity_id: string;
  /** Expanded type IRIs (the type filter of queries on the snapshot). */
  types: string[];
  /** `attrs`, `scope`, `createdAt`, `modifiedAt` of the StoredEntity. */
  entity: Json<Record<string, unknown>>;
}

declare module '../platform/db/schema.js' {
  interface Database {
    context_snapshot: ContextSnapshotTable;
    context_snapshot_entity: ContextSnapshotEntityTable;
  }
}
