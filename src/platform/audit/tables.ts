/** Denials per actor-and-address key and minute, counted on every node together (audit-service.ts `recordDenied`). */
export interface AuditDenialCountTable {
  /** `<actor ref>|<address>` */
  key: string;
  /** minutes since the epoch */
  minute: number;
  count: number;
}

declare module '../db/schema.js' {
  interface Database {
    audit_denial_count: AuditDenialCountTable;
  }
}
