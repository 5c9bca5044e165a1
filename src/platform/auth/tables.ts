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
  /** Set when someone else chose the password (auth.password.changeOnFirstLogin): the next login must change it. */
  must_change_password: Generated<boolean>;
  password_changed_at: ColumnType<Date, Date | string | undefined, Date | string>;
}

export interface AuthSessionTable {
  /** SHA-256 of the cookie token; the token itself is never stored. */
  token_hash: string;
  user_id: string;
  /** The absolute end (auth.sessionTtlHours after login). */
  expires_at: Timestamp;
  created_at: Generated<Date>;
  /** The last request, for the idle timeout (auth.sessionIdleMinutes); written at most every 30 s. */
  last_seen_at: ColumnType<Date, Date | string | undefined, Date | string>;
  /** 'password_change' | 'totp_enrolment': the session may only finish signing in (see Actor.pending). */
  pending: string | null;
}

/** Earlier password hashes of a user, newest first, for `auth.password.history`. */
export interface AuthPasswordHistoryTable {
  user_id: string;
  password_hash: string;
  created_at: ColumnType<Date, Date | string | undefined, Date | string>;
}

/** A user's TOTP secret (RFC 6238): unconfirmed until a first code is checked. */
export interface AuthTotpTable {
  user_id: string;
  /** base32 */
  secret: string;
  confirmed_at: Timestamp | null;
  /** The last time step accepted: a code of that step or earlier is refused (no replay). */
  last_step: ColumnType<number, number | null | undefined, number | null> | null;
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
    auth_password_history: AuthPasswordHistoryTable;
    auth_totp: AuthTotpTable;
  }
}
