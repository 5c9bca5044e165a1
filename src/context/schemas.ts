import { Type, type Static } from 'typebox';

/**
 * The request and response schemas of the NGSI-LD API (/ngsi-ld/v1) and CityHub's access-rule extension, with
 * the types derived from them. NGSI-LD entities, attributes and subscriptions are free-form JSON-LD (compact
 * names, normalized or concise values, an optional @context): their schemas only say "a JSON object" and the
 * services check the shape the standard gives (entity-model.ts, subscription-service.ts), answering
 * BadRequestData naming the fault, one entity at a time in batches. A leaf: imports nothing but typebox.
 */

// ---- problems ---------------------------------------------------------------------------------------------

/** A problem as NGSI-LD reports it (§5.5.2): `type` is the NGSI-LD error type URI; CityHub's members follow. */
export const NgsiProblem = Type.Object(
  { type: Type.String(), title: Type.String(), status: Type.Integer(), detail: Type.Optional(Type.String()) },
  { additionalProperties: true },
);
/** A problem inside a 207 batch report or a notification status: the NGSI-LD members only. */
export const NgsiProblemDetails = Type.Object({ type: Type.String(), title: Type.String(), status: Type.Integer(), detail: Type.Optional(Type.String()) });
export type NgsiProblemDetails = Static<typeof NgsiProblemDetails>;

/** 201/204 answers without a body (`reply.send()`: NGSI-LD's 201 carries only a Location header). */
export const NoContent = Type.Unsafe<undefined>(Type.Null());

/** The error statuses NGSI-LD routes answer with. */
export const ngsiProblems = {
  400: NgsiProblem, 401: NgsiProblem, 403: NgsiProblem, 404: NgsiProblem, 406: NgsiProblem, 409: NgsiProblem,
  413: NgsiProblem, 415: NgsiProblem, 422: NgsiProblem, 503: NgsiProblem,
};

// ---- entities ---------------------------------------------------------------------------------------------

/**
 * An entity as answered (normalized, concise or keyValues; `pick`/`omit` may leave out even id and type).
 * Answers are written by the routes themselves (JSON, JSON-LD or GeoJSON), so this documents, it does not filter.
 */
export const NgsiEntity = Type.Object(
  { id: Type.Optional(Type.String()), type: Type.Optional(Type.Union([Type.String(), Type.Array(Type.String())])) },
  { additionalProperties: true },
);
/** What a create answers: nothing, or with `Prefer: return=representation` the entity as it now is. */
export const EntityOrNothing = Type.Union([NoContent, NgsiEntity]);
export type NgsiEntity = Static<typeof NgsiEntity>;
export const NgsiEntityList = Type.Array(NgsiEntity);
/** GET /entities/{id}: the entity, or with join=flat the entity and those it links to. */
export const NgsiEntityOrList = Type.Union([NgsiEntity, NgsiEntityList]);
/** The ids a batch create (or an upsert that created some) answers with (201). */
export const EntityIdList = Type.Array(Type.String());
/** A batch create's 201: the ids, nothing (`Prefer: return=minimal`) or the entities (`return=representation`). */
export const BatchCreated = Type.Union([EntityIdList, NgsiEntityList, NoContent]);

/** A JSON-LD object body (an entity, a fragment of attributes, a subscription): its members are checked by the service. */
export const JsonObjectBody = Type.Record(Type.String(), Type.Unknown());
export type JsonObjectBody = Static<typeof JsonObjectBody>;
/** One attribute (PUT …/attrs/{attrId}): an instance, a concise value or a list of instances. */
export const AttributeBody = Type.Unknown();
/** The entities of a batch: each is checked on its own, so one bad entity fails alone (207), not the batch. */
export const EntityBatchBody = Type.Array(Type.Unknown());
/** The ids of a batch delete: each is checked on its own, like the entities of a batch write. */
export const EntityIdBatchBody = Type.Array(Type.Unknown());

export const EntityIdParams = Type.Object({ entityId: Type.String() });
export type EntityIdParams = Static<typeof EntityIdParams>;
export const AttributeParams = Type.Object({ entityId: Type.String(), attrId: Type.String() });
export type AttributeParams = Static<typeof AttributeParams>;
export const TypeNameParams = Type.Object({ type: Type.String() });
export const AttributeNameParams = Type.Object({ attrId: Type.String() });
/** GET /types, /attributes: `details=true` lists the details of each instead of the names. */
export const DetailsQuery = Type.Object({ details: Type.Optional(Type.Boolean()), local: Type.Optional(Type.Boolean()) });
/** GET /types/{type}, /attributes/{attrId}: `local` only (§6.26.3.1, §6.28.3.1); any other parameter is InvalidRequest (§6.3.20). */
export const LocalQuery = Type.Object({ local: Type.Optional(Type.Boolean()) });
/** One attribute instance of the temporal representation (§6.22). */
export const InstanceParams = Type.Object({ entityId: Type.String(), attrId: Type.String(), instanceId: Type.String() });

