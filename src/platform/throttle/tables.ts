import type { ColumnType } from 'kysely';

export interface ThrottleFailureTable {
  /** what is throttled: `login`, `hotline.track` */
  scope: string;
  /** SHA-256 of the key (a username, a client address, a ticket number): no personal data at rest */
  key_hash: string;
  at: ColumnType<Date, Date, never>;
}

declare module '../db/schema.js' {
  interface Database {
    throttle_failure: ThrottleFailureTable;
  }
}
