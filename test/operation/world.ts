import { expect } from 'vitest';
import type { Engine } from '../../src/platform/db/database.js';
import type { Role } from '../../src/platform/auth/roles.js';
import type { DatabaseHandle } from '../../src/platform/db/database.js';
import type { Config } from '../../src/platform/config/config.js';
import { createTestHub, type TestHub } from '../support/test-hub.js';
import { populationDataset, populationRows } from '../catalog/fixtures.js';
import type { LicenceInput, ProductSpec } from '../../src/operation/index.js';
import { creditCodeCheckCharacter } from '../../src/platform/auth/auth-service.js';

const setup = { kind: 'user' as const, roles: ['admin' as const] };
export const DAY = 86_400_000;

/** A valid 统一社会信用代码 (GB 32100-2015) from 17 characters: the check character is computed. */
export const creditCode = (first17: string): string => first17 + creditCodeCheckCharacter(first17);

type Method = 'GET' | 'POST' | 'PUT' | 'PATCH';

/**
 * A city set up for authorized operation over HTTP: the data bureau as implementing body, the police as
 * providing department with the population dataset (conditionally shared), an operator and two market users
 * with credit codes, each acting through an API key of its role.
 */
export class OperationWorld {
  hub!: TestHub;
  now: Date;
  readonly orgs: Record<string, string> = {};
  readonly keys: Record<string, string> = {};
  readonly parties: Record<string, string> = {};
  resourceId = '';

  constructor(now = new Date('2026-03-02T02:00:00Z')) {
    this.now = now;
  }

  async start(engine: Engine, options: { rows?: number; config?: Partial<Config>; database?: DatabaseHandle } = {}): Promise<this> {
    this.hub = await createTestHub(engine, { clock: () => this.now, config: options.config, database: options.database });
    const org = async (name: string, kind: 'department' | 'operator' | 'enterprise', code?: string) =>
      (this.orgs[name] = (await this.hub.services.auth.insertOrg(setup, { name: `${name}-org`, kind, creditCode: code ?? null })).id);
    await org('bureau', 'department', creditCode('11990000MB0000001'));
    await org('police', 'department', creditCode('11990000MB0000002'));
    await org('operator', 'operator', creditCode('91990000MA0000001'));
    await org('bank', 'enterprise', creditCode('91990000MA0000002'));
    await org('insurer', 'enterprise', creditCode('91990000MA0000003'));
    await org('nocode', 'enterprise');
    await this.key('admin', ['operation_admin'], 'bureau');
    await this.key('supervisor', ['operation_supervisor'], 'bureau');
    await this.key('owner', ['dept_data_owner'], 'police');
    await this.key('operator', ['market_operator'], 'operator');
    await this.key('strangerOperator', ['market_operator'], 'bank');

    const population = populationDataset();
    expect((await this.call('owner', 'POST', '/api/catalog/datasets', population)).statusCode).toBe(201);
    expect((await this.call('owner', 'POST', '/api/catalog/datasets/population/rows', { rows: populationRows(options.rows ?? 40) })).statusCode).toBe(201);

    // staff register their own organisation as the implementing body, never another one
    const other = await this.call('admin', 'POST', '/api/operation/parties', { orgId: this.orgs.police, kind: 'implementing_body' });
    expect(other.json()).toMatchObject({ code: 'OPERATION_NOT_IMPLEMENTING_BODY', errors: [{ field: '/body/orgId' }] });
    this.parties.body = await this.party('bureau', 'implementing_body');
    this.parties.operator = await this.party('operator', 'operator');
    this.parties.bank = await this.party('bank', 'market_user');
    this.parties.insurer = await this.party('insurer', 'market_user');
    const resource = await this.call('admin', 'POST', '/api/operation/resources', { dataset: 'population' });
    expect(resource.statusCode, resource.body).toBe(201);
    this.resourceId = resource.json().id;
    return this;
  }

  async key(name: string, roles: Role[], org: string): Promise<string> {
    return (this.keys[name] = (await this.hub.services.auth.createApiKey(setup, { name, roles, orgId: this.orgs[org]! })).key);
  }

