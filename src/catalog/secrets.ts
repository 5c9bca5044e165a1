import { createHmac, randomBytes } from 'node:crypto';
import type { Db } from '../platform/db/database.js';
import * as store from './secret-store.js';

/**
 * The module's keys, made on first use and kept in the database so every node shares them:
 * - `subject`: keys the hash that turns a citizen ID into a row's subject_key (a plain SHA-256 of an 18-digit ID
 *   could be reversed by trying every birth date and sequence number);
 * - `consumer:<org id>`: each consumer organisation's HMAC masking key, so pseudonyms link within one consumer only.
 */
export class CatalogSecrets {
  private readonly cache = new Map<string, Buffer>();

  constructor(private readonly db: Db) {}

  async get(name: string): Promise<Buffer> {
    const cached = this.cache.get(name);
    if (cached) return cached;
    let row = await store.findSecret(this.db, name);
    if (!row) {
      await store.insertSecret(this.db, name, randomBytes(32).toString('hex'));
      row = await store.findSecret(this.db, name);
    }
    const key = Buffer.from(row!.secret, 'hex');
    this.cache.set(name, key);
    return key;
  }

  consumerKey(orgId: string): Promise<Buffer> {
    return this.get(`consumer:${orgId}`);
  }

  /** The subject key of a citizen ID (upper-cased, trimmed): hex HMAC-SHA256 under the `subject` key. */
  async subjectKey(idNumber: string): Promise<string> {
    return subjectKeyWith(await this.get('subject'), idNumber);
  }
}

export const subjectKeyWith = (key: Buffer, idNumber: string): string =>
  createHmac('sha256', key).update(idNumber.trim().toUpperCase()).digest('hex');

/**
 * The access log's tag of a subject key: its first 52 bits as a safe integer. A GIN index over integers is ~20×
 * cheaper to write than over 64-character text, and a false match needs a 2^-52 coincidence.
 */
export const subjectTag = (subjectKey: string): number => parseInt(subjectKey.slice(0, 13), 16);