/** How an entity is rendered (§6.3.7 options, §4.5 formats, pick/omit/attrs, language, GeoJSON's geometry). */
const outputMembers = {
  options: Type.Optional(Type.String()),
  format: Type.Optional(Type.String()),
  attrs: Type.Optional(Type.String()),
  pick: Type.Optional(Type.String()),
  omit: Type.Optional(Type.String()),
  lang: Type.Optional(Type.String()),
  geometryProperty: Type.Optional(Type.String()),
  /** v1.8 §5.7.1.4, §5.7.2.4: only the attribute instances with these datasetIds (`@none`: the default one). */
  datasetId: Type.Optional(Type.String()),
};
/** v1.8 §4.5.23 linked entity retrieval (entity-join.ts). */
const joinMembers = {
  join: Type.Optional(Type.String()),
  joinLevel: Type.Optional(Type.Integer()),
  /** v1.8 §4.5.23: ids of entities already met while retrieving the graph (their links are not followed again). */
  containedBy: Type.Optional(Type.String()),
};
export const OutputQuery = Type.Object({ ...outputMembers, ...joinMembers });
/** What a rendered entity shows; `geoJson` when the client asked for application/geo+json. */
export type OutputOptions = Static<typeof OutputQuery> & { geoJson?: boolean };

/** Which entities (§4.9 q, §4.10 geo-queries, type lists, id patterns). */
const filterMembers = {
  id: Type.Optional(Type.String()),
  type: Type.Optional(Type.String()),
  idPattern: Type.Optional(Type.String()),
  q: Type.Optional(Type.String()),
  /** §4.19 scope query: `/A/B`, `/A/#`, `/A/+`, `;` AND, `,` OR. */
  scopeQ: Type.Optional(Type.String()),
  /** §4.9 context source filter: checked (a valid q); this broker's own entities are not filtered by it. */
  csf: Type.Optional(Type.String()),
  /** v1.8: attributes whose string values in q are expanded with the @context (VocabProperty terms). */
  expandValues: Type.Optional(Type.String()),
  georel: Type.Optional(Type.String()),
  geometry: Type.Optional(Type.String()),
  /** A JSON array as text (in a query string). */
  coordinates: Type.Optional(Type.String()),
};
const pageMembers = {
  limit: Type.Optional(Type.Integer({ minimum: 0 })),
  offset: Type.Optional(Type.Integer({ minimum: 0 })),
};

/** GET /entities (§6.4.3.1). */
export const EntityQuery = Type.Object({
  ...outputMembers,
  ...joinMembers,
  ...filterMembers,
  geoproperty: Type.Optional(Type.String()),
  ...pageMembers,
  count: Type.Optional(Type.Boolean()),
  /** `a,!b`: sort by attribute a ascending, then b descending (then id); `id` sorts by the entity id. */
  orderBy: Type.Optional(Type.String()),
  /** v1.9 §5.14: page through an entity map made from this query (its path comes back in NGSILD-EntityMap). */
  entityMap: Type.Optional(Type.Boolean()),
  /** v1.8 §5.7.2: true, the entities held here only (no context source is asked). */
  local: Type.Optional(Type.Boolean()),
});
export type EntityQuery = Static<typeof EntityQuery>;
/**
 * What an entity query asks, from GET /entities' query string or POST /entityOperations/query's body (whose
 * geoQ coordinates are JSON, not text).
 */
export type EntityQueryParams = Omit<EntityQuery, 'coordinates'> & { coordinates?: unknown };

