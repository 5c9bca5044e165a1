import { checkOutboundUrl, OutboundUrlError, type OutboundPolicy } from '../platform/net/outbound.js';
import { ngsiProblem } from './ngsi-errors.js';
import { compactIri, expandTerm, type LdContext } from './jsonld-context.js';
import { assertAttrName, isUri } from './entity-model.js';
import { assertGeometry, type Geometry } from './geo.js';
import { checkIdPattern, patternTest } from './safe-regex.js';
import { receiverInfoError } from './notification-endpoint.js';
import { parseDuration } from './iso-duration.js';

/**
 * Context-source registrations (ETSI GS CIM 009 §5.2.9, §4.3.6): their validation, the operations they
 * support (Table 4.20-1 and its groups), and which request a registration matches. Names are stored expanded
 * (IRIs), like subscriptions, and compacted with the reader's @context.
 */

export type RegistrationMode = 'inclusive' | 'exclusive' | 'redirect' | 'auxiliary';
export const MODES: readonly RegistrationMode[] = ['inclusive', 'exclusive', 'redirect', 'auxiliary'];

/** The operations a registration can name (§4.20, Table 4.20-1) that CityHub forwards or accepts. */
export const OPERATIONS = [
  'createEntity', 'updateEntity', 'appendAttrs', 'updateAttrs', 'deleteAttrs', 'deleteEntity', 'createBatch', 'upsertBatch',
  'updateBatch', 'deleteBatch', 'upsertTemporal', 'appendAttrsTemporal', 'deleteAttrsTemporal', 'updateAttrsTemporal',
  'deleteAttrInstanceTemporal', 'deleteTemporal', 'mergeEntity', 'replaceEntity', 'replaceAttrs', 'mergeBatch', 'purgeEntity',
  'retrieveEntity', 'queryEntity', 'queryBatch', 'retrieveTemporal', 'queryTemporal', 'retrieveEntityTypes',
  'retrieveEntityTypeDetails', 'retrieveEntityTypeInfo', 'retrieveAttrTypes', 'retrieveAttrTypeDetails', 'retrieveAttrTypeInfo',
  'createSubscription', 'updateSubscription', 'retrieveSubscription', 'querySubscription', 'deleteSubscription',
  'retrieveEntityMap', 'updateEntityMap', 'deleteEntityMap', 'createEntityMapQueryEntity', 'createEntityMapQueryTemporal',
  'retrieveContextSourceIdentity',
] as const;
export type Operation = (typeof OPERATIONS)[number];

const CONSUMPTION: Operation[] = [
  'retrieveEntity', 'queryEntity', 'queryBatch', 'retrieveEntityTypes', 'retrieveEntityTypeDetails', 'retrieveEntityTypeInfo',
  'retrieveAttrTypes', 'retrieveAttrTypeDetails', 'retrieveAttrTypeInfo', 'createSubscription', 'updateSubscription',
  'retrieveSubscription', 'querySubscription', 'deleteSubscription',
];

/** The named groups of Table 4.20-2; a registration without `operations` supports `federationOps` (§5.2.9). */
export const OPERATION_GROUPS: Record<string, readonly Operation[]> = {
  federationOps: [...CONSUMPTION, 'retrieveEntityMap', 'updateEntityMap', 'deleteEntityMap', 'createEntityMapQueryEntity', 'retrieveContextSourceIdentity'],
  associationOps: [...CONSUMPTION, 'retrieveContextSourceIdentity'],
  updateOps: ['updateEntity', 'updateAttrs', 'replaceEntity', 'replaceAttrs'],
  retrieveOps: ['retrieveEntity', 'queryEntity'],
  redirectionOps: [
    'createEntity', 'updateEntity', 'appendAttrs', 'updateAttrs', 'deleteAttrs', 'deleteEntity', 'mergeEntity', 'replaceEntity',
    'replaceAttrs', 'retrieveEntity', 'queryEntity', 'purgeEntity',
  ],
};

/** What changes data at a source: an auxiliary registration may name none of them (§4.3.6.3: it only adds to reads). */
export const WRITES = new Set<Operation>(OPERATION_GROUPS.redirectionOps.filter((o) => o !== 'retrieveEntity' && o !== 'queryEntity')
  .concat(['createBatch', 'upsertBatch', 'updateBatch', 'deleteBatch', 'mergeBatch', 'upsertTemporal', 'appendAttrsTemporal',
    'deleteAttrsTemporal', 'updateAttrsTemporal', 'deleteAttrInstanceTemporal', 'deleteTemporal']));

