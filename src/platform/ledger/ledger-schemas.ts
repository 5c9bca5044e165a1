import { Type } from 'typebox';

/**
 * One ledger entry as people read it (the audit trail lists these too). A leaf (typebox only), so the web app
 * imports its type without server code.
 */
export const EntryRecord = Type.Object({
  index: Type.Integer({ minimum: 0 }),
  kind: Type.String(),
  actor: Type.String(),
  subject: Type.String(),
  time: Type.String({ format: 'date-time' }),
  facts: Type.Record(Type.String(), Type.Unknown()),
});