  async party(org: string, kind: string): Promise<string> {
    const res = await this.call('admin', 'POST', '/api/operation/parties', { orgId: this.orgs[org], kind });
    expect(res.statusCode, res.body).toBe(201);
    return res.json().id;
  }

  call(who: string, method: Method, url: string, payload?: unknown) {
    return this.hub.http.inject({
      method, url, headers: { authorization: `Bearer ${this.keys[who] ?? who}` }, ...(payload !== undefined ? { payload: payload as object } : {}),
    });
  }

  /** Licence terms over the population dataset; `overrides` replace any part. */
  licenceInput(overrides: Partial<LicenceInput> = {}): LicenceInput {
    return {
      operator: this.parties.operator!,
      title: '人口数据授权运营（金融风控场景）',
      mode: 'scenario',
      scope: [{ dataset: 'population', fields: ['id_number', 'name', 'age', 'district', 'income', 'address'] }],
      maxGrade: 'important',
      scenarios: [
        { code: 'credit', name: '信贷风控', purposes: ['kyc', 'loan_review'] },
        { code: 'welfare', name: '社会救助', purposes: ['relief_check'] },
      ],
      validFrom: '2026-01-01',
      validUntil: '2026-12-31',
      quota: { period: 'month', calls: null, records: null },
      maxPermittedIncomeFen: 50_000_000,
      securityObligations: ['原始数据不出域', '等保三级'],
      ...overrides,
    };
  }

  /** Applies (as the operator) and approves (as the implementing body) a licence. */
  async licence(overrides: Partial<LicenceInput> = {}): Promise<{ id: string; number: string }> {
    const applied = await this.call('operator', 'POST', '/api/operation/licences', this.licenceInput(overrides));
    expect(applied.statusCode, applied.body).toBe(201);
    const approved = await this.call('admin', 'POST', `/api/operation/licences/${applied.json().id}/approve`);
    expect(approved.statusCode, approved.body).toBe(200);
    return { id: applied.json().id, number: applied.json().number };
  }

  /** Submits, caps, prices and registers a product; returns its id and number. */
  async product(licence: string, spec: ProductSpec, options: { scenario?: string; price?: { unit: string; priceFen: number }; capFen?: number; name?: string } = {}) {
    const submitted = await this.call('operator', 'POST', '/api/operation/products', {
      licence, name: options.name ?? `${spec.type} product`, description: 'test product', scenario: options.scenario ?? 'credit', spec,
    });
    expect(submitted.statusCode, submitted.body).toBe(201);
    const id = submitted.json().id as string;
    const registered = await this.call('admin', 'POST', `/api/operation/products/${id}/register`);
    expect(registered.statusCode, registered.body).toBe(200);
    if (options.price) {
      const cap = await this.call('admin', 'PUT', `/api/operation/licences/${licence}/fee-caps/${id}`, { unit: options.price.unit, capFen: options.capFen ?? options.price.priceFen });
      expect(cap.statusCode, cap.body).toBe(200);
      const priced = await this.call('operator', 'PUT', `/api/operation/products/${id}/price`, options.price);
      expect(priced.statusCode, priced.body).toBe(200);
    }
    return { id, number: registered.json().number as string };
  }

  /** Admits a market user (by the implementing body when public uses are given) and keeps its key as `name`. */
  async access(name: string, licence: string, marketUser: string, products: string[], purposes: string[], extra: Record<string, unknown> = {}) {
    const by = extra.publicUses ? 'admin' : 'operator';
    const res = await this.call(by, 'POST', '/api/operation/accesses', { licence, marketUser: this.parties[marketUser], products, purposes, ...extra });
    expect(res.statusCode, res.body).toBe(201);
    this.keys[name] = res.json().key;
    return res.json().access.id as string;
  }

  use(who: string, product: string, body: Record<string, unknown>) {
    return this.call(who, 'POST', `/api/operation/products/${product}/call`, body);
  }

  async close(): Promise<void> {
    await this.hub?.close();
  }
}
