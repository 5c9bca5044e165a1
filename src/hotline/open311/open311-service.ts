import { randomBytes } from 'node:crypto';
import type { Db } from '../../platform/db/database.js';
import type { Clock } from '../../platform/clock/clock.js';
import type { Actor } from '../../platform/auth/roles.js';
import { can } from '../../platform/auth/permissions.js';
import { Problem } from '../../platform/errors/problem.js';
import type { Open311Config } from './config.js';
import * as store from './open311-store.js';
import { requestView, serviceView } from './open311-views.js';
import type { Discovery, RequestView, RequestsQuery, ServiceDefinition, ServiceView, SubmitInput, SubmitResult, TokenResult } from './schemas.js';

/** What Open311 needs from the ticket service: file a ticket as the API key's actor. */
export interface Open311TicketFiler {
  fileOpen311Ticket(actor: Actor, input: Open311TicketInput): Promise<{ id: string; number: string }>;
}

export interface Open311TicketInput {
  categoryId: string;
  title: string;
  content: string;
  address: string | null;
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
}

const DAY_MS = 86_400_000;

/** W3C-DTF (the w3 note): a date, or a date and time with a zone (`Z` or `±hh:mm`); the spec requires the zone. */
const W3C = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2}))?$/;

/** A bad argument, named as the spec names it (`start_date`, `lat`): Open311 errors read `field: message`. */
const bad = (field: keyof RequestsQuery | keyof SubmitInput, message: string): Problem =>
  new Problem('HOTLINE_OPEN311_BAD_ARGUMENT', { detail: `${field}: ${message}`, errors: [{ field, message }] });

/** "Optional" arguments: an empty parameter is the same as an absent one (spec, "Optional Arguments"). */
const present = (v: string | number | undefined | null): v is string | number => v !== undefined && v !== null && String(v).trim() !== '';

const list = (v: string | undefined): string[] =>
  present(v) ? [...new Set(v.split(',').map((s) => s.trim()).filter(Boolean))] : [];

const parseDate = (field: 'start_date' | 'end_date', v: string): Date => {
  const d = new Date(v);
  if (!W3C.test(v) || Number.isNaN(d.getTime())) throw bad(field, 'must be a w3 date-time with a time zone, e.g. 2010-01-01T00:00:00Z');
  return d;
};

const parseCoordinate = (field: 'lat' | 'long', v: string | number, limit: number): number => {
  const n = typeof v === 'number' ? v : Number(String(v).trim());
  if (!Number.isFinite(n) || Math.abs(n) > limit) throw bad(field, `must be a WGS84 number between -${limit} and ${limit}`);
  return n;
};

/**
 * The Open311 GeoReport v2 facade over hotline tickets: categories are services (code = service_code), ticket
 * numbers are service_request_ids. Reads are public; filing needs an API key whose roles may create tickets.
 */
export class Open311Service {
  private unitCache: { at: number; names: Map<string, string> } | undefined;

  constructor(private readonly deps: Open311ServiceDeps) {}

  /** The spec lets a single-jurisdiction endpoint ignore jurisdiction_id; a configured one is checked. */
  checkJurisdiction(jurisdictionId: string | undefined): void {
    const own = this.deps.config.jurisdictionId;
    if (own && present(jurisdictionId) && jurisdictionId !== own) {
      throw new Problem('HOTLINE_OPEN311_JURISDICTION_NOT_FOUND', { detail: `jurisdiction_id ${jurisdictionId} was not found` });
    }
  }

  discovery(): Discovery {
    const { config } = this.deps;
    return {
      changeset: '2026-11-26 00:00',
      contact: config.contact,
      key_service: config.keyService,
      endpoints: [
        {
          specification: 'http://wiki.open311.org/GeoReport_v2',
          url: config.baseUrl,
          changeset: '2026-11-26 00:00',
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
    const rows = await store.findRequestsByNumbers(this.deps.db, [id], 1);
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
    const view = (rows: Awaited<ReturnType<typeof store.listRequests>>) => rows.map((r) => requestView(r, (u) => names.get(u)));

    const ids = list(q.service_request_id);
    if (ids.length) return view(await store.findRequestsByNumbers(db, ids.slice(0, limit), limit));

    const window = config.windowDays * DAY_MS;
    const start = present(q.start_date) ? parseDate('start_date', q.start_date) : undefined;
    const end = present(q.end_date) ? parseDate('end_date', q.end_date) : undefined;
    const to = end ?? (start ? new Date(start.getTime() + window) : this.deps.clock());
    const from = start ?? new Date(to.getTime() - window);
    if (from > to) throw bad('start_date', 'must not be after end_date');
    if (to.getTime() - from.getTime() > window) throw bad('end_date', `the range may not span more than ${config.windowDays} days`);

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
   * POST Service Request. Checks come in the spec's order of HTTP statuses: the api_key (403), then the
   * required arguments (400), then the service_code's existence (404).
   */
  async submit(input: SubmitInput, bearerActor: Actor): Promise<SubmitResult> {
    const actor = await this.keyActor(input.api_key, bearerActor);
    if (!can(actor, 'hotline.ticket.create')) {
      throw new Problem('HOTLINE_OPEN311_API_KEY', { detail: 'this api_key may not file service requests' });
    }
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
    const description = present(input.description) ? String(input.description).trim() : '';
    if (description.length > 4000) throw bad('description', 'is limited to 4,000 characters');
    if (present(input.media_url) && !/^https?:\/\/\S+$/.test(input.media_url)) throw bad('media_url', 'must be an http(s) URL');

    const category = await store.findActiveCategoryByCode(this.deps.db, String(input.service_code));
    if (!category) throw new Problem('HOTLINE_OPEN311_SERVICE_NOT_FOUND', { detail: `service_code ${input.service_code} was not found` });
    const serviceName = serviceView(category).service_name;

    const firstLine = description.split('\n')[0].trim();
    const title = firstLine ? (firstLine.length > 60 ? `${firstLine.slice(0, 60)}…` : firstLine) : serviceName;
    const address = present(input.address_string)
      ? String(input.address_string).trim()
      : present(input.address_id)
        ? `address_id ${String(input.address_id).trim()}`
        : null;
    const name = [input.first_name, input.last_name].filter(present).join(' ').trim();
    const token = randomBytes(16).toString('base64url');
    const ticket = await this.deps.tickets.fileOpen311Ticket(actor, {
      categoryId: category.id,
      title,
      content: description || serviceName,
      address,
      lat,
      lon,
      citizenName: name || null,
      citizenPhone: present(input.phone) ? String(input.phone).trim() : null,
      mediaUrl: present(input.media_url) ? input.media_url : null,
      token,
    });
    return {
      service_request_id: ticket.number,
      token,
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
