import type { BillingUnit } from './schemas.js';
import type { OperationConfig } from './config.js';

/**
 * The fee rules (发改价格〔2025〕65号) as integer arithmetic in fen, so statements, income and distribution add
 * up to the cent: a call's fee is its unit price times its units, where the units are 1 per call, the records
 * it touched, the output units it delivered, or — per period — 1 for the first commercial call of the period by
 * that market user on that product and 0 for the others. Public-governance and public-welfare calls are free.
 */
export function unitsOf(unit: BillingUnit, metered: { records: number; outputUnits: number }, firstInPeriod: boolean): number {
  switch (unit) {
    case 'per_call': return 1;
    case 'per_record': return metered.records;
    case 'per_output': return metered.outputUnits;
    case 'per_period': return firstInPeriod ? 1 : 0;
  }
}

/** The price in force must not exceed the licence's cap, in the same unit. */
export const withinCap = (price: { unit: BillingUnit; priceFen: number }, cap: { unit: BillingUnit; capFen: number }): boolean =>
  price.unit === cap.unit && price.priceFen <= cap.capFen;

/**
 * The providing departments' share (收益分配) of one product's income in one month, in fen: `basisPoints` of the
 * income rounded down (the remainder stays with the operator), or `fenPerRecord` per billable record, never more
 * than the income.
 */
export function departmentShare(
  rule: OperationConfig['distribution'], licenceBasisPoints: number | null, incomeFen: number, billableRecords: number,
): number {
  if (licenceBasisPoints !== null) return Math.floor((incomeFen * licenceBasisPoints) / 10_000);
  if (rule.method === 'income_share') return Math.floor((incomeFen * rule.basisPoints) / 10_000);
  return Math.min(incomeFen, billableRecords * rule.fenPerRecord);
}
