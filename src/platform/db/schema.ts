/**
 * The typed shape of every table, for Kysely. Each module adds its tables by declaration merging from its own
 * `tables.ts`, so this file never has to know the modules:
 *
 * @example
 * declare module '../platform/db/schema.js' {
 *   interface Database { hotline_ticket: HotlineTicketTable }
 * }
 */
// eslint-disable-next-line @typescript-eslint/no-empty-interface
export interface Database {}
