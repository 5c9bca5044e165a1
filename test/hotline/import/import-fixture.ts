import { openTestDatabase } from '../../support/engines.js';
import type { DatabaseHandle, Engine } from '../../../src/platform/db/database.js';
import { migrateToLatest } from '../../../src/platform/db/migrate.js';
import { authMigrations } from '../../../src/platform/auth/migrations.js';
import { createLedger, ledgerMigrations, type LedgerService } from '../../../src/platform/ledger/index.js';
import { hotlineMigrations } from '../../../src/hotline/migrations.js';
import { HotlineReferenceService } from '../../../src/hotline/reference-service.js';
import { TicketService } from '../../../src/hotline/ticket-service.js';
import { HotlineConfigSchema, type HotlineConfig } from '../../../src/hotline/hotline-config.js';
import { Value } from 'typebox/value';
import type { Actor } from '../../../src/platform/auth/roles.js';
import { TicketImporter } from '../../../src/hotline/import/index.js';

export const importer: Actor = { kind: 'user', id: 'system:test-import', username: 'test-import', roles: ['admin'] };

export interface ImportFixture {
  database: DatabaseHandle;
  ledger: LedgerService;
  reference: HotlineReferenceService;
  tickets: TicketService;
  importer: TicketImporter;
  close(): Promise<void>;
}

/**
 * Only the modules the importer stands on (identity for org, ledger, hotline), wired like createCityHub does,
 * so these tests do not depend on unrelated modules.
 */
export async function importFixture(engine: Engine, now: () => Date = () => new Date()): Promise<ImportFixture> {
  const database = await openTestDatabase(engine);
  await migrateToLatest(database.db, { ...authMigrations, ...ledgerMigrations, ...hotlineMigrations });
  const ledger = await createLedger(database.db, { clock: now, checkpointIntervalSeconds: 3600 });
  const reference = new HotlineReferenceService(database.db, ledger);
  const settings = Value.Default(HotlineConfigSchema, {}) as HotlineConfig;
  const tickets = new TicketService(database.db, ledger, settings, now);
  const ticketImporter = new TicketImporter({
    db: database.db,
    ledger,
    clock: now,
    categories: reference,
    dayOf: (at) => tickets.dayOf(at),
    routing: { suggestUnit: (categoryId, areaId) => tickets.suggestUnit(categoryId, areaId), signHours: settings.deadlines.signHours },
  });
  return { database, ledger, reference, tickets, importer: ticketImporter, close: () => database.close() };
}
