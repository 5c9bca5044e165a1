import { ngsiProblem } from './ngsi-errors.js';
import { attributeMembers, compactIri, entityMembers, expandTerm, type LdContext } from './jsonld-context.js';
import { assertGeometry, bbox, geometryError, type BBox, type Geometry } from './geo.js';

/**
 * The NGSI-LD information model as CityHub stores it: attribute names and types expanded to IRIs, each
 * attribute a list of instances (one per datasetId; the default instance has none), sub-attributes inline under
 * their expanded names. Inputs in normalized or concise form are checked and turned into this; outputs are
 * rendered from it as normalized, concise, keyValues or GeoJSON.
 */

export type Instance = Record<string, unknown> & { type: AttrType };
export type AttrType = 'Property' | 'Relationship' | 'GeoProperty' | 'LanguageProperty' | 'JsonProperty' | 'VocabProperty' | 'ListProperty' | 'ListRelationship';
export type Attrs = Record<string, Instance[]>;

export interface StoredEntity {
  id: string;
  types: string[];
  attrs: Attrs;
  scope?: string[];
  createdAt: string;
  modifiedAt: string;
  /** v1.9 `expiresAt`: the entity is deleted then (entity-service expire). */
  expiresAt?: string;
}

export const LOCATION = 'https://uri.etsi.org/ngsi-ld/location';
const attrTypes = new Set<AttrType>(['Property', 'Relationship', 'GeoProperty', 'LanguageProperty', 'JsonProperty', 'VocabProperty', 'ListProperty', 'ListRelationship']);
/** The GeoJSON geometry types: `{"type": "Point", "coordinates": …}` as an attribute is a concise GeoProperty. */
const geometryTypes = new Set(['Point', 'MultiPoint', 'LineString', 'MultiLineString', 'Polygon', 'MultiPolygon']);

/** NGSI-LD Null (§4.5.0, v1.8): a value that deletes the attribute instance it is given for. */
export const NGSI_NULL = 'urn:ngsi-ld:null';

/**
 * Whether an attribute of a merge or update is NGSI-LD Null in any of its forms (a bare `"urn:ngsi-ld:null"`, or
 * an instance whose value, object, json, vocab, languageMap, valueList or objectList is it): it deletes that
 * instance (its datasetId says which).
 */
export function isNgsiNull(raw: unknown): boolean {
  if (raw === NGSI_NULL) return true;
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) return false;
  const r = raw as Record<string, unknown>;
  const oneNull = (v: unknown) => v === NGSI_NULL || (Array.isArray(v) && v.length === 1 && v[0] === NGSI_NULL);
  if (oneNull(r.value) || oneNull(r.object) || oneNull(r.json) || oneNull(r.vocab) || oneNull(r.valueList) || oneNull(r.objectList)) return true;
  const map = r.languageMap;
  return !!map && typeof map === 'object' && !Array.isArray(map) && (map as Record<string, unknown>)['@none'] === NGSI_NULL;
}

/**
 * Names an attribute may not have (§4.6.3): the members of entities and attributes, which JSON-LD would read as
 * the keyword, not as an attribute. `createdAt`/`modifiedAt`/`deletedAt` of an entity are system members and
 * are ignored on input instead.
 */
const reservedAttrNames = new Set(['id', '@id', 'type', '@type', '@context', 'scope', 'value', 'object', 'languageMap', 'json', 'vocab',
  'valueList', 'objectList', 'datasetId', 'instanceId', 'observedAt', 'unitCode', 'lang', 'objectType', 'previousValue', '@value', '@graph']);
const NGSI = 'https://uri.etsi.org/ngsi-ld/';

/**
 * Characters no URI or IRI of an id may hold (§4.5.1, RFC 3986/3987): controls, format characters (bidi
 * overrides, zero-width ones, the BOM), separators and spaces of any kind, private use, variation selectors,
 * noncharacters and the blank-looking fillers — an id holding one reads as another id in logs and screens.
 */
