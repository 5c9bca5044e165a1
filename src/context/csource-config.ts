import { Type } from 'typebox';

/**
 * `modules.context.csources`: context-source registrations and distributed operations (ETSI GS CIM 009 §4.3.6,
 * §5.9, §5.10). Every call to a registered source goes through the platform's outbound guard (`outbound.allow`).
 */
export const CsourceConfigSchema = Type.Object(
  {
    /** Deadline of one forwarded request; a source slower than this counts as failed (the answer names it). */
    forwardTimeoutMs: Type.Integer({ minimum: 100, default: 3000 }),
    /** Largest answer read from a source; more is a failed source, never a full read into memory. */
    maxResponseBytes: Type.Integer({ minimum: 1024, default: 4_194_304 }),
    /** Most entities taken from one source's answer (a source answering more is cut to this, with a warning). */
    maxEntitiesPerSource: Type.Integer({ minimum: 1, default: 1000 }),
    /** Most sources one request is forwarded to. */
    maxSources: Type.Integer({ minimum: 1, default: 16 }),
    /** A request that has passed through this many brokers (its `Via` header) is answered locally only. */
    maxHops: Type.Integer({ minimum: 1, default: 4 }),
    /**
     * This broker's name in `Via` headers (loop detection, §6.3.18); empty: one is made at start. Give every node
     * of one city the same name so a loop through another node is seen as well.
     */
    brokerId: Type.String({ default: '' }),
    /**
     * This hub's own base URL as the sources can reach it (`https://hub.city.example`), where they send the
     * notifications of subscriptions made on them on behalf of local ones; empty: no subscriptions are made at
     * sources.
     */
    selfUrl: Type.String({ default: '' }),
    /** How long a node keeps a tenant's registrations in memory before reading them again (other nodes' changes). */
    cacheMs: Type.Integer({ minimum: 0, default: 1000 }),
    /** How long an entity map (/entityMaps, §5.14) lives when its creator suggests no `expiresAt`, and at most. */
    entityMapSeconds: Type.Integer({ minimum: 1, default: 3600 }),
    /** Most entity ids one entity map holds (a query selecting more answers 403 TooManyResults). */
    entityMapMaxEntities: Type.Integer({ minimum: 1, default: 10_000 }),
  },
  { default: {} },
);
