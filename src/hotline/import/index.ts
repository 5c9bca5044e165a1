export { TicketImporter, type ImportOptions, type ImportProgress, type ImportSummary, type TicketImporterDeps } from './ticket-importer.js';
export { parseMapping, compileMapping, MappingSchema, importTargets, type Mapping } from './import-mapping.js';
