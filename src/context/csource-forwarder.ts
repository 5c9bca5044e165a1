import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { outboundRequest, type OutboundPolicy } from '../platform/net/outbound.js';
import type { Static } from 'typebox';
import { linkHeader, type ContextResolver, type LdContext } from './jsonld-context.js';
import { recompact, recompactQuery } from './csource-recompact.js';
import { isProblem } from '../platform/errors/problem.js';
import { isUri } from './entity-model.js';
import { sendableHeaders } from './notification-endpoint.js';
import type { StoredRegistration } from './csource-model.js';
import type { CsourceConfigSchema } from './csource-config.js';

type CsourceConfig = Static<typeof CsourceConfigSchema>;

/**
 * What a request carries that matters for forwarding but is no part of the RequestScope: the `Via` header it
 * came with (§6.3.18) and the warnings about sources that failed, sent back as `NGSILD-Warning` (§6.3.17).
 * Kept per request by an `onRequest` hook of the NGSI-LD plugin (index.ts), read by the forwarder.
 */
export interface ForwardingState {
  via?: string;
  /** Each a warn code of §6.3.17 Table 6.3.17-1 and its text. */
  warnings: { code: number; text: string }[];
}
export const forwardingState = new AsyncLocalStorage<ForwardingState>();

/** What a source answered: the status and the parsed JSON (undefined when not JSON). */
export interface SourceAnswer {
  status: number;
  body: unknown;
  headers: Record<string, string | string[] | undefined>;
}

/** contextSourceInfo keys the broker acts on (§4.3.6.6) instead of sending them as headers. */
const PROCESSED_INFO = ['accept', 'contentType', 'jsonldContext'] as const;

/**
 * A source that failed: why, in one line (the answer is never echoed), and its `NGSILD-Warning` code (§6.3.17):
 * 299 for an error answer (4xx, 5xx; a 404 is never a failure), 111 for an answer whose payload is not valid
 * (not JSON, not the expected shape), 199 for anything else (unreachable, timeout, refused by the outbound guard).
 * Unless given, the code is read from the reason: "answered <status>…" or "answered …".
 */
export class SourceFailure extends Error {
  readonly warnCode: number;

  constructor(readonly endpoint: string, reason: string, code?: number) {
    super(`context source ${endpoint}: ${reason}`);
    const status = /^answered ([1-5]\d\d)(?!\d)/.exec(reason)?.[1];
    this.warnCode = code ?? (status && Number(status) >= 400 ? 299 : reason.startsWith('answered ') ? 111 : 199);
  }
}

/**
 * Calls registered context sources (§4.3.6) on a caller's behalf: only through the platform's outbound guard
 * (so an endpoint on a loopback, private or metadata address is called only when `outbound.allow` lists it, and
 * its DNS answer is checked when connecting), with a deadline and a size limit, no redirects, the registration's
 * tenant and `contextSourceInfo` headers, and a `Via` header naming this broker so loops end (§6.3.18).
 */
export class CsourceForwarder {
  readonly brokerId: string;

  constructor(
    private readonly config: CsourceConfig,
    private readonly outbound: OutboundPolicy,
    private readonly log: Logger,
    /** Loads a registration's `jsonldContext` (built in, hosted, cached, or fetched when `fetchRemoteContexts`). */
    private readonly contexts?: ContextResolver,
  ) {
    this.brokerId = config.brokerId || `cityhub-${randomUUID().slice(0, 8)}`;
  }

  private hops(): string[] {
    const via = forwardingState.getStore()?.via;
    return via ? via.split(',').map((s) => s.trim()).filter(Boolean) : [];
  }

  /**
   * Whether this request may be forwarded: not when it has already passed through this broker (a loop) or
   * through `maxHops` brokers.
   */
  mayForward(): boolean {
    const hops = this.hops();
    if (hops.length >= this.config.maxHops) return false;
    return !hops.some((h) => h.split(/\s+/).pop() === this.brokerId);
  }