/** POST /entities/{id}/attrs (`options=noOverwrite`), the batch writes (`options=update|noOverwrite`). */
export const OptionsQuery = Type.Object({ options: Type.Optional(Type.String()) });
/** The entity-type selector of a write to one entity (§4.17, §5.6.2–5.6.6, §5.6.17–5.6.19): not of that type, 404. */
const typeSelector = { type: Type.Optional(Type.String()) };
export const TypeSelectorQuery = Type.Object(typeSelector);
/** GET /entities/{id} (§5.7.1): output options, join, and the type selector (v1.9: not of that type, 404). */
export const RetrieveQuery = Type.Object({ ...outputMembers, ...joinMembers, ...typeSelector });
/** POST /entities/{id}/attrs: options (noOverwrite) and the type selector. */
export const AppendQuery = Type.Object({ options: Type.Optional(Type.String()), ...typeSelector });
/** DELETE /entities/{id}/attrs/{attrId}: one instance by datasetId, or all. */
export const DeleteAttributeQuery = Type.Object({ datasetId: Type.Optional(Type.String()), deleteAll: Type.Optional(Type.Boolean()), ...typeSelector });
export type DeleteAttributeQuery = Static<typeof DeleteAttributeQuery>;

/** §5.2.33 EntitySelector: the type (mandatory) and one id, a list of ids or an idPattern (an id wins over it). */
const EntitySelector = Type.Object(
  { id: Type.Optional(Type.Union([Type.String(), Type.Array(Type.String(), { minItems: 1 })])), type: Type.String(), idPattern: Type.Optional(Type.String()) },
  { additionalProperties: true },
);
/** Names as a comma-separated string or a list (`pick`, `omit` of a Query). */
const NameList = Type.Union([Type.String(), Type.Array(Type.String(), { minItems: 1 })]);

/**
 * POST /entityOperations/query (§6.23): the query in the body (§5.2.23 Query: empty lists are not allowed, `type`
 * is Query), paging in the query string.
 */
export const QueryBody = Type.Object(
  {
    type: Type.Optional(Type.Literal('Query')),
    entities: Type.Optional(Type.Array(EntitySelector, { minItems: 1 })),
    attrs: Type.Optional(Type.Array(Type.String(), { minItems: 1 })),
    pick: Type.Optional(NameList),
    omit: Type.Optional(NameList),
    lang: Type.Optional(Type.String()),
    join: Type.Optional(Type.String()),
    joinLevel: Type.Optional(Type.Integer({ minimum: 1 })),
    containedBy: Type.Optional(Type.Array(Type.String())),
    datasetId: Type.Optional(Type.Array(Type.String(), { minItems: 1 })),
    q: Type.Optional(Type.String()),
    scopeQ: Type.Optional(Type.String()),
    geoQ: Type.Optional(Type.Object(
      { georel: Type.Optional(Type.String()), geometry: Type.Optional(Type.String()), coordinates: Type.Optional(Type.Unknown()), geoproperty: Type.Optional(Type.String()) },
      { additionalProperties: true },
    )),
  },
  { additionalProperties: true },
);
export type QueryBody = Static<typeof QueryBody>;
/** POST /entityOperations/query's query string (§6.23.3.1): paging, `options`/`format`, `join`/`joinLevel`. */
export const QueryPageQuery = Type.Object({
  ...pageMembers,
  count: Type.Optional(Type.Boolean()),
  options: Type.Optional(Type.String()),
  format: Type.Optional(Type.String()),
  datasetId: Type.Optional(Type.String()),
  ...joinMembers,
});

/** 207 of PATCH/POST …/attrs (§5.2.18 UpdateResult). */
export const AttrUpdateResult = Type.Object({
  updated: Type.Array(Type.String()),
  notUpdated: Type.Array(Type.Object({ attributeName: Type.String(), reason: Type.String() })),
});
export type AttrUpdateResult = Static<typeof AttrUpdateResult>;

/** 207 of a batch operation (§5.2.16 BatchOperationResult). */
export const BatchReport = Type.Object({
  success: Type.Array(Type.String()),
  errors: Type.Array(Type.Object({ entityId: Type.String(), error: NgsiProblemDetails })),
});
export type BatchReport = Static<typeof BatchReport>;
/** A batch's outcome: the report, and which entities it created (an upsert answers 201 with them). */
export type BatchResult = BatchReport & { created: string[] };

/** GET /types, /types/{type}, /attributes (§5.2.24–5.2.27): written by the route. */
export const TypeListAnswer = Type.Unknown();

// ---- @context API (§6.29–6.30) -----------------------------------------------------------------------------

/** A hosted context's local id, or a cached context's URL (percent-encoded in the path). */
export const ContextIdParams = Type.Object({ contextId: Type.String() });
export const ContextListQuery = Type.Object({ details: Type.Optional(Type.Boolean()), kind: Type.Optional(Type.String()) });
/** DELETE /jsonldContexts/{id}: `reload=true` fetches a cached context again instead of dropping it. */
export const ContextReloadQuery = Type.Object({ reload: Type.Optional(Type.Boolean()) });

