import { Type, type Static } from 'typebox';

/** Request and response schemas of context-source registrations and their subscriptions (§6.8, §6.9, §6.11–6.12). */

export { JsonObjectBody } from './schemas.js';

export const RegistrationIdParams = Type.Object({ registrationId: Type.String({ maxLength: 1024 }) });

/** GET /csourceRegistrations (§6.8.3.1): entity and attribute filters, `q`/`csf` on the registration's members, geo. */
export const CsourceQuery = Type.Object({
  id: Type.Optional(Type.String({ maxLength: 8192 })),
  type: Type.Optional(Type.String({ maxLength: 2048 })),
  idPattern: Type.Optional(Type.String({ maxLength: 1024 })),
  attrs: Type.Optional(Type.String({ maxLength: 4096 })),
  q: Type.Optional(Type.String({ maxLength: 4096 })),
  csf: Type.Optional(Type.String({ maxLength: 4096 })),
  scopeQ: Type.Optional(Type.String({ maxLength: 4096 })),
  georel: Type.Optional(Type.String({ maxLength: 128 })),
  geometry: Type.Optional(Type.String({ maxLength: 64 })),
  coordinates: Type.Optional(Type.String({ maxLength: 65536 })),
  geoproperty: Type.Optional(Type.String({ maxLength: 256 })),
  limit: Type.Optional(Type.Integer({ minimum: 0, maximum: 1000 })),
  offset: Type.Optional(Type.Integer({ minimum: 0 })),
  count: Type.Optional(Type.Boolean()),
  options: Type.Optional(Type.String({ maxLength: 256 })),
});
export type CsourceQuery = Static<typeof CsourceQuery>;

/** A registration as answered (§5.2.9): written by the service. */
export const NgsiRegistration = Type.Object({}, { additionalProperties: true });
export const NgsiRegistrationList = Type.Array(NgsiRegistration);

export const CsourceSubscriptionIdParams = Type.Object({ subscriptionId: Type.String({ maxLength: 1024 }) });
export const CsourceSubscriptionListQuery = Type.Object({
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })),
  offset: Type.Optional(Type.Integer({ minimum: 0 })),
});

/** A notification from a source for a subscription made there on behalf of a local one. */
export const RemoteNotificationParams = Type.Object({ token: Type.String({ minLength: 16, maxLength: 128, pattern: '^[A-Za-z0-9_-]+$' }) });
