import type { Command } from '../command.js';
import { serveCommand } from './serve.js';
import { migrateCommand } from './migrate.js';
import { adminCreateCommand, adminSetupCommand } from './admin-create.js';
import { demoCommand } from './demo.js';
import { taxonomyImportCommand } from './taxonomy-import.js';
import { ledgerVerifyCommand } from './ledger-verify.js';
import { backupCommand, restoreCommand } from './backup.js';
import { hotlineEvalCommand } from './hotline-eval.js';
import { hotlineTrainCommand } from './hotline-train.js';
import { importTicketsCommand } from './import-tickets.js';
import { keysRotateCommand } from './keys-rotate.js';

/** Every `cityhub` command; add a new one here. */
export const commands: Command[] = [serveCommand, migrateCommand, adminCreateCommand, adminSetupCommand, demoCommand, ledgerVerifyCommand, backupCommand, restoreCommand, hotlineEvalCommand, hotlineTrainCommand, taxonomyImportCommand, importTicketsCommand, keysRotateCommand];
