import { randomBytes } from 'node:crypto';
import type { Db } from '../../platform/db/database.js';
import type { Clock } from '../../platform/clock/clock.js';
import type { Actor } from '../../platform/auth/roles.js';
import { can } from '../../platform/auth/permissions.js';
import { Problem } from '../../platform/errors/problem.js';
import type { Open311Config } from './config.js';
import type { TicketPersonalFields } from '../ticket-personal-fields.js';
import * as store from './open311-store.js';
import { requestView, serviceView, updateView } from './open311-views.js';
import type {
  Discovery, QueryArg, RequestUpdate, RequestView, RequestsQuery, ServiceDefinition, ServiceView, SubmitInput, SubmitResult, TokenResult, UpdatesQuery,
} from './schemas.js';

/** What Open311 needs from the ticket service: file a ticket as the API key's actor. */
export interface Open311TicketFiler {
  fileOpen311Ticket(actor: Actor, input: Open311TicketInput, idempotencyKey?: string): Promise<{ id: string; number: string }>;
}

export interface Open311TicketInput {
  categoryId: string;
  title: string;
  content: string;
  address: string | null;
  /** the client's address_id, echoed in GET requests */
  addressId: string | null;
  lat: number | null;
  lon: number | null;
  /** personal data: stored on the ticket, never shown by Open311 */
  citizenName: string | null;
  citizenPhone: string | null;
  mediaUrl: string | null;
  /** the token handed back to the client, stored with the ticket */
  token: string;
}

/** Public names of handling units (承办单位), for agency_responsible. */
export type UnitNames = () => Promise<Map<string, string>>;

export interface Open311ServiceDeps {
  db: Db;
  clock: Clock;
  config: Open311Config;
  tickets: Open311TicketFiler;
  actorForApiKey(key: string): Promise<Actor | undefined>;
  unitNames: UnitNames;
  /** Opens the address sealed at rest (field encryption) before it is masked for the feed. */
  personal?: Pick<TicketPersonalFields, 'openAll'>;
}

const DAY_MS = 86_400_000;

/**
 * The date of the last change of this endpoint's interface, for the discovery document's `changeset` (ISO 8601,
 * as the Service Discovery spec's example): issue 18 added servicerequestupdates, address_id and stricter input.
 */
export const OPEN311_CHANGESET = '2026-12-06T00:00:00Z';

/**
 * W3C-DTF (the w3 note): a date, or a date and time with a zone (`Z` or `±hh:mm`); the spec requires the zone.
 * Groups: year, month, day, hour, minute, second, fraction, zone.
 */
const W3C = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(\.\d+)?)?(Z|[+-]\d{2}:\d{2}))?$/;

/** A decimal number as people write one: no hex (`0x1E`), exponent, `Infinity` or blank (issue 18). */
const DECIMAL = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)$/;

/**
 * Longest value of each text field of POST requests, in characters: what the hotline's ticket keeps (address 500,
 * citizen name 100, phone 30) and what an id or URL reasonably is. Longer values are refused (400), never cut.
 */
export const FIELD_LIMITS = {
  api_key: 200, jurisdiction_id: 100, service_code: 50, address_string: 500, address_id: 100, email: 254, device_id: 100,
  account_id: 100, first_name: 50, last_name: 50, phone: 30, description: 4000, media_url: 2048,
} as const satisfies Partial<Record<keyof SubmitInput, number>>;

/** Most `attribute[code]` entries, and the longest value of one (no category has attributes yet). */
const ATTRIBUTE_LIMITS = { entries: 50, valueChars: 1000 };

/** Phone numbers as written: digits, spaces, `+ - ( ) .` (the ticket keeps them for the handling unit to call back). */
const PHONE = /^[0-9+\-(). ]*$/;

type Field = keyof RequestsQuery | keyof SubmitInput | 'attribute';

/** A bad argument, named as the spec names it (`start_date`, `lat`): Open311 errors read `field: message`. */
const bad = (field: Field, message: string): Problem =>
  new Problem('HOTLINE_OPEN311_BAD_ARGUMENT', { detail: `${field}: ${message}`, errors: [{ field, message }] });

/** "Optional" arguments: an empty parameter is the same as an absent one (spec, "Optional Arguments"). */
const present = (v: string | number | undefined | null): v is string | number => v !== undefined && v !== null && String(v).trim() !== '';

/** A repeated list argument reads as the comma-delimited one (`status=open&status=closed` = `status=open,closed`). */
const list = (v: QueryArg): string[] => {
  const joined = Array.isArray(v) ? v.join(',') : v;
  return present(joined) ? [...new Set(joined.split(',').map((s) => s.trim()).filter(Boolean))] : [];
};

