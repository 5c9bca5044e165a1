/**
 * Registration numbers (登记编号): `<city>-<kind>-<year>-<six digits>`, e.g. `YC-DP-2026-000123`. DR: a public data
 * resource, DP: a data product, LA: a licence (授权协议). Numbers count per kind and year, from 1.
 */
export type NumberKind = 'DR' | 'DP' | 'LA';

export const registrationNumber = (prefix: string, kind: NumberKind, year: number, n: number): string =>
  `${prefix}-${kind}-${year}-${String(n).padStart(6, '0')}`;
