import type { ColumnType, Generated } from 'kysely';

export type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;

export interface OrgTable {
  id: Generated<string>;
  name: string;
  /** department | district | street | government | operator | enterprise | other */
  kind: string;
  /** 统一社会信用代码 (18 characters), optional */
  credit_code: string | null;
  parent_id: string | null;
  created_at: Generated<Date>;
}

export interface AppUserTable {
  id: Generated<string>;
  username: string;
  display_name: string;
  password_hash: string;
  org_id: string | null;
  roles: string[];
  disabled: Generated<boolean>;
  created_at: Generated<Date>;
}

export interface AuthSessionTable {
  /** SHA-256 of the cookie token; the token itself is never stored. */
  token_hash: string;
  user_id: string;
  expires_at: Timestamp;
  created_at: Generated<Date>;
}

export interface ApiKeyTable {
  id: Generated<string>;
  name: string;
  /** The first characters of the key, shown in lists so people can tell keys apart. */
  prefix: string;
  key_hash: string;
  org_id: string | null;
  roles: string[];
  created_by: string | null;
  created_at: Generated<Date>;
  revoked_at: Timestamp | null;
  last_used_at: Timestamp | null;
}

declare module '../db/schema.js' {
  interface Database {
    org: OrgTable;
    app_user: AppUserTable;
    auth_session: AuthSessionTable;
    api_key: ApiKeyTable;
  }
}