// ---- temporal ---------------------------------------------------------------------------------------------

const temporalMembers = {
  options: Type.Optional(Type.String()),
  format: Type.Optional(Type.String()),
  attrs: Type.Optional(Type.String()),
  timerel: Type.Optional(Type.String()),
  timeAt: Type.Optional(Type.String()),
  endTimeAt: Type.Optional(Type.String()),
  lastN: Type.Optional(Type.Integer({ minimum: 1 })),
  aggrMethods: Type.Optional(Type.String()),
  aggrPeriodDuration: Type.Optional(Type.String()),
  /** §6.3.x: the time the window applies to: observedAt (default), createdAt or modifiedAt. */
  timeproperty: Type.Optional(Type.String()),
};
/** GET /temporal/entities/{id} (§6.19). */
export const TemporalEntityQuery = Type.Object(temporalMembers);
export type TemporalEntityQuery = Static<typeof TemporalEntityQuery>;
/** GET /temporal/entities (§6.18): the temporal members with the entity filter and paging. */
export const TemporalQuery = Type.Object({
  ...temporalMembers,
  ...filterMembers,
  ...pageMembers,
  count: Type.Optional(Type.Boolean()),
});
export type TemporalQuery = Static<typeof TemporalQuery>;
/** POST /temporal/entityOperations/query's query string (§6.24.3.1): paging, count, representation, lastN, aggregation. */
export const TemporalPostQuery = Type.Object({
  ...pageMembers,
  count: Type.Optional(Type.Boolean()),
  options: temporalMembers.options,
  format: temporalMembers.format,
  lastN: temporalMembers.lastN,
  aggrMethods: temporalMembers.aggrMethods,
  aggrPeriodDuration: temporalMembers.aggrPeriodDuration,
});
/** Its body: a Query (§5.2.23) whose `temporalQ` (§5.2.21) holds the time window. */
export const TemporalQueryBody = Type.Object(
  {
    ...QueryBody.properties,
    temporalQ: Type.Optional(Type.Object(
      {
        timerel: Type.Optional(Type.String()), timeAt: Type.Optional(Type.String()), endTimeAt: Type.Optional(Type.String()),
        timeproperty: Type.Optional(Type.String()), lastN: Type.Optional(Type.Integer({ minimum: 1 })),
      },
      { additionalProperties: true },
    )),
  },
  { additionalProperties: true },
);
export type TemporalQueryBody = Static<typeof TemporalQueryBody>;
/** An entity's temporal representation (§5.2.37, aggregated §5.2.39): written by the route. */
export const TemporalEntity = Type.Object({}, { additionalProperties: true });
export const TemporalEntityList = Type.Array(TemporalEntity);

// ---- subscriptions ----------------------------------------------------------------------------------------

export const SubscriptionIdParams = Type.Object({ subscriptionId: Type.String() });
/** §6.10.3.2 (GET /subscriptions): paging; `count=true` answers the total in NGSILD-Results-Count (limit 0: only it). */
export const SubscriptionListQuery = Type.Object({
  limit: Type.Optional(Type.Integer({ minimum: 0, maximum: 1000 })),
  offset: Type.Optional(Type.Integer({ minimum: 0 })),
  count: Type.Optional(Type.Boolean()),
});
/** A subscription as answered (§5.2.12), with its status members: written by the route. */
export const NgsiSubscription = Type.Object({}, { additionalProperties: true });
export const NgsiSubscriptionList = Type.Array(NgsiSubscription);

// ---- access rules (CityHub's extension) -------------------------------------------------------------------

export const NewAccessRule = Type.Object({
  orgId: Type.String(),
  entityType: Type.String(),
  attributes: Type.Optional(Type.Array(Type.String())),
  canWrite: Type.Optional(Type.Boolean()),
});
export type NewAccessRule = Static<typeof NewAccessRule>;

export const AccessRule = Type.Object({
  id: Type.String(),
  orgId: Type.String(),
  entityType: Type.String(),
  attributes: Type.Union([Type.Array(Type.String()), Type.Null()]),
  canWrite: Type.Boolean(),
});
export type AccessRule = Static<typeof AccessRule>;
export const AccessRuleList = Type.Array(AccessRule);
export const AccessRuleIdParams = Type.Object({ ruleId: Type.String() });