const invisible = /[\p{Cc}\p{Cf}\p{Co}\p{Cs}\p{Z}\uFE00-\uFE0F\u{E0100}-\u{E01EF}\uFDD0-\uFDEF\u115F\u1160\u3164\uFFA0\u2800\uFFFE\uFFFF\u{1FFFE}\u{1FFFF}\u{2FFFE}\u{2FFFF}\u{3FFFE}\u{3FFFF}\u{EFFFE}\u{EFFFF}\u{FFFFE}\u{FFFFF}\u{10FFFE}\u{10FFFF}]/u;
/** NGSI-LD ids are URIs (§4.6.2): a scheme, a colon, no spaces nor invisible characters. */
export const isUri = (s: unknown): s is string =>
  typeof s === 'string' && s.length <= 1024 && /^[A-Za-z][A-Za-z0-9+.-]*:[^\s<>"{}|\\^`]+$/.test(s) && (/^[\x21-\x7e]*$/.test(s) || !invisible.test(s));
/** Attribute names must not contain the characters the spec forbids (§4.6.2). */
const validName = (s: string) => s.length > 0 && s.length <= 512 && !/[<>"'=;()\s\\]/.test(s);
/**
 * An entity type or attribute name (§4.6.2): a Unicode letter, then letters, digits and `_` — or a full IRI
 * (or `prefix:name`), which the @context expands.
 */
const isName = (s: unknown): s is string =>
  typeof s === 'string' && validName(s) && (s.includes(':') ? isUri(s) : /^\p{L}[\p{L}\p{N}_]*$/u.test(s));
/**
 * An attribute named in a request path (§4.6.2): a term beginning with a letter (so never a `.`/`..` dot segment,
 * nor a percent triplet left by a double encoding), or a full IRI. BadRequestData otherwise.
 */
export function assertAttrName(name: string): void {
  if (!isName(name)) throw bad(`"${name}" is not a valid attribute name`, 'attrId');
}
/** A DateTime (§4.6.3): UTC, ending in Z — an offset from UTC is not one. */
const isDateTime = (s: unknown): s is string => typeof s === 'string' && /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?Z$/.test(s) && !Number.isNaN(Date.parse(s));

export const datasetKey = (i: Record<string, unknown>): string => (typeof i.datasetId === 'string' ? i.datasetId : '');

/** Every attribute is one default instance (no datasetIds): the shape the fast batch upsert takes. */
export const eachOneDefaultInstance = (attrs: Attrs): boolean =>
  Object.values(attrs).every((list) => list.length === 1 && datasetKey(list[0]) === '');

const bad = (detail: string, field?: string) =>
  ngsiProblem('BadRequestData', detail, field ? { errors: [{ field, message: detail }] } : {});

/** The entity id and types of a request body, checked. */
export function entityHead(ctx: LdContext, body: Record<string, unknown>): { id: string; types: string[] } {
  const id = body.id ?? body['@id'];
  if (id === NGSI_NULL) throw bad('urn:ngsi-ld:null is NGSI-LD Null, not an entity id', 'id');
  if (!isUri(id)) throw bad(`entity id must be a URI, got ${JSON.stringify(id)?.slice(0, 80)}`, 'id');
  const types = entityTypes(ctx, body.type ?? body['@type']);
  return { id, types };
}

export function entityTypes(ctx: LdContext, raw: unknown): string[] {
  const list = Array.isArray(raw) ? raw : [raw];
  if (list.length === 0 || !list.every(isName)) {
    throw bad('entity type must be a name (a letter, then letters, digits, _) or a list of names', 'type');
  }
  return (list as string[]).map((t) => expandTerm(ctx, t));
}

/**
 * observedAt checked and normalised to ISO UTC with milliseconds. The readings of a device batch share few
 * distinct times (a 100 × 10 batch has 10), so the normalised forms of recent times are kept: parsing and
 * formatting each of 1,000 times was a tenth of the batch's CPU in Node.
 */
const recentTimes = new Map<string, string>();
function normalizedTime(raw: unknown, name: string, field: string): string {
  const known = typeof raw === 'string' ? recentTimes.get(raw) : undefined;
  if (known !== undefined) return known;
  if (!isDateTime(raw)) throw bad(`observedAt of ${name} must be an ISO 8601 date-time in UTC (ending in Z)`, `${field}/observedAt`);
  const iso = new Date(raw).toISOString();
  if (recentTimes.size >= 4096) recentTimes.clear();
  recentTimes.set(raw, iso);
  return iso;
}

/**
 * A v1.9 `expiresAt` (of an entity or an attribute instance, Table 6.3.11-1: a system temporal attribute) checked
 * and normalised to ISO UTC: the entity or instance is deleted at that time.
 */
export function expiryTime(raw: unknown, field: string): string {
  if (!isDateTime(raw)) throw bad('expiresAt must be an ISO 8601 date-time in UTC (ending in Z)', field);
  return new Date(raw).toISOString();
}

/** The earliest expiresAt of an entity and its attribute instances (when the expiry job has work on it), or null. */
export function expiryDue(e: Pick<StoredEntity, 'attrs' | 'expiresAt'>): string | null {
  let due = e.expiresAt ?? null;
  for (const iri in e.attrs) {
    for (const inst of e.attrs[iri]) {
      const at = inst.expiresAt as string | undefined;
      if (at !== undefined && (due === null || at < due)) due = at;
    }
  }
  return due;
}

/** Members holding the value of each attribute type (§4.5): an instance has its own type's and no other's. */
const valueMemberOf: Record<AttrType, string> = {
  Property: 'value', GeoProperty: 'value', Relationship: 'object', LanguageProperty: 'languageMap', JsonProperty: 'json',
  VocabProperty: 'vocab', ListProperty: 'valueList', ListRelationship: 'objectList',
};
const valueMembers = Object.values(valueMemberOf).filter((m, i, all) => all.indexOf(m) === i);
/** Members only a broker writes (showChanges, linked entity retrieval; §4.5.2.2, §4.5.3.2): never in a request. */
const outputOnlyMembers = ['previousValue', 'previousObject', 'previousLanguageMap', 'previousJson', 'previousVocab', 'previousValueList',
  'previousObjectList', 'entity', 'entityList'];
/** Relationships and raw JSON are unitless (§4.5.3.2, §4.5.24.2). */
const unitless = new Set<AttrType>(['Relationship', 'ListRelationship', 'JsonProperty']);
/** Non-reified members of an instance, kept as they are: valueType (§4.5.2.2) and the proof's sealed members. */
const plainMembers = new Set(['valueType', 'entityIdSealed', 'entityTypeSealed']);
/** The data-integrity proof attribute (§4.5.2.2, v1.9): the only one that may hold entityIdSealed/entityTypeSealed. */
const isProofName = (name: string) => name === 'ngsildproof' || name === `${NGSI}ngsildproof`;
/** GeoProperties by definition (§4.7.1): they hold a geometry, never a plain Property. */
const geoAttributes = new Set([LOCATION, `${NGSI}observationSpace`, `${NGSI}operationSpace`]);
/** A language tag of RFC 5646 (its letters-and-digits shape) or @none (§4.6.5). */
const isLanguageTag = (k: string) => k === '@none' || /^[A-Za-z]{1,8}(-[A-Za-z0-9]{1,8})*$/.test(k);
const langString = new Set(['langString', 'rdf:langString', 'http://www.w3.org/1999/02/22-rdf-syntax-ns#langString']);

/**
 * What the members of an instance of `type` may not be (§4.5.2.2, §4.5.3.2, §4.5.18–4.5.24): another type's value
 * member, output-only members, a unit on unitless types, an embedded @context (§5.5.7), the sealed members
 * outside ngsildproof. BadRequestData naming the member.
 */
function assertMembers(src: Record<string, unknown>, type: AttrType, name: string, field: string): void {
  const own = valueMemberOf[type];
  for (const m of valueMembers) if (m !== own && m in src) throw bad(`${type} ${name} cannot have a "${m}" member (that is another attribute type's)`, `${field}/${m}`);
  for (const m of outputOnlyMembers) if (m in src) throw bad(`"${m}" is written by the broker and cannot be given for ${name}`, `${field}/${m}`);
  if (unitless.has(type) && 'unitCode' in src) throw bad(`${type} ${name} cannot have a unitCode`, `${field}/unitCode`);
  if ('@context' in src) throw bad(`attribute ${name} cannot hold an @context; give it for the whole request`, `${field}/@context`);
  if (src.valueType !== undefined && (typeof src.valueType !== 'string' || !src.valueType)) throw bad(`valueType of ${name} must be a string`, `${field}/valueType`);
  if (type === 'LanguageProperty' && src.valueType !== undefined && !langString.has(src.valueType as string)) {
    throw bad(`valueType of LanguageProperty ${name} must be langString`, `${field}/valueType`);
  }
  const sealed = 'entityIdSealed' in src || 'entityTypeSealed' in src;
  if (isProofName(name)) {
    if (type !== 'Property' || !src.value || typeof src.value !== 'object' || Array.isArray(src.value)) {
      throw bad(`${name} is a Property whose value is a data-integrity proof object`, `${field}/value`);
    }
    if (src.entityIdSealed !== undefined && !isUri(src.entityIdSealed)) throw bad(`entityIdSealed of ${name} must be the entity's id`, `${field}/entityIdSealed`);
    if (src.entityTypeSealed !== undefined && !(isName(src.entityTypeSealed) || (Array.isArray(src.entityTypeSealed) && src.entityTypeSealed.every(isName)))) {
      throw bad(`entityTypeSealed of ${name} must be the entity's type`, `${field}/entityTypeSealed`);
    }
  } else if (sealed) {
    throw bad(`entityIdSealed and entityTypeSealed belong to ngsildproof only, not to ${name}`, `${field}/${'entityIdSealed' in src ? 'entityIdSealed' : 'entityTypeSealed'}`);
  }
}

function normalizeInstance(ctx: LdContext, name: string, raw: unknown, now: string, field: string, top: boolean, nullable: boolean): Instance {
  let src: Record<string, unknown>;
  if (raw === null || raw === undefined) throw bad(`attribute ${name} has no value`, field);
  if (!nullable && isNgsiNull(raw)) throw bad(`NGSI-LD Null (urn:ngsi-ld:null) for ${name}: it deletes in a merge or an update only (§5.2.1)`, field);
  if (typeof raw !== 'object' || Array.isArray(raw)) {
    src = { type: 'Property', value: raw }; // concise: a bare value is a Property
  } else {
    src = raw as Record<string, unknown>;
  }
  let type = src.type as string | undefined;
  if (typeof type === 'string' && type.startsWith(NGSI)) type = type.slice(NGSI.length);
  if (typeof type === 'string' && geometryTypes.has(type) && 'coordinates' in src) {
    // Concise GeoProperty: the geometry itself ({"type": "Point", "coordinates": […]}).
    src = { value: src };
    type = 'GeoProperty';
  }
  if (type === undefined) {
    // Concise representation (§4.5.7): infer the kind from the members present.
    if ('object' in src) type = 'Relationship';
    else if ('languageMap' in src) type = 'LanguageProperty';
    else if ('json' in src) type = 'JsonProperty';
    else if ('vocab' in src) type = 'VocabProperty';
    else if ('valueList' in src) type = 'ListProperty';
    else if ('objectList' in src) type = 'ListRelationship';
    else if ('value' in src) type = geometryError(src.value) === undefined ? 'GeoProperty' : 'Property';
    else if (geometryError(src) === undefined && 'coordinates' in src) {
      src = { value: src };
      type = 'GeoProperty';
    } else {
      src = { value: src };
      type = 'Property';
    }
  }
  if (!attrTypes.has(type as AttrType)) throw bad(`attribute ${name} has type "${type}", not one of ${[...attrTypes].join(', ')}`, `${field}/type`);
  assertMembers(src, type as AttrType, name, field);
  const out: Instance = { type: type as AttrType };
  switch (type) {
    case 'Property':
      if (src.value === undefined || src.value === null) throw bad(`Property ${name} needs a value`, `${field}/value`);
      // NGSI-LD Null inside a structured value deletes only in a merge (§5.5.4); anywhere else it is an error.
      if (!nullable && typeof src.value === 'object' && holdsNull(src.value)) throw bad(`the value of ${name} holds NGSI-LD Null (urn:ngsi-ld:null)`, `${field}/value`);
      out.value = src.value;
      break;
    case 'Relationship': {
      const obj = src.object;
      if (!(isUri(obj) || (Array.isArray(obj) && obj.length > 0 && obj.every(isUri)))) {
        throw bad(`Relationship ${name} needs an object that is a URI`, `${field}/object`);
      }
      out.object = obj;
      if (typeof src.objectType === 'string') out.objectType = expandTerm(ctx, src.objectType);
      break;
    }
    case 'GeoProperty':
      out.value = assertGeometry(geometryValue(src.value), `GeoProperty ${name}`);
      break;
    case 'JsonProperty':
      // A raw JSON object or an array of them (§4.5.24.2), never a scalar.
      if (!src.json || typeof src.json !== 'object') throw bad(`JsonProperty ${name} needs a json member holding a JSON object or array`, `${field}/json`);
      out.json = src.json;
      break;
    case 'VocabProperty': {
      const vocab = src.vocab;
      if (!(typeof vocab === 'string' && vocab) && !(Array.isArray(vocab) && vocab.length > 0 && vocab.every((v) => typeof v === 'string' && v))) {
        throw bad(`VocabProperty ${name} needs a vocab member (a term or a list of terms)`, `${field}/vocab`);
      }
      out.vocab = Array.isArray(vocab) ? vocab.map((v: string) => expandTerm(ctx, v)) : expandTerm(ctx, vocab as string);
      break;
    }
    case 'ListProperty':
      if (!Array.isArray(src.valueList)) throw bad(`ListProperty ${name} needs a valueList array`, `${field}/valueList`);
      out.valueList = src.valueList;
      break;
    case 'ListRelationship': {
      // objectList: URIs, or objects {"object": URI} (the normalized form); stored as the URIs.
      const list = src.objectList;
      const ids = Array.isArray(list) ? list.map((o) => (o && typeof o === 'object' && !Array.isArray(o) ? (o as Record<string, unknown>).object : o)) : undefined;
      if (!ids || !ids.every(isUri)) throw bad(`ListRelationship ${name} needs an objectList of URIs`, `${field}/objectList`);
      out.objectList = ids;
      break;
    }
    case 'LanguageProperty': {
      const map = src.languageMap;
      if (!map || typeof map !== 'object' || Array.isArray(map) || !Object.keys(map).every(isLanguageTag)
        || !Object.values(map).every((v) => typeof v === 'string' || (Array.isArray(v) && v.every((x) => typeof x === 'string')))) {
        throw bad(`LanguageProperty ${name} needs a languageMap of language tag → string`, `${field}/languageMap`);
      }
      out.languageMap = map;
      break;
    }
  }
  if (src.observedAt !== undefined) out.observedAt = normalizedTime(src.observedAt, name, field);
  if (src.expiresAt !== undefined) out.expiresAt = expiryTime(src.expiresAt, `${field}/expiresAt`);
  if (src.unitCode !== undefined) {
    if (typeof src.unitCode !== 'string' || !src.unitCode) throw bad(`unitCode of ${name} must be a string`, `${field}/unitCode`);
    out.unitCode = src.unitCode;
  }
  if (src.valueType !== undefined) out.valueType = src.valueType;
  if (src.entityIdSealed !== undefined) out.entityIdSealed = src.entityIdSealed;
  if (src.entityTypeSealed !== undefined) {
    const t = src.entityTypeSealed;
    out.entityTypeSealed = Array.isArray(t) ? t.map((x: string) => expandTerm(ctx, x)) : expandTerm(ctx, t as string);
  }
  // "@none" names the default instance (§4.5.5.1), which carries no datasetId.
  if (src.datasetId !== undefined && src.datasetId !== '@none') {
    if (!top) throw bad(`sub-attribute ${name} cannot have a datasetId`, `${field}/datasetId`);
    if (!isUri(src.datasetId)) throw bad(`datasetId of ${name} must be a URI`, `${field}/datasetId`);
    out.datasetId = src.datasetId;
  }
  for (const key in src) {
    if (attributeMembers.has(key) || plainMembers.has(key) || !Object.hasOwn(src, key)) continue;
    if (reservedAttrNames.has(key)) throw bad(`"${key}" is a reserved name and cannot name a sub-attribute`, `${field}/${key}`);
    if (!isName(key)) throw bad(`sub-attribute name "${key}" is not a name (a letter, then letters, digits, _)`, `${field}/${key}`);
    // In a merge or an update NGSI-LD Null removes the sub-attribute: the instance is written without it.
    if (nullable && isNgsiNull(src[key])) continue;
    out[expandTerm(ctx, key)] = normalizeInstance(ctx, key, src[key], now, `${field}/${key}`, false, nullable);
  }
  out.createdAt = now;
  out.modifiedAt = now;
  return out;
}

/** Whether a structured value holds NGSI-LD Null at any depth. */
export const holdsNull = (v: unknown): boolean =>
  v === NGSI_NULL || (!!v && typeof v === 'object' && Object.values(v as Record<string, unknown>).some(holdsNull));

/** A GeoProperty value sent as a string holding the GeoJSON (some clients encode it so) is the geometry. */
const geometryValue = (v: unknown): unknown => {
  if (typeof v !== 'string' || !v.trimStart().startsWith('{')) return v;
  try {
    return JSON.parse(v);
  } catch {
    return v;
  }
};

/** Members that make an object an attribute instance (not a structured value) in a list of instances. */
const instanceKeys = ['type', 'value', 'object', 'languageMap', 'json', 'vocab', 'valueList', 'objectList'];

/**
 * One attribute of a request (a value, an instance or a list of instances) as stored instances. `nullable`: a
 * merge or an update, where NGSI-LD Null in a sub-attribute removes it; elsewhere NGSI-LD Null is BadRequestData.
 */
export function normalizeAttribute(ctx: LdContext, name: string, raw: unknown, now: string, field = name, nullable = false): { iri: string; instances: Instance[] } {
  if (reservedAttrNames.has(name)) throw bad(`"${name}" is a reserved name and cannot name an attribute`, field);
  if (!isName(name)) throw bad(`attribute name "${name}" is not a name (a letter, then letters, digits, _) nor an IRI`, field);
  const list = Array.isArray(raw) && raw.length > 0 && raw.every((r) => r && typeof r === 'object' && !Array.isArray(r)) && raw.some((r) => instanceKeys.some((k) => k in r))
    ? raw
    : [raw];
  const instances = list.map((r, i) => normalizeInstance(ctx, name, r, now, list.length > 1 ? `${field}/${i}` : field, true, nullable));
  const iri = expandTerm(ctx, name);
  if (geoAttributes.has(iri) && instances.some((i) => i.type !== 'GeoProperty')) throw bad(`${name} is a GeoProperty (§4.7.1): give a geometry`, field);
  if (instances.length > 1) {
    const seen = new Set<string>();
    for (const inst of instances) {
      const key = datasetKey(inst);
      if (seen.has(key)) throw bad(`attribute ${name} has two instances with the same datasetId "${key || '(default)'}"`, field);
      seen.add(key);
    }
  }
  return { iri, instances };
}

/** All attributes of a request body (entity members skipped); `nullable` as for normalizeAttribute. */
export function normalizeAttributes(ctx: LdContext, body: Record<string, unknown>, now: string, nullable = false): Attrs {
  const attrs: Attrs = {};
  for (const [name, raw] of Object.entries(body)) {
    if (entityMembers.has(name)) continue;
    const { iri, instances } = normalizeAttribute(ctx, name, raw, now, name, nullable);
    attrs[iri] = instances;
  }
  return attrs;
}

/**
 * An entity's `scope` member (§4.18): one path or a list of paths like /Madrid/Gardens — levels of a letter then
 * letters, digits and `_`, separated by `/`, the first `/` optional; undefined when absent.
 */
export function parseScopes(raw: unknown): string[] | undefined {
  const scopes = raw === undefined ? undefined : Array.isArray(raw) ? raw : [raw];
  if (scopes && !scopes.every((s) => typeof s === 'string' && /^\/?\p{L}[\p{L}\p{N}_]*(\/\p{L}[\p{L}\p{N}_]*)*$/u.test(s))) {
    throw bad('scope must be paths like /Madrid/Gardens (levels of a letter, then letters, digits, _)', 'scope');
  }
  return scopes as string[] | undefined;
}

/**
 * An entity of a request body as stored: id and types checked (the path's id instead of the body's with
 * `idOverride`, PUT /entities/{id}), scope paths checked, every attribute normalized with `now` as its time.
 */
export function entityFromBody(ctx: LdContext, body: unknown, now: string, idOverride?: string): StoredEntity {
  if (!body || typeof body !== 'object' || Array.isArray(body)) throw bad('an entity must be a JSON object');
  const b = body as Record<string, unknown>;
  const head = idOverride ? { id: idOverride, types: entityTypes(ctx, b.type ?? b['@type']) } : entityHead(ctx, b);
  const scopes = parseScopes(b.scope);
  const expiresAt = b.expiresAt === undefined ? undefined : expiryTime(b.expiresAt, 'expiresAt');
  return {
    id: head.id, types: head.types, attrs: normalizeAttributes(ctx, b, now), ...(scopes ? { scope: scopes as string[] } : {}), createdAt: now, modifiedAt: now,
    ...(expiresAt ? { expiresAt } : {}),
  };
}

/** Keeps createdAt of instances that already existed (same attribute, same datasetId). */
function keepCreated(old: Instance[] | undefined, next: Instance[]): Instance[] {
  if (!old) return next;
  return next.map((n) => {
    const prev = old.find((o) => datasetKey(o) === datasetKey(n));
    return prev ? { ...n, createdAt: prev.createdAt } : n;
  });
}

/**
 * Merges new attributes into an entity: each new instance replaces the one with the same datasetId, others stay.
 * With `noOverwrite` existing instances win. Returns the merged attrs and the attribute IRIs that changed.
 */
export function mergeAttrs(current: Attrs, incoming: Attrs, noOverwrite = false): { attrs: Attrs; changed: string[]; skipped: string[] } {
  const attrs: Attrs = { ...current };
  const changed: string[] = [];
  const skipped: string[] = [];
  for (const [iri, instances] of Object.entries(incoming)) {
    const old = current[iri] ?? [];
    const merged = [...old];
    let touched = false;
    for (const inst of instances) {
      const at = merged.findIndex((o) => datasetKey(o) === datasetKey(inst));
      if (at >= 0) {
        if (noOverwrite) continue;
        merged[at] = { ...inst, createdAt: merged[at].createdAt };
      } else {
        merged.push(inst);
      }
      touched = true;
    }
    if (touched) {
      attrs[iri] = merged.sort((a, b) => (datasetKey(a) === '' ? -1 : datasetKey(b) === '' ? 1 : 0));
      changed.push(iri);
    } else {
      skipped.push(iri);
    }
  }
  return { attrs, changed, skipped };
}

const isMap = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object' && !Array.isArray(v);

/**
 * RFC 7396 JSON merge patch, as a merge applies it to a structured value (§5.2.1, §5.5.12): each member of
 * `patch` replaces the target's or, when both are objects, is merged into it; NGSI-LD Null (or JSON null)
 * removes the member. Arrays and scalars replace whole; a Null inside an array means nothing there: 400.
 *
 * @example mergePatch({ a: 1, b: { c: 2, d: 3 } }, { b: { d: 'urn:ngsi-ld:null' }, e: 4 }) // { a: 1, b: { c: 2 }, e: 4 }
 */
export function mergePatch(target: unknown, patch: unknown, field: string): unknown {
  if (!isMap(patch)) {
    if (holdsNull(patch)) throw bad(`NGSI-LD Null inside an array of ${field} removes nothing (only object members are removed)`, field);
    return patch;
  }
  const out: Record<string, unknown> = isMap(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null || v === NGSI_NULL) delete out[k];
    else out[k] = mergePatch(out[k], v, `${field}/${k}`);
  }
  return out;
}

/**
 * The instances a merge writes (§5.6.17, §5.6.20), their structured values merged (RFC 7396, mergePatch) into
 * those of the stored instance with the same datasetId: a Property's object value, a LanguageProperty's
 * languageMap (Null removes a language). Other values replace the stored ones, as mergeAttrs does.
 */
export function mergeStructured(current: Attrs, incoming: Attrs): Attrs {
  const out: Attrs = {};
  for (const [iri, instances] of Object.entries(incoming)) {
    out[iri] = instances.map((inst) => {
      const member = inst.type === 'Property' ? 'value' : inst.type === 'LanguageProperty' ? 'languageMap' : undefined;
      if (!member || !isMap(inst[member])) return inst;
      const old = current[iri]?.find((o) => datasetKey(o) === datasetKey(inst) && o.type === inst.type);
      return { ...inst, [member]: mergePatch(old?.[member], inst[member], compactName(iri)) };
    });
  }
  return out;
}
const compactName = (iri: string) => iri.slice(iri.lastIndexOf('/') + 1);

/** BadRequestData when a value written whole (append, update, replace) holds NGSI-LD Null: only merges take it (§5.2.1). */
export function assertNoNullValues(attrs: Attrs): void {
  for (const [iri, instances] of Object.entries(attrs)) {
    for (const inst of instances) {
      if (isMap(inst.value) && holdsNull(inst.value)) throw bad(`the value of ${compactName(iri)} holds NGSI-LD Null (urn:ngsi-ld:null): only a merge removes members of a value`, `${compactName(iri)}/value`);
    }
  }
}

/** An instance a request deletes with NGSI-LD Null: the attribute IRI and the datasetId ('' the default). */
export interface NullTarget {
  iri: string;
  datasetId: string;
}

/**
 * Splits a merge or update body into the attributes it writes and the instances it deletes with NGSI-LD Null
 * (each instance of a list on its own, so one datasetId can be deleted while another is written).
 */
export function splitNulls(ctx: LdContext, body: Record<string, unknown>): { rest: Record<string, unknown>; nulls: NullTarget[] } {
  const rest: Record<string, unknown> = {};
  const nulls: NullTarget[] = [];
  for (const [k, v] of Object.entries(body)) {
    if (entityMembers.has(k)) {
      rest[k] = v;
      continue;
    }
    const list = Array.isArray(v) && v.length > 0 && v.every((x) => x && typeof x === 'object' && !Array.isArray(x)) ? v : [v];
    const kept = list.filter((inst) => {
      if (!isNgsiNull(inst)) return true;
      const ds = inst && typeof inst === 'object' ? (inst as Record<string, unknown>).datasetId : undefined;
      nulls.push({ iri: expandTerm(ctx, k), datasetId: typeof ds === 'string' ? ds : '' });
      return false;
    });
    if (kept.length) rest[k] = kept.length === 1 && !Array.isArray(v) ? kept[0] : kept;
  }
  return { rest, nulls };
}

/** Removes the NGSI-LD Null targets from attrs (in place): returns the IRIs left without instances and those that kept some. */
export function applyNulls(attrs: Attrs, nulls: NullTarget[]): { deleted: string[]; written: string[] } {
  const touched = new Set<string>();
  for (const n of nulls) {
    const list = attrs[n.iri];
    if (!list) continue;
    const left = list.filter((i) => datasetKey(i) !== n.datasetId);
    if (left.length === list.length) continue;
    touched.add(n.iri);
    if (left.length) attrs[n.iri] = left;
    else delete attrs[n.iri];
  }
  return { deleted: [...touched].filter((a) => !(a in attrs)), written: [...touched].filter((a) => a in attrs) };
}

/** Replaces whole attributes (PUT of an entity keeps createdAt of attributes that existed). */
export function replaceAttrs(current: Attrs, incoming: Attrs): Attrs {
  const out: Attrs = {};
  for (const [iri, instances] of Object.entries(incoming)) out[iri] = keepCreated(current[iri], instances);
  return out;
}

/**
 * A partial update of one attribute instance (PATCH …/attrs/{attrId}, §5.6.4): members given replace those
 * stored, sub-attributes given are merged, the rest stays.
 */
export function patchInstance(old: Instance, patch: Instance, now: string): Instance {
  const out: Instance = { ...old };
  for (const [k, v] of Object.entries(patch)) {
    if (k === 'createdAt') continue;
    if (k === 'type' && v !== old.type) continue;
    out[k] = v;
  }
  if (patch.type !== old.type) {
    // The kind of an attribute cannot change by a partial update (§5.6.4): keep the stored kind's member.
    if (old.type === 'Relationship' && patch.value !== undefined) throw bad('cannot give a value to a Relationship; use object');
  }
  out.modifiedAt = now;
  return out;
}

/** The bounding box of the entity's `location`, for the database's geo pre-filter. */
export function locationBox(attrs: Attrs): BBox | undefined {
  const loc = attrs[LOCATION]?.[0];
  if (!loc || loc.type !== 'GeoProperty') return undefined;
  return bbox(loc.value as Geometry);
}

export type Format = 'normalized' | 'keyValues' | 'concise';

export interface RenderOptions {
  format: Format;
  sysAttrs: boolean;
  /** Expanded attribute IRIs to include (attrs/pick); undefined: all. */
  only?: Set<string>;
  /** Expanded attribute IRIs to leave out (omit). */
  omit?: Set<string>;
  /** Whether `id` and `type` are picked (pick/omit can drop them). */
  includeId?: boolean;
  includeType?: boolean;
  /** LanguageProperty: render the value in this language (keyValues and `lang`). */
  lang?: string;
  /** v1.8 `datasetId`: only instances with these datasetIds ('' the default instance); an attribute with none is left out. */
  datasets?: Set<string>;
}

const compactVocab = (ctx: LdContext, v: unknown): unknown => (Array.isArray(v) ? v.map((x) => compactIri(ctx, x as string)) : compactIri(ctx, v as string));

/**
 * The language of a languageMap a `lang` filter chooses (§4.15): the filter is a list of language ranges with
 * optional weights, like Accept-Language (`fr;q=0.2,nl;q=0.9`: nl first); ranges compare without case; a range
 * matches its tag, a tag it is a prefix of (`en` → `en-US`) or, truncated, a shorter tag (`nl-BE` → `nl`); `*`
 * any. When none matches, the @none value, else any language: the broker then says which in `lang`.
 */
export function chooseLanguage(map: Record<string, unknown>, filter: string): string | undefined {
  const tags = Object.keys(map);
  if (tags.length === 0) return undefined;
  const ranges = filter.split(',').map((part, i) => {
    const [range, ...params] = part.split(';').map((x) => x.trim());
    const q = Number(/^q=([\d.]+)$/.exec(params.find((p) => p.startsWith('q=')) ?? '')?.[1] ?? 1);
    return { range: range.toLowerCase(), q: Number.isFinite(q) ? q : 1, i };
  }).filter((r) => r.range && r.q > 0).sort((a, b) => b.q - a.q || a.i - b.i);
  const lower = tags.map((t) => t.toLowerCase());
  for (const { range } of ranges) {
    if (range === '*') return tags.find((t) => t !== '@none') ?? tags[0];
    const exact = lower.indexOf(range);
    if (exact >= 0) return tags[exact];
    const longer = lower.findIndex((t) => t.startsWith(`${range}-`));
    if (longer >= 0) return tags[longer];
    for (let cut = range.lastIndexOf('-'); cut > 0; cut = range.lastIndexOf('-', cut - 1)) {
      const shorter = lower.indexOf(range.slice(0, cut));
      if (shorter >= 0) return tags[shorter];
    }
  }
  return '@none' in map ? '@none' : tags[0];
}

const pickLang = (map: Record<string, unknown>, lang: string | undefined): unknown => {
  if (!lang) return map;
  const tag = chooseLanguage(map, lang);
  return tag === undefined ? undefined : map[tag];
};

export function renderInstance(ctx: LdContext, inst: Instance, o: RenderOptions): unknown {
  if (o.format === 'keyValues') {
    if (inst.type === 'Relationship') return inst.object;
    if (inst.type === 'LanguageProperty') return pickLang(inst.languageMap as Record<string, unknown>, o.lang ?? '@none');
    if (inst.type === 'JsonProperty') return inst.json;
    if (inst.type === 'VocabProperty') return compactVocab(ctx, inst.vocab);
    if (inst.type === 'ListProperty') return inst.valueList;
    if (inst.type === 'ListRelationship') return inst.objectList;
    return inst.value;
  }
  const out: Record<string, unknown> = {};
  let subs = 0;
  for (const [k, v] of Object.entries(inst)) {
    // System temporal attributes (Table 6.3.11-1), expiresAt included: only with sysAttrs.
    if (k === 'createdAt' || k === 'modifiedAt' || k === 'expiresAt') {
      if (o.sysAttrs) out[k] = v;
      continue;
    }
    if (k === 'objectType') {
      out[k] = compactIri(ctx, v as string);
      continue;
    }
    if (k === 'entityTypeSealed') {
      out[k] = compactVocab(ctx, v);
      continue;
    }
    if (k === 'objectList') {
      // Normalized and concise: each entry an object {"object": URI} (§4.5.22.2).
      out[k] = (v as string[]).map((object) => ({ object }));
      continue;
    }
    if (plainMembers.has(k)) {
      out[k] = v;
      continue;
    }
    if (k === 'vocab') {
      out[k] = compactVocab(ctx, v);
      continue;
    }
    if (k === 'languageMap' && o.lang) {
      // §4.15: a Property holding the chosen language's string, `lang` naming the language chosen.
      const tag = chooseLanguage(v as Record<string, unknown>, o.lang);
      out.type = 'Property';
      out.value = tag === undefined ? undefined : (v as Record<string, unknown>)[tag];
      if (tag !== undefined) out.lang = tag;
      continue;
    }
    if (attributeMembers.has(k)) {
      out[k] = v;
      continue;
    }
    subs++;
    out[compactIri(ctx, k)] = renderInstance(ctx, v as Instance, { ...o, only: undefined, omit: undefined });
  }
  if (o.format === 'concise') {
    delete out.type;
    const keys = Object.keys(out);
    if (inst.type !== 'Relationship' && inst.type !== 'LanguageProperty' && subs === 0 && keys.length === 1 && keys[0] === 'value' && inst.type === 'Property') {
      return out.value;
    }
  }
  return out;
}

/** An entity in the requested representation with names compacted by the request's context. */
export function renderEntity(ctx: LdContext, e: StoredEntity, o: RenderOptions): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (o.includeId !== false) out.id = e.id;
  if (o.includeType !== false) {
    const types = e.types.map((t) => compactIri(ctx, t));
    out.type = types.length === 1 ? types[0] : types;
  }
  if (e.scope && o.format !== 'keyValues') out.scope = e.scope.length === 1 ? e.scope[0] : e.scope;
  if (o.sysAttrs && o.format !== 'keyValues') {
    out.createdAt = e.createdAt;
    out.modifiedAt = e.modifiedAt;
    if (e.expiresAt) out.expiresAt = e.expiresAt;
  }
  for (const [iri, all] of Object.entries(e.attrs)) {
    if (o.only && !o.only.has(iri)) continue;
    if (o.omit?.has(iri)) continue;
    const instances = o.datasets ? all.filter((i) => o.datasets!.has(datasetKey(i))) : all;
    if (instances.length === 0) continue;
    const name = compactIri(ctx, iri);
    if (o.format === 'keyValues') {
      const main = instances.find((i) => datasetKey(i) === '') ?? instances[0];
      out[name] = renderInstance(ctx, main, o);
    } else {
      const rendered = instances.map((i) => renderInstance(ctx, i, o));
      out[name] = rendered.length === 1 ? rendered[0] : rendered;
    }
  }
  return out;
}

/** A GeoJSON Feature (§6.3.15): the geometry of the chosen GeoProperty, everything else under properties. */
export function renderFeature(ctx: LdContext, e: StoredEntity, o: RenderOptions, geoproperty: string): Record<string, unknown> {
  const props = renderEntity(ctx, e, o);
  delete props.id;
  // §4.5.16.1: the default instance (no datasetId) where there are several; a value that is no geometry is null.
  const geos = (e.attrs[geoproperty] ?? []).filter((i) => i.type === 'GeoProperty');
  const geo = geos.find((i) => datasetKey(i) === '') ?? geos[0];
  return { id: e.id, type: 'Feature', geometry: geo ? geo.value : null, properties: props };
}

/** A list of candidate attribute names (attrs=, pick=, omit=, watchedAttributes) expanded. */
export function expandList(ctx: LdContext, list: string | undefined): string[] | undefined {
  if (list === undefined) return undefined;
  const names = list.split(',').map((s) => s.trim()).filter(Boolean);
  for (const n of names) if (!validName(n)) throw bad(`"${n}" is not a valid attribute name`);
  return names.map((n) => expandTerm(ctx, n));
}
