import type { ColumnType, Generated } from 'kysely';

type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;
type Json<T = unknown> = ColumnType<T, string, string>;

/** A context-source registration (§5.2.9): the body as given (names compact, with its @context), per tenant. */
export interface ContextCsourceRegistrationTable {
  tenant: string;
  id: string;
  /** The registering actor (actorRef). */
  owner: string;
  body: Json<Record<string, unknown>>;
  expires_at: Timestamp | null;
  created_at: Timestamp;
  modified_at: Timestamp;
}

/** A subscription to registrations (§5.2.12 with `type: Subscription`, §5.11): notified when registrations change. */
export interface ContextCsourceSubscriptionTable {
  tenant: string;
  id: string;
  owner: string;
  body: Json<Record<string, unknown>>;
  active: boolean;
  expires_at: Timestamp | null;
  created_at: Timestamp;
  modified_at: Timestamp;
  /** The last notification queued (on change), or a periodic (timeInterval) subscription's last claimed period. */
  last_notification: Timestamp | null;
  times_sent: Generated<number>;
  times_failed: Generated<number>;
  last_success: Timestamp | null;
  last_failure: Timestamp | null;
}

/**
 * A subscription made at a registered source on behalf of a local one: the source notifies
 * `<selfUrl>/ngsi-ld/v1/cityhub/csourceNotifications/<token>`; only the token's SHA-256 is kept.
 */
export interface ContextRemoteSubscriptionTable {
  token_hash: string;
  tenant: string;
  subscription_id: string;
  registration_id: string;
  /** The subscription's URL at the source (for deleting it there). */
  remote_url: string;
  created_at: Timestamp;
}

declare module '../platform/db/schema.js' {
  interface Database {
    context_csource_registration: ContextCsourceRegistrationTable;
    context_csource_subscription: ContextCsourceSubscriptionTable;
    context_remote_subscription: ContextRemoteSubscriptionTable;
  }
}

/** An entity map (§5.2.39, v1.9): `body` holds `entityMap` (entity id → "@none" and/or registration ids) and `linkedMaps`. */
export interface ContextEntityMapTable {
  tenant: string;
  id: string;
  /** The creating actor (actorRef): only it and the data bureau see the map. */
  owner: string;
  body: Json<Record<string, unknown>>;
  expires_at: Timestamp;
  created_at: Timestamp;
}

declare module '../platform/db/schema.js' {
  interface Database {
    context_entity_map: ContextEntityMapTable;
  }
}
