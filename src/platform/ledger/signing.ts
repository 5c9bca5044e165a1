import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify, type KeyObject } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { sm2KeyPair, sm2PublicPoint, sm2Sign, sm2Verify, decodeSignature, encodeSignature, SM2_CURVE, SM2_DEFAULT_USER_ID } from '../crypto/sm2.js';

/**
 * How a ledger hashes and signs: `standard` is SHA-256 and Ed25519; `gm` (国密) is SM3 (GB/T 32905) and SM2
 * (GB/T 32918) with a user id. Fixed when the ledger's first entry is written and recorded in its head row.
 */
export type LedgerMode = 'standard' | 'gm';

/** The file in the data folder that holds the node's Ed25519 private key when none is configured. */
export const KEY_FILE_NAME = 'ledger-ed25519.pem';
/** The same for an SM2 key in 国密 mode. */
export const SM2_KEY_FILE_NAME = 'ledger-sm2.pem';
export const keyFileName = (mode: LedgerMode): string => (mode === 'gm' ? SM2_KEY_FILE_NAME : KEY_FILE_NAME);

/** The first line of every signed checkpoint: names the format, so a signature cannot be replayed elsewhere. */
export const CHECKPOINT_ORIGIN = 'cityhub-ledger/v1';
export const GM_CHECKPOINT_ORIGIN = 'cityhub-ledger/gm/v1';

export type SignatureAlgorithm = 'Ed25519' | 'SM2';

/**
 * What signs checkpoints: a key held in this process, or a key management service / signing machine (密码机)
 * that never hands out the private key — implement `sign` against it and pass it to createLedger as `signer`.
 */
export interface CheckpointSigner {
  readonly algorithm: SignatureAlgorithm;
  readonly publicKey: KeyObject;
  /** PEM (SPKI) of the public key, as published at GET /api/ledger/public-key. */
  readonly publicKeyPem: string;
  readonly keyId: string;
  /** Where the key came from: `config`, a key file's path, `memory`, or a KMS's name. */
  readonly source: string;
  /** The base64 signature of `text` (Ed25519, or SM2 r ‖ s with the ledger's user id). */
  sign(text: Buffer): Promise<string>;
}

/** Kept for callers of the first version: a signer whose private key lives in this process. */
export type SigningKey = CheckpointSigner;

const algorithmOf = (key: KeyObject): SignatureAlgorithm | undefined =>
  key.asymmetricKeyType === 'ed25519' ? 'Ed25519' : key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'SM2' ? 'SM2' : undefined;

/** hex of the first 8 bytes of SHA-256 (SM3 for an SM2 key) over the DER (SPKI) public key: names a key in checkpoints. */
export const keyIdOf = (publicKey: KeyObject): string =>
  createHash(algorithmOf(publicKey) === 'SM2' ? 'sm3' : 'sha256').update(publicKey.export({ type: 'spki', format: 'der' })).digest('hex').slice(0, 16);

const fromPrivateKey = (privateKey: KeyObject, source: string, mode: LedgerMode, sm2UserId: string): CheckpointSigner => {
  const wanted: SignatureAlgorithm = mode === 'gm' ? 'SM2' : 'Ed25519';
  const algorithm = algorithmOf(privateKey);
  if (algorithm !== wanted) {
    throw new Error(
      `the ledger signing key (${source}) must be an ${wanted} private key in ${mode} mode, got ${privateKey.asymmetricKeyType}` +
        (mode === 'gm' ? ' (openssl genpkey -algorithm ec -pkeyopt ec_paramgen_curve:SM2 -out ledger-sm2.pem)' : ''),
    );
  }
  const publicKey = createPublicKey(privateKey);
  const base = { algorithm, publicKey, publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(), keyId: keyIdOf(publicKey), source };
  if (algorithm === 'SM2') {
    const pair = sm2KeyPair(privateKey);
    return { ...base, sign: async (text) => encodeSignature(sm2Sign(SM2_CURVE, pair.d, pair.point, text, sm2UserId)).toString('base64') };
  }
  return { ...base, sign: async (text) => sign(null, text, privateKey).toString('base64') };
};

const parsePrivatePem = (pem: string, source: string): KeyObject => {
  try {
    return createPrivateKey(pem);
  } catch (err) {
    throw new Error(`the ledger signing key (${source}) is not a readable PEM private key: ${(err as Error).message}`);
  }
};

const newPrivateKey = (mode: LedgerMode): KeyObject =>
  mode === 'gm' ? generateKeyPairSync('ec', { namedCurve: 'SM2' }).privateKey : generateKeyPairSync('ed25519').privateKey;