/** The operations a list names, groups expanded. */
export const expandOperations = (names: readonly string[] | undefined): Set<Operation> =>
  new Set((names ?? ['federationOps']).flatMap((n) => OPERATION_GROUPS[n] ?? [n as Operation]));

/** One `information` item: entities by type (with id or idPattern), and the attributes provided (IRIs). */
export interface RegistrationInfo {
  entities?: { type: string; id?: string; idPattern?: string }[];
  propertyNames?: string[];
  relationshipNames?: string[];
}

/** A registration as stored: names expanded, the registering request's @context kept. */
export interface StoredRegistration {
  id: string;
  type: 'ContextSourceRegistration';
  registrationName?: string;
  description?: string;
  information: RegistrationInfo[];
  tenant?: string;
  endpoint: string;
  mode: RegistrationMode;
  operations?: string[];
  contextSourceInfo?: { key: string; value: string }[];
  expiresAt?: string;
  location?: Geometry;
  /** §5.2.9: where the source observes, and where it can act (GeoJSON geometries, as `location`). */
  observationSpace?: Geometry;
  operationSpace?: Geometry;
  observationInterval?: { startAt?: string; endAt?: string };
  managementInterval?: { startAt?: string; endAt?: string };
  scope?: string | string[];
  /** §5.2.34 RegistrationManagementInfo: `localOnly`, `cacheDuration`, `timeout`, `cooldown`, kept as given. */
  management?: Record<string, unknown>;
  /** §5.2.9 Context Source Properties: further members that are Properties (expanded name → the Property). */
  properties?: Record<string, unknown>;
  context: unknown;
}

const bad = (field: string, message: string) => ngsiProblem('BadRequestData', `${field}: ${message}`, { errors: [{ field, message }] });
const isObject = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object' && !Array.isArray(v);
const names = (v: unknown, field: string, ctx: LdContext): string[] => {
  if (!Array.isArray(v) || v.length === 0 || !v.every((n) => typeof n === 'string' && n !== '' && n.length <= 256)) throw bad(field, 'must be a non-empty list of attribute names');
  return v.map((n: string) => expandTerm(ctx, n));
};
const isoTime = (v: unknown, field: string): string => {
  if (typeof v !== 'string' || !/^\d{4}-\d{2}-\d{2}T/.test(v) || Number.isNaN(Date.parse(v))) throw bad(field, 'must be an ISO 8601 date-time');
  return new Date(v).toISOString();
};
const interval = (v: unknown, field: string) => {
  if (!isObject(v)) throw bad(field, 'must be {startAt, endAt}');
  const out: { startAt?: string; endAt?: string } = {};
  if (v.startAt !== undefined) out.startAt = isoTime(v.startAt, `${field}.startAt`);
  if (v.endAt !== undefined) out.endAt = isoTime(v.endAt, `${field}.endAt`);
  if (out.startAt && out.endAt && out.startAt > out.endAt) throw bad(field, 'startAt is after endAt');
  return out;
};

/** A Context Source Property's value: its `value` when given as a Property, else the concise value itself. */
export const propertyValue = (v: unknown): unknown => (isObject(v) && v.type === 'Property' ? v.value : v);

/** A registration's geo members (§5.2.9): the `geoproperty` of a discovery geo-query or of a csource subscription's geoQ. */
export const GEO_MEMBERS = ['location', 'observationSpace', 'operationSpace'] as const;
export type GeoMember = (typeof GEO_MEMBERS)[number];

/** The geo member a geo-query over registrations names (`location` when none); another name is 400 naming `field`. */
export function geoMemberOf(name: unknown, field: string): GeoMember {
  if (name === undefined) return 'location';
  // Core terms: compact, or expanded as the core @context expands them.
  const term = typeof name === 'string' ? name.replace(/^(https:\/\/uri\.etsi\.org\/ngsi-ld\/|ngsi-ld:)/, '') : name;
  if (!GEO_MEMBERS.includes(term as GeoMember)) throw bad(field, `a registration is located by ${GEO_MEMBERS.join(', ')}`);
  return term as GeoMember;
}

/** The members a registration may carry; anything else is refused rather than stored unread. */
const MEMBERS = new Set([
  'id', 'type', 'registrationName', 'description', 'information', 'tenant', 'endpoint', 'mode', 'operations', 'contextSourceInfo',
  'expiresAt', 'location', 'observationInterval', 'managementInterval', 'scope', '@context', 'observationSpace', 'operationSpace',
  'refreshRate', 'cacheDuration', 'timeout', 'cooldown', 'management', 'contextSourceAlias',
]);

