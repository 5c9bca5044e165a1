import type { ColumnType, JSONColumnType } from 'kysely';
import type { SecurityPolicy } from './policy-schema.js';

/** The security policy in force (one row, `current`): the security administrator's, over the config file's defaults. */
export interface SecurityPolicyTable {
  id: string;
  policy: JSONColumnType<SecurityPolicy>;
  version: number;
  updated_by: string;
  updated_at: ColumnType<Date, Date | string, Date | string>;
}

declare module '../db/schema.js' {
  interface Database {
    security_policy: SecurityPolicyTable;
  }
}
