import { systemActor, type Actor } from '../platform/auth/roles.js';

/** The slice of identity the module reads organisations through. */
export interface OrgSource {
  listOrgs(actor: Actor): Promise<Array<{ id: string; name: string; kind: string; credit_code?: string | null }>>;
}

export interface OrgEntry {
  name: string;
  kind: string;
  creditCode: string | null;
}

/** The module reads organisations as itself (the data bureau's read), not as the caller. */
const reader = systemActor('operation', ['data_admin']);

/** Organisations' names and 统一社会信用代码, read from identity for views, statements and disclosures. */
export class OrgNames {
  constructor(private readonly source: OrgSource) {}

  async all(): Promise<Map<string, OrgEntry>> {
    const orgs = await this.source.listOrgs(reader);
    return new Map(orgs.map((o) => [o.id, { name: o.name, kind: o.kind, creditCode: o.credit_code ?? null }]));
  }
}
