import type { ColumnType, Generated, JSONColumnType } from 'kysely';
import type { InspectionFinding } from './schemas.js';

type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;
type NullableTimestamp = ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;

/** A bulk quality inspection over a month's replies, with its progress. */
export interface HotlineInspectionRunTable {
  id: Generated<string>;
  /** `2026-11`, the month of the replies' answer times */
  month: string;
  /** running | done | failed */
  status: string;
  total: number;
  done: number;
  started_by: string;
  started_at: Timestamp;
  finished_at: NullableTimestamp;
  error: string | null;
}

/** A ticket's reply as last inspected (one row per ticket; a later run replaces it). */
export interface HotlineInspectionResultTable {
  ticket_id: string;
  run_id: string;
  unit_id: string | null;
  answered_at: Timestamp;
  score: number;
  passed: boolean;
  checks: JSONColumnType<Record<string, number>>;
  /** excerpts masked (inspection-rules.ts `finding`) */
  findings: JSONColumnType<InspectionFinding[]>;
  method: string;
  inspected_at: Timestamp;
}

/** 每月一题: a recurring problem taken up as a month's topic. */
export interface HotlineGovernanceTopicTable {
  id: Generated<string>;
  month: string;
  title: string;
  category_id: string;
  district_id: string | null;
  description: string | null;
  created_by: string;
  created_at: Timestamp;
}

/** A unit's governance task (治理任务) under a topic, with its progress. */
export interface HotlineGovernanceTaskTable {
  id: Generated<string>;
  topic_id: string;
  unit_id: string;
  action: string;
  due_at: Timestamp;
  progress: number;
  note: string | null;
  updated_at: Timestamp;
}

declare module '../../platform/db/schema.js' {
  interface Database {
    hotline_inspection_run: HotlineInspectionRunTable;
    hotline_inspection_result: HotlineInspectionResultTable;
    hotline_governance_topic: HotlineGovernanceTopicTable;
    hotline_governance_task: HotlineGovernanceTaskTable;
  }
}
