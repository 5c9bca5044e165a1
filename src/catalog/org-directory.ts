import { systemActor, type Actor } from '../platform/auth/roles.js';

/** The slice of the identity service the catalog needs: organisation names for publishers and consumers. */
export interface OrgSource {
  listOrgs(actor: Actor): Promise<Array<{ id: string; name: string; kind: string }>>;
}

/**
 * The catalog reads organisations as itself, not as the caller (a citizen may see which unit used their data),
 * with the data bureau's role, which may read organisations.
 */
const catalogSystem = systemActor('catalog', ['data_admin']);

export class OrgDirectory {
  constructor(private readonly source: OrgSource) {}

  async names(): Promise<Map<string, string>> {
    return new Map((await this.source.listOrgs(catalogSystem)).map((o) => [o.id, o.name]));
  }

  async exists(id: string): Promise<boolean> {
    return (await this.names()).has(id);
  }
}
