import type { ColumnType, Generated, JSONColumnType } from 'kysely';

type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;
type NullableTimestamp = ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;

/** Where a ticket happened: district → street, linked to the organisation that governs it (首接负责). */
export interface HotlineAreaTable {
  id: Generated<string>;
  parent_id: string | null;
  name: string;
  /** district | street */
  level: string;
  /** the district government / street office that answers for the area */
  org_id: string | null;
  /** bounding data for maps: [lon, lat] of the area's centre */
  center_lon: number | null;
  center_lat: number | null;
}

/** The three-level category taxonomy; `code` is the Open311 service_code. */
export interface HotlineCategoryTable {
  id: Generated<string>;
  code: string;
  level1: string;
  level2: string | null;
  level3: string | null;
  active: Generated<boolean>;
}

export interface HotlineTicketTable {
  id: Generated<string>;
  /** human-readable number, e.g. 20261124-000123 */
  number: string;
  channel: string;
  /**
   * personal information: masked for anyone who does not handle the ticket; with field encryption on, name, phone
   * and address are SM4 ciphertext (`sm4$<key>$…`, ticket-personal-fields.ts)
   */
  citizen_name: string | null;
  citizen_phone: string | null;
  /** keyed hash (HMAC-SM3 / HMAC-SHA256) of the phone's digits, `<key>:<base64url>`; null without field keys */
  citizen_phone_hash: Generated<string | null>;
  citizen_user_id: string | null;
  title: string;
  content: string;
  address: string | null;
  lon: number | null;
  lat: number | null;
  area_id: string | null;
  /** the district of area_id, kept for fast KPI grouping */
  district_id: string | null;
  category_id: string | null;
  urgency: string;
  tags: string[];
  attachments: JSONColumnType<{ name: string; type: string; size: number; url?: string }[]>;
  /** a TicketStatus (ticket-enums.ts) */
  status: string;
  /** the handling unit (承办单位) the ticket is dispatched to */
  unit_id: string | null;
  main_ticket_id: string | null;
  supervised: Generated<boolean>;
  /** 督办 level (ticket-enums supervisionLevels) and the date the supervisor wants an answer by */
  supervision_level: string | null;
  supervision_due_at: NullableTimestamp;
  sign_overdue: Generated<boolean>;
  overdue: Generated<boolean>;
  deadline_warning: Generated<boolean>;
  return_count: Generated<number>;
  reopen_count: Generated<number>;
  reply_text: string | null;
  /** solved | unsolved | explained */
  result: string | null;
  visit_contacted: boolean | null;
  visit_solved: boolean | null;
  /** satisfied | basically_satisfied | unsatisfied */
  satisfaction: string | null;
  likes: Generated<number>;
  /** the reason of the last return (退单), added by 20261126-11 */
  return_reason: string | null;
  /** where an imported ticket came from, e.g. `teddycup`, and its id there: together unique (idempotent import) */
  source: string | null;
  external_id: string | null;
  /** Open311 token handed back by POST requests */
  open311_token: string | null;
  /** Open311 `address_id` as the client sent it, echoed in GET requests (20261220-10) */
  open311_address_id: string | null;
  /** filed for publication: listed in the public Open311 feed (masked); false for every other ticket (20261215-10) */
  public: Generated<boolean>;
  created_at: Timestamp;
  updated_at: Timestamp;
  dispatched_at: NullableTimestamp;
  sign_due_at: NullableTimestamp;
  accepted_at: NullableTimestamp;
  due_at: NullableTimestamp;
  answered_at: NullableTimestamp;
  visited_at: NullableTimestamp;
  closed_at: NullableTimestamp;
}

/** The ticket's timeline: every transition with who did it and why. */
export interface HotlineTicketEventTable {
  id: Generated<number>;
  ticket_id: string;
  at: Timestamp;
  actor: string;
  actor_org_id: string | null;
  action: string;
  from_status: string | null;
  to_status: string | null;
  details: JSONColumnType<Record<string, unknown>>;
}

/** category × area → unit; null matches any. The most specific, then the highest priority, wins. */
export interface HotlineRoutingRuleTable {
  id: Generated<string>;
  category_id: string | null;
  area_id: string | null;
  unit_id: string;
  priority: Generated<number>;
  created_at: Generated<Date>;
}

/** Per-day counters for human-readable ticket numbers. */
export interface HotlineTicketCounterTable {
  day: string;
  last: number;
}

/** Progress of an import, so a killed import resumes where it stopped. */
export interface HotlineImportRunTable {
  id: Generated<string>;
  file_sha256: string;
  source: string;
  rows_done: number;
  rows_imported: number;
  rows_bad: number;
  finished_at: NullableTimestamp;
  started_at: Generated<Date>;
}

