import { systemActor } from '../../platform/auth/roles.js';
import { loadConfig } from '../../platform/config/config.js';
import { createCityHub } from '../../server/app.js';
import { readTaxonomyCsv, TaxonomyFileError } from '../../hotline/taxonomy-csv.js';
import { configOverrides, type Command } from '../command.js';

export const taxonomyImportCommand: Command = {
  name: 'taxonomy import',
  summary: 'import the hotline category taxonomy from a CSV with columns level1,level2,level3 (idempotent)',
  usage: 'FILE.csv',
  allowPositionals: true,
  async run(values, positionals) {
    const file = positionals[0];
    if (!file || positionals.length > 1) {
      console.error('cityhub taxonomy import: give one CSV file with the columns level1,level2,level3');
      return 2;
    }
    let rows;
    try {
      rows = await readTaxonomyCsv(file);
    } catch (err) {
      console.error(`cityhub taxonomy import: ${err instanceof TaxonomyFileError ? err.message : (err as Error).message}`);
      return 1;
    }
    const config = loadConfig(process.env, configOverrides(values));
    const hub = await createCityHub({ config, logger: false });
    try {
      const actor = systemActor('cli');
      const r = await hub.services.hotline.reference.insertTaxonomy(actor, rows);
      console.log(`${r.rows} rows: ${r.created} categories added, ${r.existing} already there, ${r.bad} rows skipped (level1 missing, or level3 without level2)`);
      return 0;
    } finally {
      await hub.close();
    }
  },
};
