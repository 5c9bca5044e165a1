import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testEngines } from '../support/engines.js';
import { populationRows } from '../catalog/fixtures.js';
import { runLedgerVerify } from '../../src/cli/commands/ledger-verify.js';
import { OperationWorld } from './world.js';

/**
 * Issue 21: ledger entries about grants (catalog sharing) and licences carry the digest of the row, so a grant
 * or licence rewritten or deleted with SQL behind CityHub's back is named by `cityhub ledger verify`.
 */
describe.each(testEngines)('ledger content of grants and licences [%s]', (engine) => {
  const w = new OperationWorld();
  const person = populationRows(40)[3]!;
  let L1: { id: string; number: string };
  let L2: { id: string; number: string };
  let grantId = '';

  const verify = async (): Promise<{ code: number; out: string }> => {
    const lines: string[] = [];
    const code = await runLedgerVerify(w.hub.database.db, { keys: [w.hub.services.ledger.publicKeyObject()], witnesses: [], print: (l) => lines.push(l) });
    return { code, out: lines.join('\n') };
  };
  const sql = (text: string, values: unknown[] = []) => w.hub.database.pool.query(text, values);
  /** Keeps a row as it is and returns what puts it back (columns from its JSON, so every column is restored). */
  const keep = async (table: string, id: string) => {
    const row = (await sql(`select to_jsonb(t) as row from ${table} t where id = $1`, [id])).rows[0].row as Record<string, unknown>;
    const set = Object.keys(row).filter((c) => c !== 'id').map((c) => `${c} = r.${c}`).join(', ');
    return async () => {
      const back = await sql(`update ${table} set ${set} from jsonb_populate_record(null::${table}, $1::jsonb) r where ${table}.id = r.id`, [JSON.stringify(row)]);
      if (back.rowCount === 0) await sql(`insert into ${table} select * from jsonb_populate_record(null::${table}, $1::jsonb)`, [JSON.stringify(row)]);
    };
  };
  /** Makes an attack with SQL, verifies, and puts the row back: the verdict on the tampered database. */
  const tampered = async (table: string, id: string, attack: string) => {
    const restore = await keep(table, id);
    await sql(attack, [id]);
    try {
      return await verify();
    } finally {
      await restore();
    }
  };

  beforeAll(async () => {
    await w.start(engine);
    L1 = await w.licence();
    L2 = await w.licence({ title: '短期授权', validUntil: '2026-06-30' });
    const product = (await w.product(L1.id, { type: 'verification', dataset: 'population', match: ['id_number', 'name'] }, { price: { unit: 'per_call', priceFen: 10 } })).id;
    await w.access('bank', L1.id, 'bank', [product], ['kyc']);
    const used = await w.use('bank', product, { purpose: 'kyc', input: { values: { id_number: person.id_number, name: person.name } } });
    expect(used.statusCode, used.body).toBe(200);
    grantId = (await sql(`select share_grant_id from operation_delivery_grant where product_id = $1`, [product])).rows[0].share_grant_id;
  }, 240_000);
  afterAll(() => w.close());

  it('verifies intact: every grant and licence matches its newest entry, reads through the grant included', async () => {
    const newest = await sql(`select kind from ledger_entry where subject = $1 order by idx desc limit 1`, [`share_grant:${grantId}`]);
    expect(newest.rows[0].kind).toMatch(/^share\.gateway\./);
    const { code, out } = await verify();
    expect(out).toMatch(/ledger intact/);
    expect(out).toMatch(/covered tables: [3-9] row\(s\) match/);
    expect(code).toBe(0);
  });

  it('names a grant whose terms were widened after a read through it (masks taken off, a field added)', async () => {
    const r = await tampered('share_grant', grantId, `update share_grant set masks = '{}'::jsonb, fields = fields || '{address}' where id = $1`);
    expect(r.code).toBe(1);
    expect(r.out).toContain(`share grant (共享授权) on dataset population (share_grant:${grantId}) was changed outside CityHub: its grant no longer matches`);
    expect(r.out).toMatch(/\(share\.grant\.created\) recorded/);
    expect((await verify()).code).toBe(0);
  });

  it('names a revoked grant brought back by clearing its revocation, and a licence reactivated or widened in its table', async () => {
    const suspended = await w.call('admin', 'POST', `/api/operation/licences/${L1.id}/suspend`, { reason: '违反安全义务' });
    expect(suspended.statusCode, suspended.body).toBe(200);
    expect((await sql(`select revoked_at from share_grant where id = $1`, [grantId])).rows[0].revoked_at).not.toBeNull();
    // the suspension's own products_suspended entry (no content) leaves the licence's check to its version entry
    const newest = await sql(`select kind from ledger_entry where subject = $1 order by idx desc limit 1`, [`operation_licence:${L1.id}`]);
    expect(newest.rows[0].kind).toBe('operation.licence.products_suspended');
    expect((await verify()).code).toBe(0);

    const unrevoked = await tampered('share_grant', grantId, `update share_grant set revoked_at = null, revoked_by = null, revoke_reason = null where id = $1`);
    expect(unrevoked.code).toBe(1);
    expect(unrevoked.out).toMatch(/its revocation no longer matches what ledger entry \d+ \(share\.grant\.revoked\) recorded/);

    const reactivated = await tampered('operation_licence', L1.id, `update operation_licence set status = 'active', suspended_at = null where id = $1`);
    expect(reactivated.code).toBe(1);
    expect(reactivated.out).toContain(`licence (授权协议) ${L1.number} (operation_licence:${L1.id}) was changed outside CityHub: its state no longer matches`);
    expect(reactivated.out).toMatch(/\(operation\.licence\.suspended\) recorded/);

    const widened = await tampered('operation_licence', L1.id, `update operation_licence set valid_until = valid_until + interval '10 years' where id = $1`);
    expect(widened.out).toContain(`licence (授权协议) ${L1.number} (operation_licence:${L1.id}) was changed outside CityHub: its terms no longer matches`);
    expect((await verify()).code).toBe(0);
  });

  it('names a grant and a licence deleted from their tables', async () => {
    const grantGone = await tampered('share_grant', grantId, 'delete from share_grant where id = $1');
    expect(grantGone.code).toBe(1);
    expect(grantGone.out).toContain(`(share_grant:${grantId}) was deleted: ledger entry`);
    const licenceGone = await tampered('operation_licence', L2.id, 'delete from operation_licence where id = $1');
    expect(licenceGone.code).toBe(1);
    expect(licenceGone.out).toContain(`licence (授权协议) ${L2.number} (operation_licence:${L2.id}) was deleted: ledger entry`);
    expect((await verify()).code).toBe(0);
  });
});
