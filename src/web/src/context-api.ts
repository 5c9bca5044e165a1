import { api, documentedRoute, notDocumented, withQuery } from './api.js';
// Type only: an entity as the context API answers it (src/context/schemas.ts).
import type { NgsiEntity as NgsiEntitySchema } from '../../context/schemas.js';

/**
 * An NGSI-LD entity: `id`, `type` and its attributes by name. The server's schema allows any further member
 * (`additionalProperties: true`), which its `Static<>` type does not spell; the index signature says it here.
 */
export type NgsiEntity = NgsiEntitySchema & { [attribute: string]: unknown };

const V1 = '/ngsi-ld/v1';

/**
 * `GET /ngsi-ld/v1/types` answers an NGSI-LD EntityTypeList (`typeList`), or with `details=true` a list of
 * EntityType objects; the server's schema leaves it free-form, so the answer is read here either way.
 */
type TypeListAnswer = { typeList?: string[] } | { typeName?: string; id?: string }[];

/** The context layer's NGSI-LD API as the cockpit reads it (only when this server documents it). */
export const contextApi = {
  /** The entity types this city has (their expanded or compact names). */
  types: async (): Promise<string[]> => {
    if (!(await documentedRoute('GET', `${V1}/types`))) throw notDocumented('GET', `${V1}/types`);
    const list = await api<TypeListAnswer>('GET', `${V1}/types`);
    return Array.isArray(list) ? list.map((x) => x.typeName ?? x.id ?? '').filter(Boolean) : list.typeList ?? [];
  },
  /** Up to `limit` entities of one type, normalized. */
  entities: (type: string, limit: number) => api<NgsiEntity[]>('GET', withQuery(`${V1}/entities`, { type, limit })),
  /**
   * Up to `limit` entities of one type and how many there are in all (`count=true`: the NGSILD-Results-Count
   * header), so a screen shows 1,500 streetlights, not "100+".
   */
  entityPage: async (type: string, limit: number): Promise<{ entities: NgsiEntity[]; count: number }> => {
    const url = withQuery(`${V1}/entities`, { type, limit, count: true });
    const response = await fetch(url, { credentials: 'same-origin', headers: { accept: 'application/json' } }).catch(() => null);
    // any failure: the same call through api() for its problem+json error
    if (!response?.ok) return { entities: await api<NgsiEntity[]>('GET', url), count: 0 };
    const entities = (await response.json()) as NgsiEntity[];
    return { entities, count: Number(response.headers.get('NGSILD-Results-Count') ?? entities.length) };
  },
};
