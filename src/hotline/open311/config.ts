import { Type, type Static } from 'typebox';

/**
 * `modules.open311` in the configuration file. The defaults follow GeoReport v2: a 90-day window and at most
 * 1,000 requests per GET Service Requests ("Response Volume").
 */
export const Open311ConfigSchema = Type.Object({
  /** When set, a request naming another jurisdiction_id gets 404; when unset the parameter is ignored (spec: single jurisdiction). */
  jurisdictionId: Type.Optional(Type.String({ minLength: 1 })),
  /** The public base URL of this endpoint for the discovery document, e.g. https://12345.city.gov.cn/open311/v2 */
  baseUrl: Type.String({ default: 'http://localhost:8080/open311/v2' }),
  contact: Type.String({ default: '12345 政务服务便民热线 / 12345 citizen hotline: call 12345' }),
  keyService: Type.String({ default: '请向城市运行管理中心申请 API 密钥 / Ask the hotline centre for an API key (cityhub admin: POST /api/auth/keys)' }),
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
