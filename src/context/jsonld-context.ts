import { outboundRequest, type OutboundPolicy } from '../platform/net/outbound.js';
import { ngsiProblem } from './ngsi-errors.js';

/**
 * JSON-LD @context handling for NGSI-LD, kept local: CityHub never fetches a context at request time unless an
 * operator allows it (and then only through the platform's outbound guard). A context is reduced to what NGSI-LD needs from it — a map from short terms to IRIs —
 * which is enough to expand attribute names and entity types on the way in and compact them on the way out.
 */

export const CORE_CONTEXT_URL = 'https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context.jsonld';
export const CORE_CONTEXT_URLS = [
  CORE_CONTEXT_URL,
  'https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context-v1.3.jsonld',
  'https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context-v1.6.jsonld',
  'https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context-v1.7.jsonld',
  'https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context-v1.8.jsonld',
  'https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context-v1.9.jsonld',
];
/** Where CityHub serves the @contexts it hosts; a context URL with this path is looked up locally, whatever its host. */
const HOSTED_PATH = /\/ngsi-ld\/v1\/jsonldContexts\/([^/?#]+)$/;
/** A context listing further contexts is followed this deep at most (a loop ends here too). */
const MAX_CONTEXT_DEPTH = 8;
const NGSI = 'https://uri.etsi.org/ngsi-ld/';
/** Terms no context defines expand under the core context's @vocab. */
export const DEFAULT_VOCAB = 'https://uri.etsi.org/ngsi-ld/default-context/';

/** The core context's terms that name attributes or types (keywords such as `value` are not expanded). */
const coreTerms: Record<string, string> = {
  location: `${NGSI}location`,
  observationSpace: `${NGSI}observationSpace`,
  operationSpace: `${NGSI}operationSpace`,
  name: `${NGSI}name`,
  description: `${NGSI}description`,
  GeoProperty: `${NGSI}GeoProperty`,
  Property: `${NGSI}Property`,
  Relationship: `${NGSI}Relationship`,
  LanguageProperty: `${NGSI}LanguageProperty`,
  Feature: 'https://purl.org/geojson/vocab#Feature',
  FeatureCollection: 'https://purl.org/geojson/vocab#FeatureCollection',
};

/** The reserved members of an entity or attribute: never expanded, never treated as attributes. */
export const entityMembers = new Set(['id', '@id', 'type', '@type', '@context', 'scope', 'createdAt', 'modifiedAt', 'deletedAt', 'expiresAt']);
export const attributeMembers = new Set([
  'type', 'value', 'object', 'languageMap', 'observedAt', 'unitCode', 'datasetId', 'createdAt', 'modifiedAt', 'expiresAt',
  'deletedAt', 'instanceId', 'lang', 'objectType', 'vocab', 'json', 'valueList', 'objectList', 'previousValue',
]);

const sdm = 'https://smartdatamodels.org/';
const sdmTerms = (domain: string, types: string[], attrs: string[]): Record<string, string> => ({
  ...Object.fromEntries(types.map((t) => [t, `${sdm}dataModel.${domain}/${t}`])),
  ...Object.fromEntries(attrs.map((a) => [a, `${sdm}dataModel.${domain}/${a}`])),
});
const sdmCommon = Object.fromEntries(
  ['address', 'alternateName', 'areaServed', 'dataProvider', 'dateCreated', 'dateModified', 'owner', 'seeAlso', 'source',
    'dateObserved', 'status', 'category', 'refDevice', 'refPointOfInterest', 'temperature', 'relativeHumidity']
    .map((a) => [a, `${sdm}${a}`]),
);

/**
 * Smart Data Models contexts CityHub knows without a network: a compact term map written for CityHub (the
 * types and attributes its demo and common city deployments use), not a copy of the published files.
 */
const environment = sdmTerms('Environment', ['AirQualityObserved', 'WaterQualityObserved', 'NoiseLevelObserved'],
  ['airQualityIndex', 'airQualityLevel', 'co', 'co2', 'no2', 'o3', 'so2', 'pm10', 'pm25', 'precipitation', 'windSpeed',
    'windDirection', 'reliability', 'LAeq', 'LAmax', 'pH', 'conductivity', 'turbidity']);
const streetlighting = sdmTerms('Streetlighting', ['Streetlight', 'StreetlightGroup', 'StreetlightControlCabinet'],
  ['powerState', 'illuminanceLevel', 'lanternBrand', 'lampBrand', 'lampTechnology', 'lampPower', 'powerConsumption',
    'refStreetlightGroup', 'refStreetlightModel', 'dateLastLampChange', 'workingMode']);
const parking = sdmTerms('Parking', ['ParkingSpot', 'OffStreetParking', 'OnStreetParking', 'ParkingGroup'],
  ['availableSpotNumber', 'totalSpotNumber', 'occupancyDetectionType', 'refParkingSite', 'refParkingGroup', 'width', 'length']);
const transportation = sdmTerms('Transportation', ['TrafficFlowObserved', 'Vehicle', 'Road', 'RoadSegment', 'BikeHireDockingStation'],
  ['averageVehicleSpeed', 'averageVehicleLength', 'congested', 'intensity', 'occupancy', 'laneId', 'laneDirection',
    'refRoadSegment', 'vehicleType', 'speed', 'heading', 'refVehicleModel', 'freeSlotNumber']);
const device = sdmTerms('Device', ['Device', 'DeviceModel'],
  ['batteryLevel', 'controlledProperty', 'deviceState', 'firmwareVersion', 'rssi', 'serialNumber', 'value']);
const wasteManagement = sdmTerms('WasteManagement', ['WasteContainer'], ['fillingLevel', 'cargoWeight', 'refWasteContainerModel']);

const smartDataModels: Record<string, Record<string, string>> = {
  'https://smartdatamodels.org/context.jsonld': {
    ...sdmCommon, ...environment, ...streetlighting, ...parking, ...transportation, ...device, ...wasteManagement,
  },
  'https://raw.githubusercontent.com/smart-data-models/dataModel.Environment/master/context.jsonld': { ...sdmCommon, ...environment },
  'https://raw.githubusercontent.com/smart-data-models/dataModel.Streetlighting/master/context.jsonld': { ...sdmCommon, ...streetlighting },
  'https://raw.githubusercontent.com/smart-data-models/dataModel.Parking/master/context.jsonld': { ...sdmCommon, ...parking },
  'https://raw.githubusercontent.com/smart-data-models/dataModel.Transportation/master/context.jsonld': { ...sdmCommon, ...transportation },
  'https://raw.githubusercontent.com/smart-data-models/dataModel.Device/master/context.jsonld': { ...sdmCommon, ...device },
  'https://raw.githubusercontent.com/smart-data-models/dataModel.WasteManagement/master/context.jsonld': { ...sdmCommon, ...wasteManagement },
};

/** The context CityHub's own demo entities and examples use: core + all the Smart Data Models above. */
export const CITYHUB_CONTEXT_URL = 'https://smartdatamodels.org/context.jsonld';

export type TermMap = Record<string, string>;

/** A resolved request context: the term map and what to echo back (the URLs, or the inline objects). */
export interface LdContext {
  terms: TermMap;
  /** IRI → term, for compaction. */
  reverse: Map<string, string>;
  /** The @context value to put into JSON-LD responses and to store with subscriptions. */
  source: unknown;
  /** The URL for a `Link` header (the first remote context), when the context is one URL. */
  linkUrl: string;
}

export interface ContextResolverOptions {
  /** Operator-supplied contexts (URL → term map), e.g. a city's own data models. */
  extra?: Record<string, TermMap>;
  /** When true, unknown remote contexts are fetched with this timeout; otherwise they answer 503 at once. */
  fetchRemote?: boolean;
  fetchTimeoutMs?: number;
  /** The platform's outbound guard: a remote context is fetched only from an address it allows (SSRF). */
  outbound?: OutboundPolicy;
}

/** Largest remote context read (a context is a term map: kilobytes, not megabytes). */
const MAX_CONTEXT_BYTES = 1_048_576;

const build = (terms: TermMap, source: unknown, linkUrl: string): LdContext => {
  const all = { ...terms, ...coreTerms }; // the core context comes last and cannot be overridden (§5.5.7)
  const reverse = new Map<string, string>();
  for (const [term, iri] of Object.entries(all)) if (!reverse.has(iri)) reverse.set(iri, term);
  return { terms: all, reverse, source, linkUrl };
};

/** Resolves the @context of a request (Link header URL, or inline value) to term maps, from local copies only. */
export class ContextResolver {
  private readonly known = new Map<string, TermMap>();
  /** Contexts fetched from their URL (the cache /jsonldContexts lists, deletes and reloads), with when. */
  private readonly fetched = new Map<string, Date>();
  private readonly builtin = new Set<string>();
  private hosted?: (id: string) => Promise<unknown>;
  readonly core: LdContext;

  constructor(private readonly options: ContextResolverOptions = {}) {
    for (const url of CORE_CONTEXT_URLS) this.known.set(url, {});
    for (const [url, terms] of Object.entries(smartDataModels)) this.known.set(url, terms);
    for (const [url, terms] of Object.entries(options.extra ?? {})) this.known.set(url, terms);
    for (const url of this.known.keys()) this.builtin.add(url);
    this.core = build({}, CORE_CONTEXT_URL, CORE_CONTEXT_URL);
  }

  /** Known context URLs (for docs and tests). */
  knownUrls(): string[] {
    return [...this.known.keys()];
  }

  /** Where hosted contexts come from (the @context of a document CityHub hosts, by its id). */
  hostWith(lookup: (id: string) => Promise<unknown>): void {
    this.hosted = lookup;
  }

  /** The term map of a known (built-in, configured or cached) context URL; undefined when not known. */
  termsOf(url: string): TermMap | undefined {
    return this.known.get(url);
  }

  /** The contexts kept locally: built in (or configured) and fetched, with when they were fetched. */
  cached(): { url: string; builtin: boolean; fetchedAt?: Date }[] {
    return [...this.known.keys()].map((url) => ({ url, builtin: this.builtin.has(url), fetchedAt: this.fetched.get(url) }));
  }

  /** Drops a fetched context from the cache (the next use fetches it again); false when it is not a fetched one. */
  forget(url: string): boolean {
    if (!this.fetched.has(url)) return false;
    this.known.delete(url);
    this.fetched.delete(url);
    return true;
  }

  /** Fetches a cached context again (reload); its old terms stay if the fetch fails. */
  async reload(url: string): Promise<void> {
    const old = this.known.get(url);
    this.known.delete(url);
    try {
      await this.remote(url);
    } catch (err) {
      if (old) this.known.set(url, old);
      throw err;
    }
  }

  /**
   * The context of a request: `undefined` gives the core context. Strings are URLs, objects inline term
   * definitions, arrays a list of both (later entries win, as in JSON-LD).
   */
  async resolve(context: unknown): Promise<LdContext> {
    if (context === undefined || context === null) return this.core;
    const list = Array.isArray(context) ? context : [context];
    const terms: TermMap = {};
    let linkUrl = '';
    for (const item of list) {
      if (typeof item === 'string') {
        if (!linkUrl && !CORE_CONTEXT_URLS.includes(item)) linkUrl = item;
        Object.assign(terms, await this.remote(item));
      } else if (item && typeof item === 'object' && !Array.isArray(item)) {
        Object.assign(terms, inlineTerms(item as Record<string, unknown>, terms));
      } else {
        throw ngsiProblem('BadRequestData', '@context entries must be URLs or objects');
      }
    }
    return build(terms, list.length === 1 ? list[0] : list, linkUrl || CORE_CONTEXT_URL);
  }

  private async remote(url: string, depth = 0): Promise<TermMap> {
    const local = this.known.get(url);
    if (local) return local;
    if (!/^https?:\/\//.test(url)) throw ngsiProblem('BadRequestData', `@context "${url}" is not a URL`);
    if (depth > MAX_CONTEXT_DEPTH) throw ngsiProblem('BadRequestData', `@context ${url}: contexts nest deeper than ${MAX_CONTEXT_DEPTH} (a loop?)`);
    const hostedId = HOSTED_PATH.exec(new URL(url).pathname)?.[1];
    const hostedDoc = hostedId && this.hosted ? await this.hosted(decodeURIComponent(hostedId)) : undefined;
    if (hostedDoc !== undefined) return this.documentTerms(hostedDoc, depth + 1);
    if (!this.options.fetchRemote) {
      throw ngsiProblem('LdContextNotAvailable', `the @context ${url} is not stored locally and remote contexts are not fetched`, {
        extra: { contextUrl: url },
      });
    }
    let doc: unknown;
    try {
      // Through the outbound guard (checked after DNS and on each redirect), size-limited, with a deadline.
      const res = await outboundRequest(url, this.options.outbound ?? { allow: [] }, {
        timeoutMs: this.options.fetchTimeoutMs ?? 2000, maxBytes: MAX_CONTEXT_BYTES, headers: { accept: 'application/ld+json, application/json' },
      });
      if (res.status < 200 || res.status >= 300) throw new Error(`HTTP ${res.status}`);
      doc = JSON.parse(res.body.toString('utf8')) as unknown;
    } catch (err) {
      throw ngsiProblem('LdContextNotAvailable', `the @context ${url} could not be fetched: ${(err as Error).message}`, {
        extra: { contextUrl: url },
      });
    }
    // The contexts it lists are followed (each fetched once and cached); one that cannot be had fails the whole.
    const terms = await this.documentTerms(doc, depth + 1);
    this.known.set(url, terms);
    this.fetched.set(url, new Date());
    return terms;
  }

  /** The terms of a context document's `@context`: inline definitions, and the URLs it lists resolved in order. */
  private async documentTerms(doc: unknown, depth: number): Promise<TermMap> {
    const ctx = doc && typeof doc === 'object' && !Array.isArray(doc) ? (doc as Record<string, unknown>)['@context'] : undefined;
    if (ctx === undefined) throw ngsiProblem('BadRequestData', 'a JSON-LD context document needs an @context member');
    const terms: TermMap = {};
    for (const item of Array.isArray(ctx) ? ctx : [ctx]) {
      if (typeof item === 'string') Object.assign(terms, await this.remote(item, depth));
      else if (item && typeof item === 'object' && !Array.isArray(item)) Object.assign(terms, inlineTerms(item as Record<string, unknown>, terms));
      else throw ngsiProblem('BadRequestData', '@context entries must be URLs or objects');
    }
    return terms;
  }
}

/** Term definitions of an inline context: `"term": "iri"`, `"term": {"@id": "iri"}`, compact IRIs `"p:x"`. */
function inlineTerms(obj: Record<string, unknown>, previous: TermMap): TermMap {
  const out: TermMap = {};
  const prefixes: TermMap = { ...previous };
  for (const [term, def] of Object.entries(obj)) if (typeof def === 'string' && /[:/#]$/.test(def)) prefixes[term] = def;
  for (const [term, def] of Object.entries(obj)) {
    if (term.startsWith('@')) continue;
    const id = typeof def === 'string' ? def : def && typeof def === 'object' ? (def as Record<string, unknown>)['@id'] : undefined;
    if (typeof id !== 'string') continue;
    out[term] = expandCompactIri(id, { ...prefixes, ...out });
  }
  return out;
}

/** A term's IRI: own members only, so `toString` or `__proto__` in a request is a term like any other. */
const own = (terms: TermMap, term: string): string | undefined => (Object.hasOwn(terms, term) ? terms[term] : undefined);

const expandCompactIri = (value: string, terms: TermMap): string => {
  const colon = value.indexOf(':');
  if (colon > 0 && !value.slice(colon + 1).startsWith('//')) {
    const prefix = own(terms, value.slice(0, colon));
    if (prefix) return prefix + value.slice(colon + 1);
  }
  return value;
};

/** A term (attribute name or type) as a full IRI. */
export function expandTerm(ctx: LdContext, term: string): string {
  const mapped = own(ctx.terms, term);
  if (mapped) return mapped;
  if (term.includes(':')) return expandCompactIri(term, ctx.terms);
  return DEFAULT_VOCAB + term;
}

/** An IRI back to the shortest term of the context, or the IRI itself. */
export function compactIri(ctx: LdContext, iri: string): string {
  const term = ctx.reverse.get(iri);
  if (term) return term;
  if (iri.startsWith(DEFAULT_VOCAB)) return iri.slice(DEFAULT_VOCAB.length);
  return iri;
}

/** Parses a `Link: <url>; rel="http://www.w3.org/ns/json-ld#context"; type="application/ld+json"` header. */
export function contextFromLink(header: string | undefined): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(/,(?=\s*<)/)) {
    const m = /^\s*<([^>]*)>(.*)$/.exec(part);
    if (m && /rel\s*=\s*"?http:\/\/www\.w3\.org\/ns\/json-ld#context"?/.test(m[2])) return m[1];
  }
  throw ngsiProblem('BadRequestData', 'the Link header has no rel="http://www.w3.org/ns/json-ld#context" entry');
}

/** The Link header value pointing at a context. */
export const linkHeader = (url: string): string =>
  `<${url}>; rel="http://www.w3.org/ns/json-ld#context"; type="application/ld+json"`;
