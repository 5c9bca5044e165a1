import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql, type CompiledQuery } from 'kysely';
import { commitAfter } from '../../../src/platform/db/commit-after.js';
import type { DatabaseHandle } from '../../../src/platform/db/database.js';
import { openTestDatabase, testEngines } from '../../support/engines.js';

/** A transaction's last statement committed in its own round trip (src/platform/db/commit-after.ts). */
describe.each(testEngines)('commitAfter [%s]', (engine) => {
  let handle: DatabaseHandle;
  const insert = (id: number, note = 'x'): CompiledQuery => sql`insert into probe (id, note) values (${id}, ${note}) returning id, note`.compile(handle.db);
  const stored = async () => (await handle.pool.query('select id from probe order by id')).rows.map((r: { id: number }) => r.id);

  beforeAll(async () => {
    handle = await openTestDatabase(engine);
    await sql`create table probe (id int primary key, note text not null)`.execute(handle.db);
    await sql`create table child (id int primary key, probe_id int not null references probe (id) deferrable initially deferred)`.execute(handle.db);
  });
  afterAll(async () => handle?.close());

  it('returns the statement\'s rows and commits it with the transaction\'s earlier statements', async () => {
    const seenInside = await handle.db.transaction().execute(async (trx) => {
      await trx.executeQuery(insert(1));
      const { rows } = await trx.executeQuery(commitAfter(insert(2, 'last')));
      expect(rows).toEqual([{ id: 2, note: 'last' }]);
      // Before Kysely ends the transaction, from another connection: on PostgreSQL the COMMIT already ran behind
      // the statement (PGlite has one connection, which the transaction holds; there the mark changes nothing).
      return engine === 'postgres' ? stored() : undefined;
    });
    if (engine === 'postgres') expect(seenInside).toEqual([1, 2]);
    expect(await stored()).toEqual([1, 2]);
  });

  it('a failing last statement commits nothing: the earlier statements roll back, and the next transaction is clean', async () => {
    await expect(handle.db.transaction().execute(async (trx) => {
      await trx.executeQuery(insert(3));
      await trx.executeQuery(commitAfter(insert(1))); // duplicate key
    })).rejects.toThrow(/duplicate key/);
    expect(await stored()).toEqual([1, 2]);
    await handle.db.transaction().execute(async (trx) => void (await trx.executeQuery(insert(4))));
    expect(await stored()).toEqual([1, 2, 4]);
  });

  it('a constraint checked at the commit fails the statement\'s call and leaves nothing written', async () => {
    await expect(handle.db.transaction().execute(async (trx) => {
      await trx.executeQuery(insert(5));
      await trx.executeQuery(commitAfter(sql`insert into child (id, probe_id) values (1, 999) returning id`.compile(handle.db)));
    })).rejects.toThrow(/foreign key/);
    expect(await stored()).toEqual([1, 2, 4]);
    expect((await handle.pool.query('select count(*)::int as n from child')).rows[0].n).toBe(0);
  });

  it('an error thrown after the last statement cannot undo it (the caller ends with it), and the connection is reused cleanly', async () => {
    await expect(handle.db.transaction().execute(async (trx) => {
      await trx.executeQuery(commitAfter(insert(6)));
      throw new Error('after the end');
    })).rejects.toThrow('after the end');
    if (engine === 'postgres') expect(await stored()).toEqual([1, 2, 4, 6]);
    else expect(await stored()).toEqual([1, 2, 4]);
    for (let i = 0; i < 3; i++) {
      await expect(handle.db.transaction().execute(async (trx) => {
        await trx.executeQuery(insert(10 + i));
        throw new Error('roll back');
      })).rejects.toThrow('roll back');
    }
    expect((await stored()).filter((id) => id >= 10)).toEqual([]);
  });

  it('a transaction\'s BEGIN goes with its first statement: a failing first statement, a script of several statements and an empty transaction all end right', async () => {
    await expect(handle.db.transaction().execute(async (trx) => {
      await trx.executeQuery(insert(1)); // duplicate key, the BEGIN sent with it
    })).rejects.toThrow(/duplicate key/);
    await handle.db.transaction().execute(async () => undefined);
    await handle.db.transaction().execute(async (trx) => {
      await sql.raw('insert into probe (id, note) values (20, \'a\'); insert into probe (id, note) values (21, \'b\')').execute(trx);
      const { rows } = await sql<{ n: number }>`select count(*)::int as n from probe where id >= 20`.execute(trx);
      expect(rows).toEqual([{ n: 2 }]);
    });
    await expect(handle.db.transaction().execute(async (trx) => {
      await sql.raw('insert into probe (id, note) values (22, \'c\'); insert into probe (id, note) values (1, \'dup\')').execute(trx);
    })).rejects.toThrow(/duplicate key/);
    expect((await stored()).filter((id) => id >= 20)).toEqual([20, 21]);
    // an isolation level is asked for in the BEGIN itself: sent as it is
    const level = await handle.db.transaction().setIsolationLevel('serializable').execute(async (trx) =>
      (await sql<{ level: string }>`select current_setting('transaction_isolation') as level`.execute(trx)).rows[0].level);
    expect(level).toBe('serializable');
  });
});