/** A trained category model (issue 4): versioned, with its evaluation on the hash-selected hold-out. */
export interface HotlineClassifierModelTable {
  version: Generated<number>;
  created_at: Generated<Date>;
  /** actor reference (`user:…`, `system:scheduler`) */
  trained_by: string;
  /** manual | scheduled | start */
  trigger: string;
  /** examples the model was trained on (the hold-out excluded) */
  examples: number;
  /** examples held out for the evaluation */
  held_out: number;
  /** categorised or labelled tickets in the database when it was trained (for the "new since" count) */
  labelled_tickets: number;
  /** agents' labels among them */
  agent_labels: number;
  labels: string[];
  /** accuracy, macro-F1, per class, and the active model's figures on the same hold-out (ModelEvaluation) */
  evaluation: JSONColumnType<Record<string, unknown>>;
  train_seconds: number;
  /** TextClassifier.toJSON() as JSON text (versions stored before 20261126-31; null since) */
  model: string | null;
  /** TextClassifier.toJSON() as gzipped JSON (20261126-31) */
  model_gzip: Buffer | null;
  /** active | candidate | retired */
  status: string;
  activated_at: NullableTimestamp;
}

/** A training run (API, CLI, scheduler or start); `running` rows are the cluster-wide claim. */
export interface HotlineClassifierJobTable {
  id: Generated<string>;
  trigger: string;
  requested_by: string;
  /** running | succeeded | failed */
  status: string;
  started_at: Timestamp;
  heartbeat_at: Timestamp;
  finished_at: NullableTimestamp;
  progress: string | null;
  model_version: number | null;
  activated: boolean | null;
  error: string | null;
}

/** An agent's category for a ticket (数据标注): overrides the ticket's own category at the next training. */
export interface HotlineClassifierLabelTable {
  id: Generated<number>;
  ticket_id: string;
  category_id: string;
  /** the level-1 category name the classifier learns */
  label: string;
  /** title and content as the agent saw them, PII masked */
  text: string;
  /** the active model's top label for the ticket when it was labelled (null without a model) */
  suggested: string | null;
  model_version: number | null;
  /** agent (more sources may come: review, import) */
  source: string;
  actor: string;
  created_at: Timestamp;
}

/** A word of the segmenter's user dictionary (hotline intelligence), added by an administrator. */
export interface HotlineIntelWordTable {
  word: string;
  /** place | unit | term (kept whole by the segmenter) | stop (dropped from word features and the index) */
  kind: string;
  added_by: string;
  created_at: Timestamp;
}

/**
 * A citizen's photo (issue 17), in the database so any node serves it: the image as uploaded (the browser
 * compressed it) and its thumbnail, both checked by their magic bytes. `ticket_id` is null until a filing uses it;
 * until then only the uploader may read it.
 */
export interface HotlinePhotoTable {
  id: Generated<string>;
  uploaded_by: string;
  ticket_id: string | null;
  /** image/jpeg | image/png | image/webp, from the magic bytes, never from the client */
  mime: string;
  width: number;
  height: number;
  size: number;
  bytes: Buffer;
  thumb_mime: string;
  thumb: Buffer;
  created_at: Timestamp;
}

/** "+1 / 关注": one row per citizen and ticket, so a citizen counts once. */
export interface HotlineTicketFollowTable {
  ticket_id: string;
  user_id: string;
  created_at: Timestamp;
}

/**
 * A notice to a citizen (issue 17): shown in the app, and handed to the SMS / WeChat adapters when any are
 * installed (`delivered_at` set once they took it; the outbox the delivery job reads).
 */
export interface HotlineNoticeTable {
  id: Generated<string>;
  user_id: string;
  ticket_id: string;
  /** the workflow action that caused it: dispatch | answer | redo | close | reopen … */
  kind: string;
  /** the ticket number and status at the time (no personal data) */
  number: string;
  status: string;
  created_at: Timestamp;
  read_at: NullableTimestamp;
  delivered_at: NullableTimestamp;
  /** while a node hands the notice to the channels; after it, any node may claim it again */
  lease_until: NullableTimestamp;
}

/**
 * An `Idempotency-Key` a caller filed a ticket with (issue 20): the same key and body again from the same caller
 * gets that ticket back instead of a second one, until `expires_at`.
 */
export interface HotlineIntakeKeyTable {
  /** `user:<id>` or `api_key:<id>` */
  caller: string;
  idem_key: string;
  /** sha256 of the request body as parsed (hex) */
  body_hash: string;
  ticket_id: string;
  expires_at: Timestamp;
}

declare module '../platform/db/schema.js' {
  interface Database {
    hotline_intake_key: HotlineIntakeKeyTable;
    hotline_intel_word: HotlineIntelWordTable;
    hotline_photo: HotlinePhotoTable;
    hotline_ticket_follow: HotlineTicketFollowTable;
    hotline_notice: HotlineNoticeTable;
    hotline_area: HotlineAreaTable;
    hotline_category: HotlineCategoryTable;
    hotline_ticket: HotlineTicketTable;
    hotline_ticket_event: HotlineTicketEventTable;
    hotline_routing_rule: HotlineRoutingRuleTable;
    hotline_ticket_counter: HotlineTicketCounterTable;
    hotline_import_run: HotlineImportRunTable;
    hotline_classifier_model: HotlineClassifierModelTable;
    hotline_classifier_job: HotlineClassifierJobTable;
    hotline_classifier_label: HotlineClassifierLabelTable;
  }
}
