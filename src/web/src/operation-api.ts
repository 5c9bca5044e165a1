import { api, withQuery } from './api.js';
// Types only (erased by the build): the shapes authorized operation's routes take and whitelist (src/operation/schemas.ts).
import type {
  AccessView, Anomaly, ApplicationDecision, ApplicationInput, ApplicationView, Disclosure, DisclosureReminder, IncomeReport, IssuedAccess, LedgerCheck,
  LicenceView, MarketProduct, MarketUsage, PriceInput, ProductView, ResourceView, ReviewDecision, SandboxRunView, Statement, PartyView,
} from '../../operation/schemas.js';

export type {
  AccessView, Anomaly, ApplicationView, Disclosure, DisclosureReminder, IncomeReport, LedgerCheck, LicenceView, MarketProduct, MarketUsage, ProductView,
  ResourceView, SandboxRunView, Statement, PartyView,
} from '../../operation/schemas.js';

const id = (x: string) => encodeURIComponent(x);

/**
 * Authorized operation's API as the screens call it (src/operation routes, `/openapi.json`): the marketplace, the
 * implementing body's registrations, licences, approvals and output review, the operators' products, keys and
 * income, statements and the disclosure, the supervisor's checks. All URLs live here.
 */
export const operationApi = {
  // the marketplace (market users)
  marketProducts: () => api<MarketProduct[]>('GET', '/api/operation/market/products'),
  apply: (input: ApplicationInput) => api<ApplicationView>('POST', '/api/operation/market/applications', input),
  applications: (status?: ApplicationView['status']) => api<ApplicationView[]>('GET', withQuery('/api/operation/market/applications', { status })),
  decideApplication: (appId: string, d: ApplicationDecision) => api<ApplicationView>('POST', `/api/operation/market/applications/${id(appId)}/decide`, d),
  collectKey: (appId: string) => api<IssuedAccess>('POST', `/api/operation/market/applications/${id(appId)}/key`),
  usage: (year: number) => api<MarketUsage>('GET', withQuery('/api/operation/market/usage', { year })),
  // registrations, licences, approvals, output review (the implementing body)
  parties: () => api<PartyView[]>('GET', '/api/operation/parties'),
  resources: () => api<ResourceView[]>('GET', '/api/operation/resources'),
  products: () => api<ProductView[]>('GET', '/api/operation/products'),
  registerProduct: (productId: string) => api<ProductView>('POST', `/api/operation/products/${id(productId)}/register`),
  refuseProduct: (productId: string, reason: string) => api<ProductView>('POST', `/api/operation/products/${id(productId)}/refuse`, { reason }),
  setPrice: (productId: string, price: PriceInput) => api<ProductView>('PUT', `/api/operation/products/${id(productId)}/price`, price),
  licences: () => api<LicenceView[]>('GET', '/api/operation/licences'),
  approveLicence: (licenceId: string) => api<LicenceView>('POST', `/api/operation/licences/${id(licenceId)}/approve`),
  suspendLicence: (licenceId: string, reason: string) => api<LicenceView>('POST', `/api/operation/licences/${id(licenceId)}/suspend`, { reason }),
  reviews: (status?: SandboxRunView['status']) => api<SandboxRunView[]>('GET', withQuery('/api/operation/reviews', { status })),
  decideReview: (runId: string, d: ReviewDecision) => api<SandboxRunView>('POST', `/api/operation/reviews/${id(runId)}/decision`, d),
  // keys, income, statements, disclosure, supervision
  accesses: () => api<AccessView[]>('GET', '/api/operation/accesses'),
  revokeAccess: (accessId: string, reason: string) => api<AccessView>('POST', `/api/operation/accesses/${id(accessId)}/revoke`, { reason }),
  income: (year: number) => api<IncomeReport>('GET', withQuery('/api/operation/income', { year })),
  statement: (party: string, month: string) => api<Statement>('GET', withQuery('/api/operation/statements', { party, month })),
  statementFile: (party: string, month: string, format: 'csv' | 'xlsx') => withQuery('/api/operation/statements', { party, month, format }),
  disclosure: (year: number) => api<Disclosure>('GET', `/api/operation/disclosures/${year}`),
  disclosureCsv: (year: number) => withQuery(`/api/operation/disclosures/${year}`, { format: 'csv' }),
  reminder: () => api<DisclosureReminder>('GET', '/api/operation/disclosure-reminder'),
  anomalies: (year: number) => api<Anomaly[]>('GET', withQuery('/api/operation/anomalies', { year })),
  verifyLedger: () => api<LedgerCheck>('GET', '/api/operation/ledger/verify'),
};

/** Who sees the operation face, and which part (the API checks again on every call). */
export const operationRoles = ['operation_admin', 'operation_supervisor', 'market_operator', 'market_user'] as const;

/** Fen as yuan with two decimals: amounts are integers of fen end to end. */
export const yuan = (fen: number): string => `¥${(fen / 100).toFixed(2)}`;
