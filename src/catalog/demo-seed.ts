import type { DemoContext } from '../server/demo-city.js';

/** The catalog's part of the demo city (filled in below). */
export async function seedCatalogDemo(_ctx: DemoContext): Promise<void> {}
