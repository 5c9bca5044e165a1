import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify, type KeyObject } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/** The file in the data folder that holds the node's Ed25519 private key when none is configured. */
export const KEY_FILE_NAME = 'ledger-ed25519.pem';

/** The first line of every signed checkpoint: names the format, so a signature cannot be replayed elsewhere. */
export const CHECKPOINT_ORIGIN = 'cityhub-ledger/v1';

export interface SigningKey {
  privateKey: KeyObject;
  publicKey: KeyObject;
  /** PEM (SPKI) of the public key, as published at GET /api/ledger/public-key. */
  publicKeyPem: string;
  keyId: string;
  /** Where the key came from: `config`, the key file's path, or `memory`. */
  source: string;
}

/** hex of the first 8 bytes of SHA-256 over the DER (SPKI) public key: names a key in checkpoints. */
export const keyIdOf = (publicKey: KeyObject): string =>
  createHash('sha256').update(publicKey.export({ type: 'spki', format: 'der' })).digest('hex').slice(0, 16);

const fromPrivateKey = (privateKey: KeyObject, source: string): SigningKey => {
  if (privateKey.asymmetricKeyType !== 'ed25519') {
    throw new Error(`the ledger signing key (${source}) must be an Ed25519 private key, got ${privateKey.asymmetricKeyType}`);
  }
  const publicKey = createPublicKey(privateKey);
  return {
    privateKey,
    publicKey,
    publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    keyId: keyIdOf(publicKey),
    source,
  };
};

const parsePrivatePem = (pem: string, source: string): KeyObject => {
  try {
    return createPrivateKey(pem);
  } catch (err) {
    throw new Error(`the ledger signing key (${source}) is not a readable PEM private key: ${(err as Error).message}`);
  }
};

/**
 * The checkpoint signing key: the configured PEM, else `<dataDir>/ledger-ed25519.pem` (created with mode 0600
 * when missing), else — no data folder, as in tests — a key that lives only in memory.
 *
 * @example const key = loadSigningKey({ dataDir: './data' });
 */
export function loadSigningKey(options: { signingKeyPem?: string; dataDir?: string; create?: boolean }): SigningKey {
  if (options.signingKeyPem) return fromPrivateKey(parsePrivatePem(options.signingKeyPem, 'config'), 'config');
  if (options.dataDir) {
    const file = path.join(options.dataDir, KEY_FILE_NAME);
    try {
      const pem = readFileSync(file, 'utf8');
      // A key file found readable by others (a copy, an older CityHub) is tightened to the service user only.
      if (process.platform !== 'win32' && (statSync(file).mode & 0o077) !== 0) chmodSync(file, 0o600);
      return fromPrivateKey(parsePrivatePem(pem, file), file);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT' || options.create === false) throw err;
    }
    mkdirSync(options.dataDir, { recursive: true, mode: 0o700 });
    const { privateKey } = generateKeyPairSync('ed25519');
    const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    try {
      // 'wx': if another process created the file meanwhile, keep theirs, so every process signs with one key.
      writeFileSync(file, pem, { mode: 0o600, flag: 'wx' });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      return fromPrivateKey(parsePrivatePem(readFileSync(file, 'utf8'), file), file);
    }
    return fromPrivateKey(privateKey, file);
  }
  return fromPrivateKey(generateKeyPairSync('ed25519').privateKey, 'memory');
}

/**
 * Reads a public key from PEM: an SPKI public key, or a private key (its public half is taken).
 *
 * @example const key = readPublicKey(readFileSync('ledger-public.pem', 'utf8'));
 */
export function readPublicKey(pem: string): KeyObject {
  const key = pem.includes('PRIVATE KEY') ? createPublicKey(createPrivateKey(pem)) : createPublicKey(pem);
  if (key.asymmetricKeyType !== 'ed25519') throw new Error(`expected an Ed25519 key, got ${key.asymmetricKeyType}`);
  return key;
}

/**
 * The exact text a checkpoint signature covers, in the spirit of the C2SP signed-note checkpoint:
 *
 *   cityhub-ledger/v1\n<tree size>\n<root hash, base64>\n<time, ISO 8601 UTC>\n
 */
export const checkpointText = (size: number, rootHex: string, time: Date): string =>
  `${CHECKPOINT_ORIGIN}\n${size}\n${Buffer.from(rootHex, 'hex').toString('base64')}\n${time.toISOString()}\n`;

/** base64 Ed25519 signature of a checkpoint. */
export const signCheckpoint = (key: SigningKey, size: number, rootHex: string, time: Date): string =>
  sign(null, Buffer.from(checkpointText(size, rootHex, time), 'utf8'), key.privateKey).toString('base64');

/** Whether `signature` (base64) is a valid signature of the checkpoint by `publicKey`. */
export function verifyCheckpointSignature(publicKey: KeyObject, size: number, rootHex: string, time: Date, signature: string): boolean {
  try {
    return verify(null, Buffer.from(checkpointText(size, rootHex, time), 'utf8'), publicKey, Buffer.from(signature, 'base64'));
  } catch {
    return false;
  }
}
