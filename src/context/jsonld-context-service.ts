import { createHash, randomUUID } from 'node:crypto';
import type { Db } from '../platform/db/database.js';
import { assertCan } from '../platform/auth/permissions.js';
import type { Actor } from '../platform/auth/roles.js';
import { ngsiProblem } from './ngsi-errors.js';
import { CORE_CONTEXT_URLS, type ContextResolver } from './jsonld-context.js';
import { countHosted, deleteHosted, findHosted, insertHosted, listHosted } from './jsonld-context-store.js';

/** A context as /jsonldContexts details it (§5.2.41 ContextDetails? named so in v1.8). */
export interface ContextDetails {
  URL: string;
  localId: string;
  kind: 'Hosted' | 'Cached' | 'ImplicitlyCreated';
  timestamp?: string;
}

/** The URL of a context CityHub hosts, under the address the client used. */
export const hostedUrl = (base: string, id: string): string => `${base}/ngsi-ld/v1/jsonldContexts/${encodeURIComponent(id)}`;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * The @context API (GS CIM 009 v1.8 §5.13, §6.29–6.30): list the contexts CityHub keeps, serve one, host a
 * new one, delete a hosted one or drop (or reload) a cached one. Hosted contexts live in the database (every
 * node serves them, and a Link to one resolves locally); cached ones are the built-in term maps and the remote
 * contexts fetched (per node).
 */
export class JsonldContextService {
  constructor(
    private readonly db: Db,
    private readonly resolver: ContextResolver,
    private readonly maxHosted: number,
  ) {
    resolver.hostWith(async (id) => (UUID.test(id) ? (await findHosted(db, id))?.body : undefined));
  }

  /** GET /jsonldContexts: URLs, or details (`details=true`), optionally of one kind. */
  async list(actor: Actor, base: string, o: { details?: boolean; kind?: string }): Promise<string[] | ContextDetails[]> {
    assertCan(actor, 'context.entity.read');
    if (o.kind !== undefined && !['Hosted', 'Cached', 'ImplicitlyCreated'].includes(o.kind)) {
      throw ngsiProblem('BadRequestData', `kind must be Hosted, Cached or ImplicitlyCreated, not "${o.kind}"`);
    }
    const hosted: ContextDetails[] = (await listHosted(this.db)).map((h) => ({ URL: hostedUrl(base, h.id), localId: h.id, kind: h.kind, timestamp: new Date(h.created_at).toISOString() }));
    const cached: ContextDetails[] = this.resolver.cached().map((c) => ({ URL: c.url, localId: c.url, kind: 'Cached', ...(c.fetchedAt ? { timestamp: c.fetchedAt.toISOString() } : {}) }));
    const all = [...hosted, ...cached].filter((d) => !o.kind || d.kind === o.kind);
    return o.details ? all : all.map((d) => d.URL);
  }

  /** GET /jsonldContexts/{id}: the document (`{"@context": …}`), or its details. */
  async get(actor: Actor, base: string, id: string, details: boolean): Promise<Record<string, unknown>> {
    assertCan(actor, 'context.entity.read');
    const hosted = UUID.test(id) ? await findHosted(this.db, id) : undefined;
    if (hosted) {
      return details ? { URL: hostedUrl(base, id), localId: id, kind: hosted.kind, timestamp: new Date(hosted.created_at).toISOString() } : hosted.body;
    }
    const terms = this.resolver.termsOf(id);
    if (!terms) throw ngsiProblem('ResourceNotFound', `no @context ${id} is hosted or cached here`);
    const cached = this.resolver.cached().find((c) => c.url === id);
    if (details) return { URL: id, localId: id, kind: 'Cached', ...(cached?.fetchedAt ? { timestamp: cached.fetchedAt.toISOString() } : {}) };
    return { '@context': terms };
  }

  /** POST /jsonldContexts: hosts the document; returns its id and URL. Its contexts must resolve (so it can be used). */
  async add(actor: Actor, base: string, body: Record<string, unknown>): Promise<{ id: string; url: string }> {
    assertCan(actor, 'context.entity.write');
    const ctx = body['@context'];
    const valid = (x: unknown) => typeof x === 'string' || (x !== null && typeof x === 'object' && !Array.isArray(x));
    if (ctx === undefined || !(valid(ctx) || (Array.isArray(ctx) && ctx.length > 0 && ctx.every(valid)))) {
      throw ngsiProblem('BadRequestData', 'the body must be a JSON-LD context document: {"@context": an object, a URL or a list of them}', { errors: [{ field: '@context', message: 'missing or not a context' }] });
    }
    await this.resolver.resolve(ctx);
    if ((await countHosted(this.db)) >= this.maxHosted) {
      throw ngsiProblem('BadRequestData', `at most ${this.maxHosted} contexts are hosted (modules.context.maxHostedContexts)`, { extra: { limit: this.maxHosted } });
    }
    const id = randomUUID();
    await insertHosted(this.db, id, { '@context': ctx });
    return { id, url: hostedUrl(base, id) };
  }

  /**
   * The URL of an ImplicitlyCreated context (§5.13.1) for a request whose @context is a list or an object, so
   * that what a subscription was made with can be named by one URL (its `jsonldContext`). Its id is derived from
   * the content: the same @context gives the same context, kept once.
   */
  async implicit(base: string, ctx: unknown): Promise<string> {
    const h = createHash('sha256').update(JSON.stringify(ctx)).digest('hex');
    const id = `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-${((parseInt(h[16], 16) & 3) | 8).toString(16)}${h.slice(17, 20)}-${h.slice(20, 32)}`;
    await insertHosted(this.db, id, { '@context': ctx }, 'ImplicitlyCreated');
    return hostedUrl(base, id);
  }

  /** DELETE /jsonldContexts/{id}: a hosted one is deleted; a cached one dropped, or fetched again with `reload`. */
  async remove(actor: Actor, id: string, reload: boolean): Promise<void> {
    assertCan(actor, 'context.entity.write');
    if (CORE_CONTEXT_URLS.includes(id)) throw ngsiProblem('BadRequestData', 'the core @context cannot be deleted or reloaded');
    if (UUID.test(id)) {
      if (reload) throw ngsiProblem('BadRequestData', 'reload applies to cached contexts, not to hosted ones');
      if (await deleteHosted(this.db, id)) return;
    }
    const cached = this.resolver.cached().find((c) => c.url === id);
    if (!cached) throw ngsiProblem('ResourceNotFound', `no @context ${id} is hosted or cached here`);
    if (cached.builtin) throw ngsiProblem('BadRequestData', `${id} is built into CityHub (or configured) and is not a cached copy`);
    if (reload) await this.resolver.reload(id);
    else this.resolver.forget(id);
  }
}
