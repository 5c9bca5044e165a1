import { Type, type Static } from 'typebox';

/**
 * `modules.hotline` in the configuration file: deadlines and the deadline job. Every deadline comes from the
 * city's rules, so it is configuration, never a constant in code (docs/hotline.md, docs/configuration.md). Ticket
 * numbers (`20261126-000123`) use the local date of the city's one time zone, `city.timeZone`.
 */
export const HotlineConfigSchema = Type.Object({
  deadlines: Type.Object(
    {
      /** Hours to answer, counted from signing (签收), per urgency. */
      emergencyHours: Type.Number({ exclusiveMinimum: 0, default: 2 }),
      urgentHours: Type.Number({ exclusiveMinimum: 0, default: 24 }),
      normalHours: Type.Number({ exclusiveMinimum: 0, default: 7 * 24 }),
      complexHours: Type.Number({ exclusiveMinimum: 0, default: 15 * 24 }),
      /** Hours a unit has to sign for (签收) a dispatched ticket. */
      signHours: Type.Number({ exclusiveMinimum: 0, default: 2 }),
      /** Share of the answer time after which a ticket carries a deadline warning (预警). */
      warningFraction: Type.Number({ exclusiveMinimum: 0, maximum: 1, default: 0.8 }),
    },
    { default: {} },
  ),
  /** How often the deadline job refreshes the sign_overdue / overdue / deadline_warning flags; 0 turns it off. */
  deadlineJobIntervalSeconds: Type.Integer({ minimum: 0, default: 60 }),
  /**
   * The public lookup by ticket number + phone (`POST /api/hotline/track`): after `maxFailures` misses (unknown
   * number or wrong phone) within `windowSeconds`, from one client address or on one number, it answers 429.
   */
  track: Type.Object(
    {
      maxFailures: Type.Integer({ minimum: 1, default: 10 }),
      windowSeconds: Type.Integer({ minimum: 1, default: 900 }),
    },
    { default: {} },
  ),
});

export type HotlineConfig = Static<typeof HotlineConfigSchema>;
export type HotlineDeadlines = HotlineConfig['deadlines'];

