import { openTestDatabase } from '../../support/engines.js';
import type { DatabaseHandle, Engine } from '../../../src/platform/db/database.js';
import { migrateToLatest } from '../../../src/platform/db/migrate.js';
import { authMigrations } from '../../../src/platform/auth/migrations.js';
import { createLedger, ledgerMigrations, type LedgerService } from '../../../src/platform/ledger/index.js';
import { InProcessEventBus } from '../../../src/platform/events/index.js';
import { hotlineMigrations } from '../../../src/hotline/migrations.js';
import { HotlineReferenceService } from '../../../src/hotline/reference-service.js';
import { RoutingService } from '../../../src/hotline/routing-service.js';
import { DeadlineService } from '../../../src/hotline/deadline-service.js';
import { TicketIntakeService } from '../../../src/hotline/ticket-intake-service.js';
import { ticketDay } from '../../../src/hotline/ticket-number.js';
import { HotlineConfigSchema, type HotlineConfig } from '../../../src/hotline/config.js';
import { Value } from 'typebox/value';
import { systemActor } from '../../../src/platform/auth/roles.js';
import { TicketImporter } from '../../../src/hotline/import/index.js';

export const importer = systemActor('test-import', ['admin']);

const TIME_ZONE = 'Asia/Shanghai';

export interface ImportFixture {
  database: DatabaseHandle;
  ledger: LedgerService;
  reference: HotlineReferenceService;
  intake: TicketIntakeService;
  importer: TicketImporter;
  close(): Promise<void>;
}

/**
 * Only the parts the importer stands on (identity for orgs, the ledger, the hotline's reference data, routing,
 * deadlines and intake), wired as the hotline module wires them, so these tests do not depend on unrelated modules.
 */
export async function importFixture(engine: Engine, now: () => Date = () => new Date()): Promise<ImportFixture> {
  const database = await openTestDatabase(engine);
  await migrateToLatest(database.db, { ...authMigrations, ...ledgerMigrations, ...hotlineMigrations });
  const ledger = await createLedger(database.db, { clock: now, checkpointIntervalSeconds: 3600 });
  const settings = Value.Default(HotlineConfigSchema, {}) as HotlineConfig;
  const reference = new HotlineReferenceService(database.db, ledger);
  const routing = new RoutingService(database.db);
  const deadlines = new DeadlineService(database.db, settings.deadlines, now);
  const events = new InProcessEventBus();
  const intake = new TicketIntakeService({ db: database.db, ledger, clock: now, events, timeZone: TIME_ZONE });
  const ticketImporter = new TicketImporter({
    db: database.db,
    ledger,
    clock: now,
    categories: reference,
    dayOf: ticketDay(TIME_ZONE),
    routing: { suggestUnit: (categoryId, areaId) => routing.suggestUnit(categoryId, areaId), signHours: deadlines.settings.signHours },
  });
  return {
    database, ledger, reference, intake, importer: ticketImporter,
    close: async () => {
      await events.close();
      await database.close();
    },
  };
}
