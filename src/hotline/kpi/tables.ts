/**
 * The KPI roll-up (kpi-rollup-store.ts): per local day × unit × district × category, the counts the rate
 * formulas need, for days whose tickets have not changed since they were rolled up.
 */
export interface HotlineKpiDailyTable {
  /** the local date (modules.kpi.timeZone) of the events counted, `2026-06-15`; read it as `day::text` */
  day: string;
  unit_id: string | null;
  district_id: string | null;
  category_id: string | null;
  visited: number;
  contacted: number;
  solved: number;
  satisfied: number;
  basically_satisfied: number;
  unsatisfied: number;
  reopened: number;
  answered: number;
  answered_on_time: number;
  answer_timed: number;
  answer_seconds: number;
  signed: number;
  sign_seconds: number;
  dispatched: number;
  returned: number;
}

/**
 * The same counts per local day × unit only (summed from hotline_kpi_daily by the refresh): what a KPI by unit or
 * for the whole city without a district or category filter reads, ~50× fewer rows than the full roll-up.
 */
export type HotlineKpiDailyUnitTable = Omit<HotlineKpiDailyTable, 'district_id' | 'category_id'>;

/** Local days whose roll-up rows are missing or stale: the KPI counts them from the tickets. */
export interface HotlineKpiDirtyDayTable {
  day: string;
}

/** One row: the time zone the roll-up's days are in (the trigger reads it; none = roll-up not set up). */
export interface HotlineKpiRollupStateTable {
  id: number;
  time_zone: string;
}

declare module '../../platform/db/schema.js' {
  interface Database {
    hotline_kpi_daily: HotlineKpiDailyTable;
    hotline_kpi_daily_unit: HotlineKpiDailyUnitTable;
    hotline_kpi_dirty_day: HotlineKpiDirtyDayTable;
    hotline_kpi_rollup_state: HotlineKpiRollupStateTable;
  }
}
