import { Type, type Static } from 'typebox';
import { EntryRecord } from '../ledger/ledger-schemas.js';

/**
 * The audit API's shapes (a leaf: typebox only), shared by the routes and, type-only, by the web app's security
 * and audit screens.
 */

/** An audit record is a ledger entry as people read it. */
export const TrailRecord = EntryRecord;
export type TrailRecord = Static<typeof TrailRecord>;

const DateTime = Type.String({ maxLength: 40, description: 'ISO 8601 date-time' });

export const TrailQuery = Type.Object({
  before: Type.Optional(Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER, description: 'entries before this ledger index' })),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 100 })),
  about: Type.Optional(Type.String({ maxLength: 200, description: 'entries by or about this reference, e.g. user:<id>' })),
  kind: Type.Optional(Type.String({ maxLength: 100, description: 'kinds starting with this, e.g. audit.access' })),
  from: Type.Optional(DateTime),
  to: Type.Optional(DateTime),
});
export type TrailQuery = Static<typeof TrailQuery>;

export const ExportQuery = Type.Object({
  from: Type.Optional(DateTime),
  to: Type.Optional(DateTime),
  format: Type.Union([Type.Literal('csv'), Type.Literal('json')], { default: 'csv' }),
});

export const RetentionView = Type.Object({ retentionDays: Type.Integer(), oldest: Type.Union([Type.String(), Type.Null()]), pruned: Type.Boolean() });
export type RetentionView = Static<typeof RetentionView>;

export const AlertView = Type.Object({
  kind: Type.Union([Type.Literal('repeated_denials'), Type.Literal('unusual_reads')]),
  actor: Type.String(),
  address: Type.Union([Type.String(), Type.Null()]),
  count: Type.Integer(),
  windowMinutes: Type.Integer(),
  threshold: Type.Integer(),
  lastAt: Type.String({ format: 'date-time' }),
});
export type AlertView = Static<typeof AlertView>;

export const ActivityQuery = Type.Object({
  bucket: Type.Union([Type.Literal('hour'), Type.Literal('day')], { default: 'hour', description: 'hour (default: the last 48 hours) or day (default: the last 30 days)' }),
  from: Type.Optional(DateTime),
  to: Type.Optional(DateTime),
});
export type ActivityQuery = Static<typeof ActivityQuery>;

/** Denials, failed logins and reads of personal data per hour or day in the city's time zone, empty buckets included. */
export const ActivityView = Type.Object({
  bucket: Type.Union([Type.Literal('hour'), Type.Literal('day')]),
  timeZone: Type.String(),
  from: Type.String({ format: 'date-time' }),
  to: Type.String({ format: 'date-time' }),
  buckets: Type.Array(Type.Object({
    /** the bucket's start */
    start: Type.String({ format: 'date-time' }),
    /** refused requests (401/403), each `denied_burst` entry counted once */
    denied: Type.Integer({ minimum: 0 }),
    failedLogins: Type.Integer({ minimum: 0 }),
    personalReads: Type.Integer({ minimum: 0 }),
  })),
});
export type ActivityView = Static<typeof ActivityView>;