export interface ParseOptions {
  ctx: LdContext;
  now: Date;
  outbound: OutboundPolicy;
  patternMaxLength: number;
}

/**
 * Checks a registration body (§5.9.2) and gives its stored form; with `partial` (PATCH, §5.9.3) only the
 * members given. Errors are 400 BadRequestData naming the member.
 */
export function parseRegistration(body: Record<string, unknown>, o: ParseOptions, partial: boolean): Partial<StoredRegistration> {
  const out: Partial<StoredRegistration> = {};
  for (const [k, v] of Object.entries(body)) {
    if (MEMBERS.has(k)) continue;
    // §5.2.9: any other member is a Context Source Property (sourceType, …; concise or a Property), queried with q and csf.
    try {
      assertAttrName(k);
    } catch {
      throw bad(k, 'is neither a member of a ContextSourceRegistration nor a valid Context Source Property name');
    }
    if (v === null || (isObject(v) && v.type !== undefined && (v.type !== 'Property' || !('value' in v)))) throw bad(k, 'a Context Source Property is a value or {"type": "Property", "value": …}');
    (out.properties ??= {})[expandTerm(o.ctx, k)] = v;
  }
  if (!partial || body.type !== undefined) {
    if (body.type !== 'ContextSourceRegistration') throw bad('type', 'must be "ContextSourceRegistration"');
  }
  for (const k of ['registrationName', 'description', 'tenant'] as const) {
    if (body[k] === undefined) continue;
    if (typeof body[k] !== 'string' || (body[k] as string).length > 1024) throw bad(k, 'must be a string of at most 1024 characters');
    out[k] = body[k] as string;
  }
  if (out.tenant !== undefined && !/^[A-Za-z0-9_-]{1,64}$/.test(out.tenant)) throw bad('tenant', 'must be a tenant name (letters, digits, _ and -)');
  if (body.information !== undefined || !partial) {
    const info = body.information;
    if (!Array.isArray(info) || info.length === 0 || info.length > 100) throw bad('information', 'must be a non-empty list (at most 100) of {entities, propertyNames, relationshipNames}');
    out.information = info.map((item, i) => parseInfo(item, `information.${i}`, o));
  }
  if (body.endpoint !== undefined || !partial) {
    if (typeof body.endpoint !== 'string' || !isUri(body.endpoint)) throw bad('endpoint', 'must be the URI of the context source');
    // SSRF: the broker calls this address for its callers; loopback, private and metadata addresses only when
    // the city allows them (checked again, after DNS, on every call).
    try {
      checkOutboundUrl(body.endpoint, o.outbound);
    } catch (err) {
      if (!(err instanceof OutboundUrlError)) throw err;
      throw bad('endpoint', `is refused: ${err.message} (outbound.allow lists what may be called)`);
    }
    out.endpoint = body.endpoint.replace(/\/+$/, '');
  }
  if (body.mode !== undefined) {
    if (!MODES.includes(body.mode as RegistrationMode)) throw bad('mode', `must be one of ${MODES.join(', ')}`);
    out.mode = body.mode as RegistrationMode;
  } else if (!partial) out.mode = 'inclusive';
  if (body.operations !== undefined) {
    const ops = body.operations;
    if (!Array.isArray(ops) || ops.length === 0 || !ops.every((n) => typeof n === 'string')) throw bad('operations', 'must be a non-empty list of operation names');
    const unknown = ops.find((n) => !(n in OPERATION_GROUPS) && !(OPERATIONS as readonly string[]).includes(n));
    if (unknown !== undefined) throw bad('operations', `"${String(unknown).slice(0, 64)}" is not an NGSI-LD operation or operation group`);
    out.operations = ops as string[];
  }
  if (body.contextSourceInfo !== undefined) {
    const error = receiverInfoError(body.contextSourceInfo);
    if (error) throw bad(error.field.replace('notification.endpoint.receiverInfo', 'contextSourceInfo'), error.message);
    out.contextSourceInfo = body.contextSourceInfo as { key: string; value: string }[];
    const jsonldContext = out.contextSourceInfo.find((kv) => kv.key === 'jsonldContext')?.value;
    if (jsonldContext !== undefined && !/^https?:\/\/\S+$/.test(jsonldContext)) throw bad('contextSourceInfo.jsonldContext', 'must be the URL of a JSON-LD @context');
  }
  if (body.expiresAt !== undefined) {
    out.expiresAt = isoTime(body.expiresAt, 'expiresAt');
    if (Date.parse(out.expiresAt) <= o.now.getTime()) throw bad('expiresAt', 'must be in the future');
  }
  for (const k of GEO_MEMBERS) {
    if (body[k] === undefined) continue;
    try {
      out[k] = assertGeometry(body[k], k);
    } catch {
      throw bad(k, 'must be a GeoJSON geometry');
    }
  }
  if (body.management !== undefined) out.management = management(body.management);
  if (body.observationInterval !== undefined) out.observationInterval = interval(body.observationInterval, 'observationInterval');
  if (body.managementInterval !== undefined) out.managementInterval = interval(body.managementInterval, 'managementInterval');
  if (body.scope !== undefined) {
    const s = body.scope;
    if (!(typeof s === 'string' || (Array.isArray(s) && s.every((x) => typeof x === 'string')))) throw bad('scope', 'must be a scope or a list of scopes');
    out.scope = s as string | string[];
  }
  return out;
}

