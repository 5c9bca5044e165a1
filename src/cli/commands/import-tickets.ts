import { createWriteStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { loadConfig } from '../../platform/config/config.js';
import { isProblem } from '../../platform/errors/problem.js';
import { csvCell } from '../../platform/csv/csv-writer.js';
import { systemActor } from '../../platform/auth/roles.js';
import { createCityHub } from '../../server/app.js';
import { ticketDay } from '../../hotline/ticket-number.js';
import { parseMapping, TicketImporter } from '../../hotline/import/index.js';
import { progressReporter, rowsPerSecond } from '../../hotline/import/progress-bar.js';
import { configOverrides, type Command } from '../command.js';

/** The CLI acts as the system; `hotline.import` is the administrator's alone. The ledger records `system:cli-import`. */
const cliActor = systemActor('cli-import', ['admin']);

/** Bad rows printed on stderr; all of them go to --bad-rows FILE when given. */
const MAX_PRINTED_BAD_ROWS = 200;

export const importTicketsCommand: Command = {
  name: 'import tickets',
  summary: 'import ticket history from CSV or xlsx through a column mapping (idempotent, resumable)',
  usage: `FILE.csv|FILE.xlsx --mapping MAPPING.json [--source NAME] [--batch-size N] [--bad-rows BAD.csv]

  --mapping FILE     the column mapping (docs/import.md; ready ones in docs/mappings/)
  --source NAME      the source recorded with each external id (default: the mapping's "source")
  --batch-size N     rows per transaction (default 1000)
  --bad-rows FILE    write every bad row (line, reason) to this CSV file

Running it again adds nothing; after a kill it resumes where the last committed batch ended.`,
  options: {
    mapping: { type: 'string' },
    source: { type: 'string' },
    'batch-size': { type: 'string' },
    'bad-rows': { type: 'string' },
  },
  allowPositionals: true,
  async run(values, positionals) {
    const file = positionals[0];
    const mappingFile = values.mapping as string | undefined;
    if (!file || !mappingFile || positionals.length > 1) {
      console.error('cityhub import tickets: give one FILE and --mapping MAPPING.json');
      return 2;
    }
    const batchSize = values['batch-size'] === undefined ? 1000 : Number(values['batch-size']);
    if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > 10_000) {
      console.error('cityhub import tickets: --batch-size must be an integer from 1 to 10000');
      return 2;
    }
    let mapping;
    try {
      mapping = parseMapping(JSON.parse(await readFile(mappingFile, 'utf8')));
    } catch (err) {
      console.error(`cityhub import tickets: ${mappingFile}: ${(err as Error).message}`);
      return 2;
    }

    const config = loadConfig(process.env, configOverrides(values));
    const hub = await createCityHub({ config, logger: false });
    const badOut = values['bad-rows'] ? createWriteStream(values['bad-rows'] as string) : undefined;
    badOut?.write('line,reason\n');
    const bar = progressReporter(process.stderr);
    let printed = 0;
    try {
      const { reference, routing, deadlines } = hub.services.hotline;
      const importer = new TicketImporter({
        db: hub.database.db,
        ledger: hub.services.ledger,
        clock: hub.services.clock,
        categories: reference,
        dayOf: ticketDay(config.city.timeZone),
        personal: hub.services.hotline.personal,
        routing: {
          suggestUnit: (categoryId, areaId) => routing.suggestUnit(categoryId, areaId),
          signHours: deadlines.settings.signHours,
        },
      });
      const summary = await importer.run(cliActor, {
        file,
        mapping,
        source: values.source as string | undefined,
        batchSize,
        defaultTimeZone: config.city.timeZone,
        onProgress: (p) => bar.update(p),
        onBadRow: (line, reason) => {
          badOut?.write(`${line},${csvCell(reason)}\n`);
          if (printed++ < MAX_PRINTED_BAD_ROWS) {
            bar.interrupt();
            process.stderr.write(`bad row at line ${line}: ${reason}\n`);
          } else if (printed === MAX_PRINTED_BAD_ROWS + 1) {
            process.stderr.write(`(more bad rows${badOut ? ` in ${values['bad-rows'] as string}` : '; use --bad-rows FILE to keep them all'})\n`);
          }
        },
      });
      bar.done(summary);
      console.log(
        [
          `imported ${summary.imported} ticket(s) from ${file} as source "${summary.source}"` +
            (summary.resumedFrom ? ' (counting the rows of the interrupted run)' : ''),
          `rows ${summary.rowsDone}, bad ${summary.bad}, already present ${summary.existing}` +
            (summary.resumedFrom ? `, resumed after row ${summary.resumedFrom}` : ''),
          `categories created ${summary.categoriesCreated}, open tickets routed to a unit ${summary.routed}, rows with an area not in the tree ${summary.areasUnmatched}`,
          `${Math.round(rowsPerSecond(summary))} rows/s in ${summary.seconds.toFixed(1)} s; run ${summary.runId}`,
        ].join('\n'),
      );
      return 0;
    } catch (err) {
      bar.interrupt();
      console.error(`cityhub import tickets: ${isProblem(err) ? (err.detail ?? err.title) : (err as Error).message}`);
      return 1;
    } finally {
      await new Promise<void>((resolve) => (badOut ? badOut.end(resolve) : resolve()));
      await hub.close();
    }
  },
};