/** Reads a key file (tightening it to 0600), or creates it with a new key when missing and `create` allows. */
function keyFromFile(file: string, create: boolean, mode: LedgerMode, sm2UserId: string): CheckpointSigner {
  try {
    const pem = readFileSync(file, 'utf8');
    // A key file found readable by others (a copy, an older CityHub) is tightened to the service user only.
    if (process.platform !== 'win32' && (statSync(file).mode & 0o077) !== 0) chmodSync(file, 0o600);
    return fromPrivateKey(parsePrivatePem(pem, file), file, mode, sm2UserId);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT' || !create) throw err;
  }
  mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  const privateKey = newPrivateKey(mode);
  const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  try {
    // 'wx': if another process created the file meanwhile, keep theirs, so every process signs with one key.
    writeFileSync(file, pem, { mode: 0o600, flag: 'wx' });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    return fromPrivateKey(parsePrivatePem(readFileSync(file, 'utf8'), file), file, mode, sm2UserId);
  }
  return fromPrivateKey(privateKey, file, mode, sm2UserId);
}

export interface LoadSigningKeyOptions {
  /** PEM of the private key (CITYHUB_LEDGER_KEY): a secret from the orchestrator, never on the data disk. */
  signingKeyPem?: string;
  /** A key file outside the data folder (CITYHUB_LEDGER_KEY_FILE), created with mode 0600 when missing. */
  signingKeyFile?: string;
  /** The data folder: its key file is the fallback of an install that configured neither (kept for old installs). */
  dataDir?: string;
  create?: boolean;
  mode?: LedgerMode;
  sm2UserId?: string;
}

/**
 * The checkpoint signing key: the configured PEM, else the configured key file, else `<dataDir>/ledger-ed25519.pem`
 * (`ledger-sm2.pem` in 国密 mode; created with mode 0600 when missing), else — no data folder, as in tests — a key
 * that lives only in memory.
 *
 * @example const key = loadSigningKey({ signingKeyFile: '/etc/cityhub/ledger-ed25519.pem' });
 */
export function loadSigningKey(options: LoadSigningKeyOptions): CheckpointSigner {
  const mode = options.mode ?? 'standard';
  const userId = options.sm2UserId ?? SM2_DEFAULT_USER_ID;
  if (options.signingKeyPem) return fromPrivateKey(parsePrivatePem(options.signingKeyPem, 'config'), 'config', mode, userId);
  if (options.signingKeyFile) return keyFromFile(path.resolve(options.signingKeyFile), options.create !== false, mode, userId);
  if (options.dataDir) return keyFromFile(path.join(options.dataDir, keyFileName(mode)), options.create !== false, mode, userId);
  return fromPrivateKey(newPrivateKey(mode), 'memory', mode, userId);
}

/** Whether a key file lies inside the data folder (where a copy of the database would carry it along). */
export const isInside = (file: string, dir: string): boolean => {
  const relative = path.relative(path.resolve(dir), path.resolve(file));
  return relative === '' || (!relative.startsWith('..') && !path.isAbsolute(relative));
};

/**
 * Reads a public key from PEM: an SPKI public key, or a private key (its public half is taken). Ed25519 or SM2.
 *
 * @example const key = readPublicKey(readFileSync('ledger-public.pem', 'utf8'));
 */
export function readPublicKey(pem: string): KeyObject {
  const key = pem.includes('PRIVATE KEY') ? createPublicKey(createPrivateKey(pem)) : createPublicKey(pem);
  if (!algorithmOf(key)) throw new Error(`expected an Ed25519 or SM2 key, got ${key.asymmetricKeyType}`);
  return key;
}

/**
 * The exact text a checkpoint signature covers, in the spirit of the C2SP signed-note checkpoint:
 *
 *   cityhub-ledger/v1\n<tree size>\n<root hash, base64>\n<time, ISO 8601 UTC>\n
 *
 * In 国密 mode the first line is `cityhub-ledger/gm/v1`, so a checkpoint cannot be passed off under the other mode.
 */
export const checkpointText = (size: number, rootHex: string, time: Date, mode: LedgerMode = 'standard'): string =>
  `${mode === 'gm' ? GM_CHECKPOINT_ORIGIN : CHECKPOINT_ORIGIN}\n${size}\n${Buffer.from(rootHex, 'hex').toString('base64')}\n${time.toISOString()}\n`;

/** base64 signature of a checkpoint by the ledger's signer. */
export const signCheckpoint = (signer: CheckpointSigner, size: number, rootHex: string, time: Date, mode: LedgerMode = 'standard'): Promise<string> =>
  signer.sign(Buffer.from(checkpointText(size, rootHex, time, mode), 'utf8'));

/** Whether `signature` (base64) is a valid signature of the checkpoint by `publicKey` (Ed25519, or SM2 with `sm2UserId`). */
export function verifyCheckpointSignature(
  publicKey: KeyObject, size: number, rootHex: string, time: Date, signature: string, mode: LedgerMode = 'standard', sm2UserId = SM2_DEFAULT_USER_ID,
): boolean {
  try {
    const text = Buffer.from(checkpointText(size, rootHex, time, mode), 'utf8');
    const raw = Buffer.from(signature, 'base64');
    if (algorithmOf(publicKey) === 'SM2') {
      const decoded = decodeSignature(raw);
      return !!decoded && sm2Verify(SM2_CURVE, sm2PublicPoint(publicKey), text, decoded, sm2UserId);
    }
    return verify(null, text, publicKey, raw);
  } catch {
    return false;
  }
}
