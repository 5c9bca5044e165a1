import { sql } from 'kysely';
import type { Db } from '../platform/db/database.js';
import { FieldProtection, registerSealedColumns, resealRow } from '../platform/crypto/field-protection.js';
import './tables.js';

/**
 * The ticket's sensitive personal fields (敏感个人信息: the citizen's name and phone, and the address, which often
 * is their home) sealed at rest with SM4 when field encryption is on (docs/security.md, 8.1.4.8 b). Each value is
 * bound to its column and the ticket's number (unique and set before the row is written, by the intake and the
 * importer alike), so a ciphertext copied to another ticket does not open. The phone's keyed hash stands beside it
 * for what compares phones without reading them: duplicates (the intel index), lookups.
 */
export const SEALED_TICKET_COLUMNS = ['citizen_name', 'citizen_phone', 'address'] as const;
type SealedColumn = (typeof SEALED_TICKET_COLUMNS)[number];
type Sealable = { number: string } & Partial<Record<SealedColumn, string | null>>;

const place = (column: SealedColumn, number: string): string => `hotline_ticket.${column}:${number}`;

/** Phone numbers compared by their digits, a leading country code 86 ignored (138-0000-1234 = +86 13800001234). */
export const phoneDigits = (phone: string): string => {
  const digits = phone.replace(/\D/g, '');
  return digits.length === 13 && digits.startsWith('86') ? digits.slice(2) : digits;
};

export class TicketPersonalFields {
  constructor(private readonly fields: FieldProtection = FieldProtection.off) {}

  /** The row as it is written: its personal columns sealed, the phone's lookup hash beside them. */
  seal<T extends Sealable>(row: T): T & { citizen_phone_hash?: string | null } {
    const sealed: T & { citizen_phone_hash?: string | null } = { ...row };
    for (const column of SEALED_TICKET_COLUMNS) {
      if (row[column] !== undefined) sealed[column] = this.fields.seal(row[column] ?? null, place(column, row.number)) as T[SealedColumn];
    }
    if (row.citizen_phone !== undefined) sealed.citizen_phone_hash = this.phoneHash(row.citizen_phone);
    return sealed;
  }

  /** The row as the services use it: its personal columns opened (a value that does not authenticate throws). */
  open<T extends Sealable>(row: T): T {
    const opened: T = { ...row };
    for (const column of SEALED_TICKET_COLUMNS) {
      if (row[column] != null) opened[column] = this.fields.open(row[column] ?? null, place(column, row.number)) as T[SealedColumn];
    }
    return opened;
  }

  openAll = <T extends Sealable>(rows: T[]): T[] => rows.map((r) => this.open(r));

  /** The phone's lookup hash under the current key (null without a phone worth comparing, or without keys). */
  phoneHash(phone: string | null): string | null {
    const digits = phone === null ? '' : phoneDigits(phone);
    return digits.length < 5 ? null : this.fields.lookupHash(digits);
  }

  /** Whether two phones are one, when one is stored (sealed or not) and the other given. */
  samePhone(stored: string | null, given: string): boolean {
    return !!stored && phoneDigits(stored).length >= 5 && phoneDigits(stored) === phoneDigits(given);
  }

  /**
   * Ensures the key ring opens what is stored: reads the newest sealed ticket and opens it, so a wrong key stops
   * the boot naming the key, instead of every ticket view failing later.
   */
  async checkKeys(db: Db): Promise<void> {
    const row = await db.selectFrom('hotline_ticket').select(['number', ...SEALED_TICKET_COLUMNS])
      .where((eb) => eb.or(SEALED_TICKET_COLUMNS.map((c) => eb(c, 'like', 'sm4$%'))))
      .orderBy('created_at', 'desc').limit(1).executeTakeFirst();
    if (!row) return;
    try {
      this.open(row);
    } catch (err) {
      throw new Error(`the field keys do not open the stored tickets (ticket ${row.number}): ${(err as Error).message}`);
    }
  }
}

/** Keyset page of tickets by id with their sealed columns, for rotation. */
const sealedPage = (db: Db, afterId: string | null, limit: number) => {
  let q = db.selectFrom('hotline_ticket').select(['id', 'number', 'citizen_phone_hash', ...SEALED_TICKET_COLUMNS]).orderBy('id').limit(limit);
  if (afterId) q = q.where('id', '>', afterId);
  return q.execute();
};

registerSealedColumns({
  name: 'hotline_ticket (工单: 姓名, 电话, 地址)',
  async rotateBatch(db, fields, afterKey, limit, onBad) {
    const rows = await sealedPage(db, afterKey, limit);
    const personal = new TicketPersonalFields(fields);
    let rewritten = 0;
    for (const row of rows) {
      const patch = resealRow(`ticket ${row.number}`, onBad, () => {
        const next: Partial<Record<SealedColumn | 'citizen_phone_hash', string | null>> = {};
        for (const column of SEALED_TICKET_COLUMNS) {
          const value = fields.reseal(row[column], place(column, row.number));
          if (value !== undefined) next[column] = value;
        }
        if (fields.staleHash(row.citizen_phone_hash) || (row.citizen_phone_hash === null && row.citizen_phone !== null)) {
          const hash = personal.phoneHash(fields.open(row.citizen_phone, place('citizen_phone', row.number)));
          if (hash !== row.citizen_phone_hash) next.citizen_phone_hash = hash;
        }
        return next;
      });
      if (!patch || Object.keys(patch).length === 0) continue;
      // Only if the row still holds what was read: a ticket changed meanwhile is sealed by its writer already.
      const done = await db.updateTable('hotline_ticket').set(patch).where('id', '=', row.id)
        .where((eb) => eb.and(SEALED_TICKET_COLUMNS.map((c) => (row[c] === null ? eb(c, 'is', null) : eb(c, '=', row[c])))))
        .executeTakeFirst();
      rewritten += Number(done.numUpdatedRows);
    }
    return { rewritten, lastKey: rows.length < limit ? null : rows.at(-1)!.id };
  },
  async countStale(db, fields) {
    const current = fields.currentKeyId;
    // Raw SQL: one count over several LIKE conditions on the key-id prefix of each sealed column.
    const stale = (column: string) => fields.encrypting
      ? sql<boolean>`(${sql.ref(column)} is not null and ${sql.ref(column)} not like ${`sm4$${current}$%`})`
      : sql<boolean>`(${sql.ref(column)} like 'sm4$%')`;
    const hashStale = current
      ? sql<boolean>`(citizen_phone_hash is not null and citizen_phone_hash not like ${`${current}:%`})`
      : sql<boolean>`false`;
    const row = await db.selectFrom('hotline_ticket')
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .where(sql<boolean>`${sql.join(SEALED_TICKET_COLUMNS.map(stale), sql` or `)} or ${hashStale}`)
      .executeTakeFirstOrThrow();
    return Number(row.n);
  },
});
