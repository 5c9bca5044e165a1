import type { Db } from '../platform/db/database.js';
import type { AccessRow } from './access-service.js';
import type { LicenceRow } from './licence-service.js';
import type { ProductRow } from './registry-service.js';
import * as licenceStore from './licence-store.js';
import * as registryStore from './registry-store.js';

/** What a call is decided on: the caller's access, the product and the licence it is registered under. */
export interface CallTerms {
  access: AccessRow | undefined;
  product: ProductRow | undefined;
  licence: LicenceRow | undefined;
}

/** The terms as they stand in the database now (three reads side by side: a pool answers them at once). */
export async function readCallTerms(db: Db, apiKeyId: string | undefined, productId: string): Promise<CallTerms> {
  const [access, product, licence] = await Promise.all([
    apiKeyId ? licenceStore.findAccessByKey(db, apiKeyId) : Promise.resolve(undefined),
    registryStore.findProduct(db, productId),
    licenceStore.findLicenceOfProduct(db, productId),
  ]);
  return { access, product, licence };
}

/**
 * Thrown inside a call's transaction when the terms it was decided on are no longer those in the database (the
 * metered call's insert found another licence or product version, or a product, access or licence no longer in
 * force): the transaction rolls back, nothing leaves, and the call is decided again on fresh terms.
 */
export class StaleTerms extends Error {
  constructor() {
    super('the call terms changed while the call ran');
  }
}

/**
 * This node's copies of call terms per key and product, so that a metered call does not read the access, the
 * product and the licence again on every call (three reads of a 20-statement call path). A copy is never the
 * authority: the metered call's insert commits only if the licence and product versions it was decided on are
 * still those in the database and the product, the access and the licence are still in force (`insertCallIfCurrent`),
 * in the transaction of the gateway read, so a change made on any node stops the next call on every node without
 * relying on a message reaching it; a refusal decided on a copy is decided again on fresh terms. Copies of
 * a key's terms are kept only after a call on them succeeded.
 *
 * @example
 * const terms = cache.get(keyId, productId) ?? await readCallTerms(db, keyId, productId);
 */
export class CallTermsCache {
  /** Insertion order is age: the first entry is the oldest. */
  private readonly entries = new Map<string, CallTerms>();

  constructor(private readonly maxEntries: number) {}

  get(apiKeyId: string, productId: string): CallTerms | undefined {
    return this.entries.get(`${apiKeyId}|${productId}`);
  }

  keep(apiKeyId: string, productId: string, terms: CallTerms): void {
    if (this.maxEntries <= 0) return;
    const key = `${apiKeyId}|${productId}`;
    this.entries.delete(key);
    if (this.entries.size >= this.maxEntries) this.entries.delete(this.entries.keys().next().value!);
    this.entries.set(key, terms);
  }

  drop(apiKeyId: string, productId: string): void {
    this.entries.delete(`${apiKeyId}|${productId}`);
  }
}