/** A single-valued argument given twice is refused (which one would the client mean?). */
const single = (field: Field, v: QueryArg): string | undefined => {
  if (!Array.isArray(v)) return v;
  if (v.length > 1) throw bad(field, 'give this argument once');
  return v[0];
};

const daysInMonth = (year: number, month: number) => new Date(Date.UTC(year, month, 0)).getUTCDate();

/**
 * A W3C date-time read strictly: `2026-02-30` or `T24:00` do not exist (JavaScript's Date would roll them over
 * into March or the next day).
 */
export const parseW3cDate = (field: 'start_date' | 'end_date', v: string): Date => {
  const m = W3C.exec(v);
  const fail = () => bad(field, 'must be a w3 date-time with a time zone, e.g. 2010-01-01T00:00:00Z');
  if (!m) throw fail();
  const [year, month, day, hour = 0, minute = 0, second = 0] = [m[1], m[2], m[3], m[4], m[5], m[6]].map((x) => (x === undefined ? undefined : Number(x)));
  if (month! < 1 || month! > 12 || day! < 1 || day! > daysInMonth(year!, month!) || hour > 23 || minute > 59 || second > 59) throw fail();
  if (m[8] && m[8] !== 'Z' && (Number(m[8].slice(1, 3)) > 14 || Number(m[8].slice(4)) > 59)) throw fail();
  const d = new Date(v);
  if (Number.isNaN(d.getTime())) throw fail();
  return d;
};

const parseCoordinate = (field: 'lat' | 'long', v: string | number, limit: number): number => {
  const text = String(v).trim();
  const n = typeof v === 'number' ? v : DECIMAL.test(text) ? Number(text) : NaN;
  if (!Number.isFinite(n) || Math.abs(n) > limit) throw bad(field, `must be a decimal WGS84 number between -${limit} and ${limit}`);
  return n;
};

/** Characters, not UTF-16 units: 4,000 Chinese characters or emoji are 4,000 characters. */
const chars = (s: string) => [...s].length;

/** Every text field within its limit, and the attribute map within its own (400 naming the field). */
const checkLengths = (input: SubmitInput): void => {
  for (const [field, max] of Object.entries(FIELD_LIMITS) as [keyof typeof FIELD_LIMITS, number][]) {
    const v = input[field];
    if (typeof v === 'string' && chars(v) > max) throw bad(field, `is limited to ${max.toLocaleString('en')} characters`);
  }
  const attribute = input.attribute ?? {};
  const entries = Object.entries(attribute);
  if (entries.length > ATTRIBUTE_LIMITS.entries) throw bad('attribute', `at most ${ATTRIBUTE_LIMITS.entries} attributes`);
  for (const [code, value] of entries) {
    const values = Array.isArray(value) ? value : [value];
    if (code.length > 100 || values.length > ATTRIBUTE_LIMITS.entries || values.some((x) => String(x).length > ATTRIBUTE_LIMITS.valueChars)) {
      throw bad('attribute', `attribute[${code.slice(0, 100)}] is too long`);
    }
  }
};

/**
 * The Open311 GeoReport v2 facade over hotline tickets: categories are services (code = service_code), ticket
 * numbers are service_request_ids. Reads are public; filing needs an API key whose roles may create tickets.
 */
export class Open311Service {
  private unitCache: { at: number; names: Map<string, string> } | undefined;

  constructor(private readonly deps: Open311ServiceDeps) {}

  private opened<T extends { number: string; address: string | null }>(rows: T[]): T[] {
    return this.deps.personal ? this.deps.personal.openAll(rows) : rows;
  }

  /** The spec lets a single-jurisdiction endpoint ignore jurisdiction_id; a configured one is checked. */
  checkJurisdiction(jurisdictionIdArg: QueryArg): void {
    const own = this.deps.config.jurisdictionId;
    const jurisdictionId = single('jurisdiction_id', jurisdictionIdArg);
    if (own && present(jurisdictionId) && jurisdictionId !== own) {
      throw new Problem('HOTLINE_OPEN311_JURISDICTION_NOT_FOUND', { detail: `jurisdiction_id ${jurisdictionId} was not found` });
    }
  }

