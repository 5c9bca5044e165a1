import { Type, type Static } from 'typebox';
import { Nullable } from '../../platform/http/common-schemas.js';

/**
 * The Open311 GeoReport v2 facade's request and response schemas (http://wiki.open311.org/GeoReport_v2) and
 * their types, which the service takes and returns. A leaf: it imports typebox only.
 */

/** The format is the path's extension (`/services.json`, `/services.xml`). */
export const Format = Type.Union([Type.Literal('json'), Type.Literal('xml')], { description: 'json or xml' });
export type Format = Static<typeof Format>;

export const FormatParams = Type.Object({ format: Format });

/**
 * A query argument as received: text, or a list when the client repeats it (`status=open&status=closed`). The
 * service reads a repeated list argument as the comma-delimited one and refuses a repeated single value with an
 * Open311 error, instead of a schema message (issue 18).
 */
const Arg = (description: string) => Type.Optional(Type.Union([Type.String(), Type.Array(Type.String())], { description }));
export type QueryArg = string | string[] | undefined;

export const JurisdictionQuery = Type.Object({ jurisdiction_id: Arg('ignored unless configured (single jurisdiction)') });


/** The Open311 error document: an array of {code, description} (spec, "Errors"). */
export const Errors = Type.Array(Type.Object({ code: Type.Integer(), description: Type.String() }));

/** Service Discovery: the same document in both formats (Service_Discovery spec). */
export const Discovery = Type.Object({
  changeset: Type.String(),
  contact: Type.String(),
  key_service: Type.String(),
  endpoints: Type.Array(
    Type.Object({
      specification: Type.String(),
      url: Type.String(),
      changeset: Type.String(),
      type: Type.String(),
      formats: Type.Array(Type.String()),
    }),
  ),
});
export type Discovery = Static<typeof Discovery>;

/** A category as an Open311 service. */
export const ServiceView = Type.Object({
  service_code: Type.String(),
  service_name: Type.String(),
  description: Type.String(),
  metadata: Type.Boolean(),
  type: Type.Enum(['realtime', 'batch', 'blackbox']),
  keywords: Type.String(),
  group: Type.String(),
});
export type ServiceView = Static<typeof ServiceView>;

export const ServiceCodeParams = Type.Object({ service_code: Type.String(), format: Format });

/** A service definition: CityHub categories carry no extra attributes (yet). */
export const ServiceDefinition = Type.Object({
  service_code: Type.String(),
  attributes: Type.Array(Type.Object({})),
});
export type ServiceDefinition = Static<typeof ServiceDefinition>;

/** GeoReport v2 knows two statuses; every CityHub status maps onto one of them. */
export const Open311Status = Type.Union([Type.Literal('open'), Type.Literal('closed')]);
export type Open311Status = Static<typeof Open311Status>;

/** A ticket as an Open311 service request: public fields only, listed one by one. */
export const RequestView = Type.Object({
  service_request_id: Type.String(),
  status: Open311Status,
  status_notes: Nullable(Type.String()),
  service_name: Nullable(Type.String()),
  service_code: Nullable(Type.String()),
  description: Nullable(Type.String()),
  agency_responsible: Nullable(Type.String()),
  service_notice: Nullable(Type.String()),
  requested_datetime: Nullable(Type.String()),
  updated_datetime: Nullable(Type.String()),
  expected_datetime: Nullable(Type.String()),
  address: Nullable(Type.String()),
  address_id: Nullable(Type.String()),
  zipcode: Nullable(Type.String()),
  lat: Nullable(Type.Number()),
  long: Nullable(Type.Number()),
  media_url: Nullable(Type.String()),
});
export type RequestView = Static<typeof RequestView>;

/** GET Service Requests arguments as received (all optional, comma-delimited lists). */
export const RequestsQuery = Type.Object({
  jurisdiction_id: Arg('ignored unless configured (single jurisdiction)'),
  service_request_id: Arg('comma-delimited; overrides all other arguments'),
  service_code: Arg('comma-delimited'),
  start_date: Arg('w3 date-time with zone, e.g. 2010-01-01T00:00:00Z'),
  end_date: Arg('w3 date-time with zone'),
  status: Arg('open, closed, or both comma-delimited'),
});
export type RequestsQuery = Static<typeof RequestsQuery>;

/** GET Service Request Updates (mySociety's extension that FixMyStreet reads): a date range. */
export const UpdatesQuery = Type.Object({
  jurisdiction_id: Arg('ignored unless configured (single jurisdiction)'),
  start_date: Arg('w3 date-time with zone'),
  end_date: Arg('w3 date-time with zone'),
});
export type UpdatesQuery = Static<typeof UpdatesQuery>;

/**
 * One status change of a published request (mySociety's `request_update`): the status in FixMyStreet's words
 * (open, investigating, action_scheduled, in_progress, fixed, no_further_action, duplicate, closed).
 */
export const RequestUpdate = Type.Object({
  update_id: Type.String(),
  service_request_id: Type.String(),
  status: Type.String(),
  updated_datetime: Type.String(),
  description: Type.String(),
  media_url: Type.String(),
});
export type RequestUpdate = Static<typeof RequestUpdate>;

export const RequestIdParams = Type.Object({ service_request_id: Type.String(), format: Format });

/** POST Service Request arguments (form fields; `attribute[code]` entries arrive as `attribute`). */
export const SubmitInput = Type.Object({
  api_key: Type.Optional(Type.String()),
  jurisdiction_id: Type.Optional(Type.String()),
  service_code: Type.Optional(Type.String()),
  // Form fields are text; a JSON body may send numbers (bodies are not coerced).
  lat: Type.Optional(Type.Union([Type.Number(), Type.String()])),
  long: Type.Optional(Type.Union([Type.Number(), Type.String()])),
  address_string: Type.Optional(Type.String()),
  address_id: Type.Optional(Type.String()),
  email: Type.Optional(Type.String()),
  device_id: Type.Optional(Type.String()),
  account_id: Type.Optional(Type.String()),
  first_name: Type.Optional(Type.String()),
  last_name: Type.Optional(Type.String()),
  phone: Type.Optional(Type.String()),
  description: Type.Optional(Type.String()),
  media_url: Type.Optional(Type.String()),
  attribute: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
});
export type SubmitInput = Static<typeof SubmitInput>;

/** What POST Service Request hands back for the request filed. */
export const SubmitResult = Type.Object({
  service_request_id: Type.String(),
  token: Type.String(),
  service_notice: Type.String(),
  account_id: Nullable(Type.String()),
});
export type SubmitResult = Static<typeof SubmitResult>;

export const TokenParams = Type.Object({ token: Type.String(), format: Format });

/** GET service_request_id from a token. */
export const TokenResult = Type.Object({ service_request_id: Type.String(), token: Type.String() });
export type TokenResult = Static<typeof TokenResult>;