  /** Records a failed source for the answer's `NGSILD-Warning` header and the log. */
  warn(failure: unknown): void {
    const message = failure instanceof Error ? failure.message : String(failure);
    this.log.warn({ err: message }, 'context source failed');
    const code = failure instanceof SourceFailure ? failure.warnCode : 199;
    forwardingState.getStore()?.warnings.push({ code, text: message.replace(/[\r\n"\\]/g, ' ').slice(0, 300) });
  }

  /**
   * One request to a source's NGSI-LD API (`<endpoint>/ngsi-ld/v1<path>`). Bodies go as JSON-LD with the
   * caller's @context; reads name it in a Link header. Throws SourceFailure on any network fault, refusal by
   * the guard, oversize or non-JSON answer.
   *
   * @example await forwarder.call(reg, 'GET', '/entities', { ctx, query: new URLSearchParams({ type: 'Streetlight' }) });
   */
  async call(reg: StoredRegistration, method: string, path: string, o: { ctx: LdContext; query?: URLSearchParams; body?: unknown }): Promise<SourceAnswer> {
    // §4.3.6.6: `accept`, `contentType` and `jsonldContext` in contextSourceInfo steer the call; they are no headers.
    const info = Object.fromEntries((reg.contextSourceInfo ?? []).map((kv) => [kv.key, kv.value]));
    const processed = Object.fromEntries(PROCESSED_INFO.map((k) => [k, info[k]]));
    for (const k of PROCESSED_INFO) delete info[k];
    // With the source's own @context the request is compacted with it, and its answer read with it.
    const sourceCtx = processed.jsonldContext ? await this.sourceContext(reg, processed.jsonldContext) : undefined;
    const ctx = sourceCtx ?? o.ctx;
    const query = sourceCtx ? recompactQuery(o.query, o.ctx, sourceCtx) : o.query;
    const sent = sourceCtx && o.body !== undefined ? recompact(o.body, o.ctx, sourceCtx) : o.body;
    const qs = query && [...query.keys()].length ? `?${query.toString()}` : '';
    const url = `${reg.endpoint}/ngsi-ld/v1${path}${qs}`;
    const hops = this.hops();
    const headers: Record<string, string> = {
      ...sendableHeaders(info),
      accept: processed.accept && /^application\/([a-z.+-]+\+)?json$/.test(processed.accept) ? processed.accept : 'application/json',
      via: [...hops, `1.1 ${this.brokerId}`].join(', '),
    };
    if (reg.tenant) headers['NGSILD-Tenant'] = reg.tenant;
    let body: string | undefined;
    // Plain JSON (asked for, or always with a jsonldContext, §4.3.6.6): the @context goes in a Link header, none in the body.
    if (sent !== undefined && (processed.contentType === 'application/json' || sourceCtx) && ctx.linkUrl) {
      headers['content-type'] = 'application/json';
      headers.link = linkHeader(ctx.linkUrl);
      const bare = (b: unknown) => (b && typeof b === 'object' && !Array.isArray(b) ? Object.fromEntries(Object.entries(b).filter(([k]) => k !== '@context')) : b);
      body = JSON.stringify(Array.isArray(sent) ? sent.map(bare) : bare(sent));
    } else if (sent !== undefined) {
      headers['content-type'] = 'application/ld+json';
      // Each entity of a batch carries the @context; a batch delete's ids are strings and go as they are.
      const withCtx = (b: unknown) => (b && typeof b === 'object' ? { ...b, '@context': ctx.source } : b);
      body = JSON.stringify(Array.isArray(sent) ? sent.map(withCtx) : withCtx(sent));
    } else headers.link = linkHeader(ctx.linkUrl);
    let res;
    try {
      res = await outboundRequest(url, this.outbound, {
        method, headers, body, timeoutMs: this.config.forwardTimeoutMs, maxRedirects: 0, maxBytes: this.config.maxResponseBytes,
      });
    } catch (err) {
      throw new SourceFailure(reg.endpoint, (err as Error).message);
    }
    let parsed: unknown;
    if (res.body.length > 0) {
      try {
        parsed = JSON.parse(res.body.toString('utf8'));
      } catch {
        if (res.status < 300) throw new SourceFailure(reg.endpoint, `answered ${res.status} with a body that is not JSON`);
      }
    }
    // The source answered in its own terms: back to the caller's.
    if (sourceCtx && res.status < 300) parsed = recompact(parsed, sourceCtx, o.ctx);
    return { status: res.status, body: parsed, headers: res.headers };
  }

  /**
   * A registration's `jsonldContext` loaded through the context loader (so through the outbound guard, and only
   * when `fetchRemoteContexts` allows a remote one). A context that cannot be had fails the source (a warning):
   * the source would misread a request in terms it does not know.
   */
  private async sourceContext(reg: StoredRegistration, url: string): Promise<LdContext> {
    if (!this.contexts) throw new SourceFailure(reg.endpoint, 'its jsonldContext cannot be loaded here', 199);
    try {
      return await this.contexts.resolve(url);
    } catch (err) {
      const why = isProblem(err) ? err.detail ?? err.title : (err as Error).message;
      throw new SourceFailure(reg.endpoint, `its jsonldContext cannot be loaded: ${why}`, 199);
    }
  }

  /**
   * Entities from a source's answer, checked: a JSON array (or one object) of objects with a URI `id` and a
   * `type`, at most `maxEntitiesPerSource` (more are cut, with a warning). Anything else is a failed source.
   */
  entitiesOf(reg: StoredRegistration, answer: SourceAnswer, single: boolean): Record<string, unknown>[] {
    const list = single ? [answer.body] : answer.body;
    if (!Array.isArray(list)) throw new SourceFailure(reg.endpoint, 'answered something other than a list of entities');
    const max = this.config.maxEntitiesPerSource;
    if (list.length > max) this.warn(new SourceFailure(reg.endpoint, `answered ${list.length} entities; the first ${max} are used (csources.maxEntitiesPerSource)`, 199));
    const out: Record<string, unknown>[] = [];
    for (const e of list.slice(0, max)) {
      const ok = !!e && typeof e === 'object' && !Array.isArray(e) && isUri((e as Record<string, unknown>).id)
        && (typeof (e as Record<string, unknown>).type === 'string' || Array.isArray((e as Record<string, unknown>).type));
      if (!ok) throw new SourceFailure(reg.endpoint, 'answered an entity without a URI id and a type');
      out.push(e as Record<string, unknown>);
    }
    return out;
  }
}
