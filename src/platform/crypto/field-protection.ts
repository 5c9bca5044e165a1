import { chmodSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import type { Db } from '../db/database.js';
import { isInside } from '../ledger/signing.js';
import { FieldCipher, FieldCipherError, parseFieldKeys, type FieldKey } from './field-cipher.js';

/**
 * Sensitive personal fields at rest (GB/T 39786-2021 8.4 d; GB/T 22239-2019 8.1.4.8 b): the one door through which
 * every module seals a value before it is written and opens it after it is read, with the setting and the keys
 * decided once at boot. Off, `seal` writes the value as it is and `open` still opens values sealed before (so a
 * key ring must stay configured while any sealed value remains).
 *
 * @example
 * const fields = loadFieldProtection({ fieldEncryption: 'auto', fieldKeysFile: '/etc/cityhub/field-keys' }, 'gm', dataDir);
 * const stored = fields.seal('13800138000', 'hotline_ticket.citizen_phone:20261126-000001');
 */
export class FieldProtection {
  /** No encryption and no keys: values are written and read as they are (tests, installs that keep it off). */
  static readonly off = new FieldProtection(undefined, false);

  constructor(
    private readonly cipher: FieldCipher | undefined,
    /** Whether new values are encrypted (otherwise the ring only opens old ones and makes lookup hashes). */
    readonly encrypting: boolean,
  ) {
    if (encrypting && !cipher) throw new FieldCipherError('field encryption is on but there is no key ring');
  }

  /** The id of the key new values are sealed with (undefined without keys). */
  get currentKeyId(): string | undefined {
    return this.cipher?.currentKeyId;
  }

  seal(value: string | null, place: string): string | null {
    if (value === null || !this.encrypting) return value;
    return this.cipher!.encrypt(value, place);
  }

  open(stored: string | null, place: string): string | null {
    if (stored === null || !FieldCipher.isEncrypted(stored)) return stored;
    if (!this.cipher) {
      throw new FieldCipherError(`${place.split(':')[0]} is encrypted but no field keys are configured (security.fieldKeys or security.fieldKeysFile)`);
    }
    return this.cipher.decrypt(stored, place);
  }

  /** The blind index of a normalised value under the current key; null without keys (nothing to find it by). */
  lookupHash(normalized: string | null): string | null {
    return normalized === null || normalized === '' || !this.cipher ? null : this.cipher.lookupHash(normalized);
  }

  /** The blind index under every key of the ring, for a search that must also match rows not yet rotated. */
  lookupHashes(normalized: string): string[] {
    return this.cipher ? this.cipher.lookupHashes(normalized) : [];
  }

  /**
   * The value as it must be stored now: re-encrypted under the current key (or encrypted for the first time, or
   * decrypted when encryption was turned off), or undefined when it is already so.
   */
  reseal(stored: string | null, place: string): string | null | undefined {
    if (stored === null) return undefined;
    if (!this.encrypting) return FieldCipher.isEncrypted(stored) ? this.open(stored, place) : undefined;
    return this.cipher!.rotate(stored, place);
  }

  /** Whether a lookup hash was made under another key than the current one (rotation rewrites it). */
  staleHash(hash: string | null): boolean {
    return hash !== null && (!this.cipher || !hash.startsWith(`${this.cipher.currentKeyId}:`));
  }
}

export interface FieldProtectionSettings {
  /** `auto`: on in 国密 mode (`ledger.mode: gm`), off otherwise. */
  fieldEncryption: 'auto' | 'on' | 'off';
  /** The key ring as text, newest first: `k2:<base64 32 bytes>,k1:<…>` (CITYHUB_FIELD_KEYS). */
  fieldKeys?: string;
  /** A file holding the key ring, outside the data folder; created with one new key (mode 0600) when missing. */
  fieldKeysFile?: string;
}

/** A new key of the ring: an id from the date (`k20261206a1b2`) and 32 random bytes. */
export const newFieldKey = (now = new Date()): FieldKey => ({
  id: `k${now.toISOString().slice(0, 10).replaceAll('-', '')}${randomBytes(2).toString('hex')}`,
  secret: randomBytes(32),
});

export const formatFieldKeys = (keys: readonly FieldKey[]): string =>
  `${keys.map((k) => `${k.id}:${k.secret.toString('base64')}`).join(',\n')}\n`;

/** Reads the key file (tightening it to 0600), or creates it with one new key when missing and `create` allows. */
export function readFieldKeyFile(file: string, create: boolean): FieldKey[] {
  try {
    const text = readFileSync(file, 'utf8');
    if (process.platform !== 'win32' && (statSync(file).mode & 0o077) !== 0) chmodSync(file, 0o600);
    return parseFieldKeys(text);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT' || !create) throw err;
  }
  mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  try {
    // 'wx': when another process created it meanwhile, keep theirs, so every process uses one ring.
    writeFileSync(file, formatFieldKeys([newFieldKey()]), { mode: 0o600, flag: 'wx' });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  return parseFieldKeys(readFileSync(file, 'utf8'));
}

/** Writes the key ring, newest first, replacing the file in one rename so a reader never sees half of it. */
export function writeFieldKeyFile(file: string, keys: readonly FieldKey[]): void {
  const temp = `${file}.${process.pid}.tmp`;
  writeFileSync(temp, formatFieldKeys(keys), { mode: 0o600 });
  renameSync(temp, file);
}

/**
 * The field protection of a deployment: the key ring from `fieldKeys`, else `fieldKeysFile` (refused inside the
 * data folder: a copy of the database would carry its key along), and whether it encrypts. On with no keys at all
 * stops the boot naming what to set.
 */
export function loadFieldProtection(settings: FieldProtectionSettings, ledgerMode: 'standard' | 'gm', dataDir?: string): FieldProtection {
  const on = settings.fieldEncryption === 'on' || (settings.fieldEncryption === 'auto' && ledgerMode === 'gm');
  let keys: FieldKey[] | undefined;
  if (settings.fieldKeys) keys = parseFieldKeys(settings.fieldKeys);
  else if (settings.fieldKeysFile) {
    const file = path.resolve(settings.fieldKeysFile);
    if (dataDir && isInside(file, dataDir)) {
      throw new FieldCipherError(`security.fieldKeysFile ${file} lies inside the data folder ${dataDir}: keep the field keys apart from the data they protect`);
    }
    keys = readFieldKeyFile(file, on);
  }
  if (on && !keys) {
    throw new FieldCipherError(
      'security.fieldEncryption is on (or 国密 mode made it so) but no field keys are given: set security.fieldKeysFile ' +
      '(CITYHUB_FIELD_KEYS_FILE, created when missing) or security.fieldKeys (CITYHUB_FIELD_KEYS)',
    );
  }
  return keys ? new FieldProtection(new FieldCipher(keys, ledgerMode === 'gm' ? 'sm3' : 'sha256'), on) : FieldProtection.off;
}

/**
 * A set of sealed columns of one table, registered by the module that owns it, so `cityhub keys rotate` re-seals
 * every one without knowing the modules (the way ledger content is registered).
 */
export interface SealedColumns {
  /** what it is, for the report: `hotline_ticket (工单)` */
  name: string;
  /**
   * Re-seals up to `limit` rows after `afterKey` (its own keyset order) under the current key and returns how many
   * it rewrote and the last key it looked at (null when done). A row with a value that does not open goes to
   * `onBad` and is left as it is (each row through `resealRow`).
   */
  rotateBatch(db: Db, fields: FieldProtection, afterKey: string | null, limit: number, onBad: OnBadSealedValue): Promise<{ rewritten: number; lastKey: string | null }>;
  /** How many rows still hold a value or hash under another key than the current one (0 once rotation is done). */
  countStale(db: Db, fields: FieldProtection): Promise<number>;
}

/** Told of a row whose sealed value does not open: which row (as its module names it) and why. */
export type OnBadSealedValue = (row: string, err: FieldCipherError) => void;

/**
 * Re-seals one row as a whole or not at all: a value that does not open (altered, moved from another row, under a
 * key the ring lacks) is reported to `onBad` and the row is skipped, so rotation goes on past it and never writes
 * a row with some values under the new key and some not. Other errors propagate (and end the batch's transaction).
 *
 * @example const patch = resealRow(`ticket ${row.number}`, onBad, () => ({ secret: fields.reseal(row.secret, place) }));
 */
export function resealRow<T>(row: string, onBad: OnBadSealedValue, work: () => T): T | undefined {
  try {
    return work();
  } catch (err) {
    if (!(err instanceof FieldCipherError)) throw err;
    onBad(row, err);
    return undefined;
  }
}

const sealedColumns: SealedColumns[] = [];

export const registerSealedColumns = (columns: SealedColumns): void => {
  if (!sealedColumns.some((c) => c.name === columns.name)) sealedColumns.push(columns);
};

export const registeredSealedColumns = (): readonly SealedColumns[] => sealedColumns;
