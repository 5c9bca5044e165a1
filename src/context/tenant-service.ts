import type { Db } from '../platform/db/database.js';
import { ngsiProblem } from './ngsi-errors.js';
import { insertTenant, tenantExists } from './entity-store.js';

const TENANT_RE = /^[A-Za-z0-9_-]{1,64}$/;

/** The tenants of the context layer (NGSILD-Tenant, §6.3.14): each is its own set of entities and subscriptions. */
export class TenantService {
  /** Tenants known to exist; the default tenant ('') always does. */
  private readonly known = new Set<string>(['']);

  constructor(private readonly db: Db) {}

  /**
   * Checks the tenant name; on writes creates the tenant on first use, on reads refuses one that does not exist.
   *
   * @example const tenant = await tenants.resolve(scope.tenant, false);
   */
  async resolve(name: string | undefined, write: boolean): Promise<string> {
    const tenant = name ?? '';
    if (this.known.has(tenant)) return tenant;
    if (!TENANT_RE.test(tenant)) throw ngsiProblem('BadRequestData', `NGSILD-Tenant "${tenant.slice(0, 80)}" must be 1–64 letters, digits, _ or -`);
    if (await tenantExists(this.db, tenant)) {
      this.known.add(tenant);
      return tenant;
    }
    if (!write) throw ngsiProblem('NonexistentTenant', `tenant ${tenant} does not exist`);
    await insertTenant(this.db, tenant);
    this.known.add(tenant);
    return tenant;
  }
}
