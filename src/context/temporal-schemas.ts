import { Type, type Static } from 'typebox';
import { TemporalEntityQuery as EntityBase, TemporalPostQuery as PostBase, TemporalQuery as QueryBase, TemporalQueryBody as BodyBase } from './schemas.js';

/**
 * The temporal retrieval and query parameters (§6.18.3.1, §6.19.3.1, §6.24.3.1) beyond those schemas.ts gives:
 * the output members of v1.8 (pick/omit §4.21, `datasetId` §4.5.5, `lang` §4.15) and the geo-query's
 * `geoproperty`. Kept here so temporal retrieval grows without touching the shared schemas.
 */
const outputMembers = {
  pick: Type.Optional(Type.String()),
  omit: Type.Optional(Type.String()),
  /** Only the instances of these datasetIds (`@none`: the default instance). */
  datasetId: Type.Optional(Type.String()),
  /** LanguageProperty instances in this language (§4.15). */
  lang: Type.Optional(Type.String()),
};

/** GET /temporal/entities/{id} (§6.19). */
export const TemporalEntityQuery = Type.Object({ ...EntityBase.properties, ...outputMembers });
export type TemporalEntityQuery = Static<typeof TemporalEntityQuery>;

/** GET /temporal/entities (§6.18): with the entity filter, the geo-query (on the history) and paging. */
export const TemporalQuery = Type.Object({
  ...QueryBase.properties, ...outputMembers, geoproperty: Type.Optional(Type.String()),
  /** v1.9 §4.23: the order of the entities (as GET /entities: `a;desc`, `!a`, `id`). */
  orderBy: Type.Optional(Type.String()),
});
export type TemporalQuery = Static<typeof TemporalQuery>;

/** POST /temporal/entityOperations/query's query string (§6.24.3.1). */
export const TemporalPostQuery = Type.Object({ ...PostBase.properties, ...outputMembers });

/** Its body: a Query (§5.2.23) whose temporalQ (§5.2.21) may also carry the aggregation (aggrMethods a list or a comma-separated string). */
export const TemporalQueryBody = Type.Object(
  {
    ...BodyBase.properties,
    lang: Type.Optional(Type.String()),
    temporalQ: Type.Optional(Type.Object(
      {
        ...BodyBase.properties.temporalQ.properties,
        aggrMethods: Type.Optional(Type.Union([Type.String(), Type.Array(Type.String())])),
        aggrPeriodDuration: Type.Optional(Type.String()),
      },
      { additionalProperties: true },
    )),
  },
  { additionalProperties: true },
);
export type TemporalQueryBody = Static<typeof TemporalQueryBody>;

/** The answers: a list (200, or 206 when the temporal limit cut the instances, §6.3.10) or one entity. */
export { TemporalEntity, TemporalEntityList } from './schemas.js';