  /**
   * Service Discovery. `requestUrl` is this endpoint as the client reached it (`https://host/open311/v2`), used
   * unless `modules.open311.baseUrl` names the public URL (behind a proxy that rewrites paths).
   */
  discovery(requestUrl: string): Discovery {
    const { config } = this.deps;
    return {
      changeset: OPEN311_CHANGESET,
      contact: config.contact,
      key_service: config.keyService,
      endpoints: [
        {
          specification: 'http://wiki.open311.org/GeoReport_v2',
          url: config.baseUrl ?? requestUrl,
          changeset: OPEN311_CHANGESET,
          type: config.endpointType,
          formats: ['text/xml', 'application/json'],
        },
      ],
    };
  }

  async services(): Promise<ServiceView[]> {
    return (await store.listActiveCategories(this.deps.db)).map(serviceView);
  }

  /** A service definition: CityHub categories carry no extra attributes (yet), so the list is empty. */
  async serviceDefinition(code: string): Promise<ServiceDefinition> {
    const category = await store.findActiveCategoryByCode(this.deps.db, code);
    if (!category) throw new Problem('HOTLINE_OPEN311_SERVICE_NOT_FOUND', { detail: `service_code ${code} was not found` });
    return { service_code: category.code, attributes: [] };
  }

  async request(id: string): Promise<RequestView> {
    const rows = this.opened(await store.findRequestsByNumbers(this.deps.db, [id], 1));
    if (rows.length === 0) throw new Problem('HOTLINE_OPEN311_REQUEST_NOT_FOUND', { detail: `service_request_id ${id} was not found` });
    const names = await this.unitNameMap();
    return requestView(rows[0], (u) => names.get(u));
  }

  async token(token: string): Promise<TokenResult> {
    const number = await store.findNumberByToken(this.deps.db, token);
    if (!number) throw new Problem('HOTLINE_OPEN311_TOKEN_NOT_FOUND', { detail: `token ${token} was not found` });
    return { service_request_id: number, token };
  }

  /**
   * GET Service Requests. `service_request_id` overrides every other argument; otherwise the range is the most
   * recent `windowDays` (90) days unless given, may not span more than that, and at most `maxRequests` (1,000)
   * requests come back, newest first (spec, "Response Volume").
   */
  async requests(q: RequestsQuery): Promise<RequestView[]> {
    const { db, config } = this.deps;
    const limit = config.maxRequests;
    const names = await this.unitNameMap();
    const view = (rows: Awaited<ReturnType<typeof store.listRequests>>) => this.opened(rows).map((r) => requestView(r, (u) => names.get(u)));

    const ids = list(q.service_request_id);
    if (ids.length) return view(await store.findRequestsByNumbers(db, ids.slice(0, limit), limit));

    const { from, to } = this.dateRange(q);
    const statuses = list(q.status);
    for (const s of statuses) if (s !== 'open' && s !== 'closed') throw bad('status', 'must be open, closed or both, comma-delimited');
    const status = statuses.length === 1 ? (statuses[0] as 'open' | 'closed') : undefined;

    let categoryIds: string[] | undefined;
    const codes = list(q.service_code);
    if (codes.length) {
      const wanted = new Set(codes);
      categoryIds = (await store.listActiveCategories(db)).filter((c) => wanted.has(c.code)).map((c) => c.id);
    }
    return view(await store.listRequests(db, { categoryIds, status, from, to, limit }));
  }

  /**
   * GET Service Request Updates, mySociety's extension (FixMyStreet pulls status changes with it): every status
   * change of a published request in [start_date, end_date] (default and longest range as GET requests), oldest
   * first, at most `maxRequests`. The description is the public status note, never the unit's reply text.
   */
  async updates(q: UpdatesQuery): Promise<RequestUpdate[]> {
    const { from, to } = this.dateRange(q);
    const rows = await store.listStatusChanges(this.deps.db, { from, to, limit: this.deps.config.maxRequests });
    return rows.map(updateView);
  }

  /** The date range of GET requests and updates: the most recent `windowDays` unless given, never longer. */
  private dateRange(q: { start_date?: QueryArg; end_date?: QueryArg }): { from: Date; to: Date } {
    const { config } = this.deps;
    const window = config.windowDays * DAY_MS;
    const startArg = single('start_date', q.start_date);
    const endArg = single('end_date', q.end_date);
    const start = present(startArg) ? parseW3cDate('start_date', startArg) : undefined;
    const end = present(endArg) ? parseW3cDate('end_date', endArg) : undefined;
    const to = end ?? (start ? new Date(start.getTime() + window) : this.deps.clock());
    const from = start ?? new Date(to.getTime() - window);
    if (from > to) throw bad('start_date', 'must not be after end_date');
    if (to.getTime() - from.getTime() > window) throw bad('end_date', `the range may not span more than ${config.windowDays} days`);
    return { from, to };
  }