/** §5.2.34 RegistrationManagementInfo: localOnly a boolean, cacheDuration an ISO 8601 duration, timeout and cooldown > 0. */
function management(v: unknown): Record<string, unknown> {
  if (!isObject(v)) throw bad('management', 'must be {localOnly, cacheDuration, timeout, cooldown}');
  if (v.localOnly !== undefined && typeof v.localOnly !== 'boolean') throw bad('management.localOnly', 'must be true or false');
  if (v.cacheDuration !== undefined && !(typeof v.cacheDuration === 'string' && parseDuration(v.cacheDuration) !== undefined)) throw bad('management.cacheDuration', 'must be an ISO 8601 duration');
  for (const k of ['timeout', 'cooldown'] as const) {
    const n = v[k];
    if (n !== undefined && !(typeof n === 'number' && Number.isFinite(n) && n > 0)) throw bad(`management.${k}`, 'must be a number greater than 0');
  }
  return v;
}

function parseInfo(item: unknown, field: string, o: ParseOptions): RegistrationInfo {
  if (!isObject(item)) throw bad(field, 'must be {entities, propertyNames, relationshipNames}');
  for (const k of Object.keys(item)) if (!['entities', 'propertyNames', 'relationshipNames'].includes(k)) throw bad(`${field}.${k}`, 'is not a member of RegistrationInfo');
  const info: RegistrationInfo = {};
  if (item.entities !== undefined) {
    if (!Array.isArray(item.entities) || item.entities.length === 0 || item.entities.length > 100) throw bad(`${field}.entities`, 'must be a non-empty list (at most 100) of {type, id, idPattern}');
    info.entities = item.entities.map((e: unknown, j: number) => {
      const f = `${field}.entities.${j}`;
      if (!isObject(e) || typeof e.type !== 'string' || e.type === '') throw bad(`${f}.type`, 'each entity needs a type');
      if (e.id !== undefined && !isUri(e.id)) throw bad(`${f}.id`, 'must be a URI');
      if (e.idPattern !== undefined) {
        if (typeof e.idPattern !== 'string') throw bad(`${f}.idPattern`, 'must be a regular expression');
        checkIdPattern(e.idPattern, o.patternMaxLength, `${f}.idPattern`);
      }
      if (e.id !== undefined && e.idPattern !== undefined) throw bad(f, 'give id or idPattern, not both');
      return { type: expandTerm(o.ctx, e.type), ...(e.id ? { id: e.id as string } : {}), ...(e.idPattern ? { idPattern: e.idPattern as string } : {}) };
    });
  }
  if (item.propertyNames !== undefined) info.propertyNames = names(item.propertyNames, `${field}.propertyNames`, o.ctx);
  if (item.relationshipNames !== undefined) info.relationshipNames = names(item.relationshipNames, `${field}.relationshipNames`, o.ctx);
  if (!info.entities && !info.propertyNames && !info.relationshipNames) throw bad(field, 'needs entities, propertyNames or relationshipNames');
  return info;
}

/**
 * The rules between members (§4.3.6.3): an exclusive registration names entity ids and attributes (it takes
 * them away from the broker); an auxiliary one supports no operation that changes data.
 */
