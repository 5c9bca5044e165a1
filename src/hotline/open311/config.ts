import { Type, type Static } from 'typebox';
import { CorsConfigSchema } from '../../platform/http/cors.js';

/**
 * `modules.open311` in the configuration file. The defaults follow GeoReport v2: a 90-day window and at most
 * 1,000 requests per GET Service Requests ("Response Volume").
 */
export const Open311ConfigSchema = Type.Object({
  /** When set, a request naming another jurisdiction_id gets 404; when unset the parameter is ignored (spec: single jurisdiction). */
  jurisdictionId: Type.Optional(Type.String({ minLength: 1 })),
  /**
   * The public URL of this endpoint in the discovery document, e.g. https://12345.city.gov.cn/open311/v2. Unset:
   * the URL the client reached (scheme and host of the request; X-Forwarded-* from trusted proxies only).
   */
  baseUrl: Type.Optional(Type.String({ pattern: '^https?://\\S+$' })),
  contact: Type.String({ default: '12345 政务服务便民热线 / 12345 citizen hotline: call 12345' }),
  keyService: Type.String({
    default: '请向城市运行管理中心申请 API 密钥 / Ask the hotline centre for an API key (an administrator creates one with POST /api/keys, roles ["citizen"])',
  }),
  /** Longest request URL (path and query) answered; longer ones get an Open311 error with status 414. */
  maxUrlLength: Type.Integer({ minimum: 256, default: 8192 }),
  /** Browser access from other origins (all Open311 routes are public); off unless origins are listed. */
  cors: CorsConfigSchema,
  /** `production` or `test` in the discovery document. */
  endpointType: Type.Enum(['production', 'test'], { default: 'production' }),
  /** The default and the longest date range of GET requests, in days. */
  windowDays: Type.Integer({ minimum: 1, default: 90 }),
  /** The most requests one GET returns. */
  maxRequests: Type.Integer({ minimum: 1, default: 1000 }),
  /** Seconds a category / unit-name lookup is cached. */
  cacheSeconds: Type.Integer({ minimum: 0, default: 60 }),
});

export type Open311Config = Static<typeof Open311ConfigSchema>;