  /**
   * POST Service Request. Checks come in the spec's order of HTTP statuses: the api_key (403), then the
   * required arguments (400), then the service_code's existence (404).
   */
  /** Files a service request; with an `Idempotency-Key` a retry gets the first request back (the hotline's intake). */
  async submit(input: SubmitInput, bearerActor: Actor, idempotencyKey?: string): Promise<SubmitResult> {
    const actor = await this.keyActor(input.api_key, bearerActor);
    if (!can(actor, 'hotline.ticket.create')) {
      throw new Problem('HOTLINE_OPEN311_API_KEY', { detail: 'this api_key may not file service requests' });
    }
    checkLengths(input);
    this.checkJurisdiction(input.jurisdiction_id);
    if (!present(input.service_code)) throw bad('service_code', 'service_code was not provided');
    const hasLat = present(input.lat);
    const hasLong = present(input.long);
    if (hasLat !== hasLong) throw bad(hasLat ? 'long' : 'lat', 'lat and long must both be sent');
    const lat = hasLat ? parseCoordinate('lat', input.lat!, 90) : null;
    const lon = hasLong ? parseCoordinate('long', input.long!, 180) : null;
    if (lat === null && !present(input.address_string) && !present(input.address_id)) {
      throw bad('lat', 'a location is required: lat & long, address_string or address_id');
    }
    // Kept byte for byte as sent (leading spaces, CR LF): GET requests hands back exactly this text.
    const description = present(input.description) ? String(input.description) : '';
    if (present(input.phone) && !PHONE.test(String(input.phone))) throw bad('phone', 'digits, spaces and + - ( ) . only');
    if (present(input.media_url) && !/^https?:\/\/\S+$/.test(input.media_url)) throw bad('media_url', 'must be an http(s) URL');

    const category = await store.findActiveCategoryByCode(this.deps.db, String(input.service_code));
    if (!category) throw new Problem('HOTLINE_OPEN311_SERVICE_NOT_FOUND', { detail: `service_code ${input.service_code} was not found` });
    const serviceName = serviceView(category).service_name;

    // The workbench's title: the description's first line (up to 60 characters); Open311 shows the description.
    const firstLine = description.trim().split(/\r?\n/)[0].trim();
    const title = firstLine ? (chars(firstLine) > 60 ? `${[...firstLine].slice(0, 60).join('')}…` : firstLine) : serviceName;
    const address = present(input.address_string) ? String(input.address_string).trim() : null;
    const name = [input.first_name, input.last_name].filter(present).join(' ').trim();
    const token = randomBytes(16).toString('base64url');
    const ticket = await this.deps.tickets.fileOpen311Ticket(actor, {
      categoryId: category.id,
      title,
      content: description || serviceName,
      address,
      addressId: present(input.address_id) ? String(input.address_id) : null,
      lat,
      lon,
      citizenName: name || null,
      citizenPhone: present(input.phone) ? String(input.phone).trim() : null,
      mediaUrl: present(input.media_url) ? input.media_url : null,
      token,
    }, idempotencyKey);
    return {
      service_request_id: ticket.number,
      // a filing replayed for its Idempotency-Key has the first one's token
      token: idempotencyKey === undefined ? token : ((await store.findTokenOf(this.deps.db, ticket.id)) ?? token),
      service_notice: `已受理，工单号 ${ticket.number} / Received as request ${ticket.number}`,
      account_id: present(input.account_id) ? String(input.account_id) : null,
    };
  }

  private async keyActor(apiKey: string | undefined, bearerActor: Actor): Promise<Actor> {
    if (present(apiKey)) {
      const actor = await this.deps.actorForApiKey(String(apiKey));
      if (!actor) throw new Problem('HOTLINE_OPEN311_API_KEY', { detail: 'invalid api_key received -- cannot proceed with create_request' });
      return actor;
    }
    // A client may also send the key as `Authorization: Bearer`, which the platform gate has already resolved.
    if (bearerActor.kind === 'api_key') return bearerActor;
    throw new Problem('HOTLINE_OPEN311_API_KEY', { detail: 'api_key is required to create a service request' });
  }

  private async unitNameMap(): Promise<Map<string, string>> {
    const now = Date.now();
    const ttl = this.deps.config.cacheSeconds * 1000;
    if (this.unitCache && now - this.unitCache.at < ttl) return this.unitCache.names;
    const names = await this.deps.unitNames();
    this.unitCache = { at: now, names };
    return names;
  }
}