export function checkModeRules(r: StoredRegistration): void {
  if (r.mode === 'exclusive') {
    r.information.forEach((info, i) => {
      if (!info.entities || info.entities.some((e) => !e.id)) throw bad(`information.${i}.entities`, 'an exclusive registration names each entity by id');
      if (!info.propertyNames && !info.relationshipNames) throw bad(`information.${i}`, 'an exclusive registration names the attributes it provides');
    });
  }
  if (r.mode === 'auxiliary') {
    const write = [...expandOperations(r.operations)].find((op) => WRITES.has(op));
    if (write) throw bad('operations', `an auxiliary registration only adds to reads; ${write} is not allowed`);
  }
}

/** The attributes an information item provides; undefined: all. */
export const infoAttrs = (info: RegistrationInfo): string[] | undefined =>
  info.propertyNames || info.relationshipNames ? [...(info.propertyNames ?? []), ...(info.relationshipNames ?? [])] : undefined;

/** What a request asks about: entity ids, types (IRIs; undefined = any), attributes (IRIs; undefined = all). */
export interface MatchTarget {
  ids?: string[];
  types?: string[];
  attrs?: string[];
  /** §4.9 context source filter (`csf`): only registrations whose members (and Context Source Properties) match. */
  csf?: (r: StoredRegistration) => boolean;
}

const entityMatches = (e: { type: string; id?: string; idPattern?: string }, t: MatchTarget): boolean => {
  if (t.types && !t.types.includes(e.type)) return false;
  if (!t.ids) return true;
  if (e.id) return t.ids.includes(e.id);
  if (e.idPattern) return t.ids.some((id) => patternTest(e.idPattern!, id, Infinity));
  return true;
};

/** The information items of a registration that match the target (§4.3.6.2, "matching registrations"). */
export function matchingInfos(r: StoredRegistration, t: MatchTarget): RegistrationInfo[] {
  return r.information.filter((info) => {
    if (info.entities && !info.entities.some((e) => entityMatches(e, t))) return false;
    const provided = infoAttrs(info);
    return !provided || !t.attrs || t.attrs.some((a) => provided.includes(a));
  });
}

/** The registration rendered for a reader: names compacted with its @context; contextSourceInfo only to managers. */
export function renderRegistration(ctx: LdContext, r: StoredRegistration, showSecrets: boolean, sys?: { createdAt: Date; modifiedAt: Date }): Record<string, unknown> {
  const { context: _context, contextSourceInfo, information, properties, ...rest } = r;
  return {
    ...rest,
    ...Object.fromEntries(Object.entries(properties ?? {}).map(([k, v]) => [compactIri(ctx, k), v])),
    information: information.map((info) => ({
      ...(info.entities ? { entities: info.entities.map((e) => ({ ...e, type: compactIri(ctx, e.type) })) } : {}),
      ...(info.propertyNames ? { propertyNames: info.propertyNames.map((a) => compactIri(ctx, a)) } : {}),
      ...(info.relationshipNames ? { relationshipNames: info.relationshipNames.map((a) => compactIri(ctx, a)) } : {}),
    })),
    ...(contextSourceInfo && showSecrets ? { contextSourceInfo } : {}),
    ...(sys ? { createdAt: new Date(sys.createdAt).toISOString(), modifiedAt: new Date(sys.modifiedAt).toISOString() } : {}),
  };
}

/**
 * Whether two registrations claim the same attribute of the same entity in a way §4.3.6.3 forbids: an
 * exclusive one against any exclusive or redirect one (409 Conflict).
 */
export function conflicts(a: StoredRegistration, b: StoredRegistration): boolean {
  const strict = (m: RegistrationMode) => m === 'exclusive' || m === 'redirect';
  if (!(a.mode === 'exclusive' && strict(b.mode)) && !(b.mode === 'exclusive' && strict(a.mode))) return false;
  for (const x of a.information) {
    for (const y of b.information) {
      const sameEntity = !x.entities || !y.entities || x.entities.some((e) => y.entities!.some((f) => overlap(e, f)));
      if (!sameEntity) continue;
      const ax = infoAttrs(x);
      const ay = infoAttrs(y);
      if (!ax || !ay || ax.some((n) => ay.includes(n))) return true;
    }
  }
  return false;
}

type EntitySelector = { type: string; id?: string; idPattern?: string };
/** Whether two entity selectors can name one entity (two patterns are taken to overlap). */
const overlap = (e: EntitySelector, f: EntitySelector): boolean => {
  if (e.type !== f.type) return false;
  if (e.id && f.id) return e.id === f.id;
  if (e.id && f.idPattern) return patternTest(f.idPattern, e.id, Infinity);
  if (f.id && e.idPattern) return patternTest(e.idPattern, f.id, Infinity);
  return true;
};
