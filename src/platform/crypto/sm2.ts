import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, randomBytes, type KeyObject } from 'node:crypto';

/**
 * SM2 digital signatures (GB/T 32918.2-2016, the same algorithm as GM/T 0003.2-2012) over bigint.
 *
 * Why our own: Node 20's OpenSSL 3.0 knows the SM2 curve and SM3, but node:crypto cannot set the distinguishing
 * identifier that GB/T 32918 mixes into the signed digest (ZA), so `crypto.sign` on an SM2 key is not an SM2
 * signature a Chinese verifier accepts. Keys are still made, stored and parsed by node:crypto (PKCS#8 / SPKI PEM,
 * curve OID 1.2.156.10197.1.301), so they interoperate with `openssl pkey` and GmSSL.
 *
 * The arithmetic is plain bigint and not constant-time: it signs ledger checkpoints on a timer, where a timing
 * side channel would need thousands of measured signatures of one key. Do not use it for interactive signing.
 */

/** A short-Weierstrass curve y² = x³ + ax + b over F_p with a base point G of prime order n. */
export interface Sm2Curve {
  p: bigint;
  a: bigint;
  b: bigint;
  gx: bigint;
  gy: bigint;
  n: bigint;
}

const big = (hex: string): bigint => BigInt(`0x${hex.replace(/\s+/g, '')}`);

/** The recommended curve of GB/T 32918.5-2017 (sm2p256v1), the one every product uses. */
export const SM2_CURVE: Sm2Curve = {
  p: big('FFFFFFFE FFFFFFFF FFFFFFFF FFFFFFFF FFFFFFFF 00000000 FFFFFFFF FFFFFFFF'),
  a: big('FFFFFFFE FFFFFFFF FFFFFFFF FFFFFFFF FFFFFFFF 00000000 FFFFFFFF FFFFFFFC'),
  b: big('28E9FA9E 9D9F5E34 4D5A9E4B CF6509A7 F39789F5 15AB8F92 DDBCBD41 4D940E93'),
  gx: big('32C4AE2C 1F198119 5F990446 6A39C994 8FE30BBF F2660BE1 715A4589 334C74C7'),
  gy: big('BC3736A2 F4F6779C 59BDCEE3 6B692153 D0A9877C C62A4740 02DF32E5 2139F0A0'),
  n: big('FFFFFFFE FFFFFFFF FFFFFFFF FFFFFFFF 7203DF6B 21C6052B 53BBF409 39D54123'),
};

/** The default user id of GB/T 35276-2017 §10 when none is agreed: the ASCII text 1234567812345678. */
export const SM2_DEFAULT_USER_ID = '1234567812345678';

export interface Sm2Point {
  x: bigint;
  y: bigint;
}

const mod = (v: bigint, m: bigint): bigint => {
  const r = v % m;
  return r < 0n ? r + m : r;
};

/** a^e mod m by square and multiply. */
const powMod = (a: bigint, e: bigint, m: bigint): bigint => {
  let result = 1n;
  let base = mod(a, m);
  for (let k = e; k > 0n; k >>= 1n) {
    if (k & 1n) result = (result * base) % m;
    base = (base * base) % m;
  }
  return result;
};

/** The inverse modulo a prime (Fermat): p and n of an SM2 curve are prime. */
const invMod = (a: bigint, m: bigint): bigint => powMod(a, m - 2n, m);

/** Jacobian coordinates (X/Z², Y/Z³); Z = 0 is the point at infinity. */
type Jacobian = [bigint, bigint, bigint];
const INFINITY: Jacobian = [1n, 1n, 0n];

function double(c: Sm2Curve, [x, y, z]: Jacobian): Jacobian {
  if (z === 0n || y === 0n) return INFINITY;
  const { p } = c;
  const yy = (y * y) % p;
  const s = (4n * x * yy) % p;
  const zz = (z * z) % p;
  const m = mod(3n * x * x + c.a * zz * zz, p);
  const x3 = mod(m * m - 2n * s, p);
  const y3 = mod(m * (s - x3) - 8n * yy * yy, p);
  return [x3, y3, (2n * y * z) % p];
}

function add(c: Sm2Curve, a: Jacobian, b: Jacobian): Jacobian {
  if (a[2] === 0n) return b;
  if (b[2] === 0n) return a;
  const { p } = c;
  const z1z1 = (a[2] * a[2]) % p;
  const z2z2 = (b[2] * b[2]) % p;
  const u1 = (a[0] * z2z2) % p;
  const u2 = (b[0] * z1z1) % p;
  const s1 = (a[1] * z2z2 * b[2]) % p;
  const s2 = (b[1] * z1z1 * a[2]) % p;
  if (u1 === u2) return s1 === s2 ? double(c, a) : INFINITY;
  const h = mod(u2 - u1, p);
  const r = mod(s2 - s1, p);
  const hh = (h * h) % p;
  const hhh = (hh * h) % p;
  const x3 = mod(r * r - hhh - 2n * u1 * hh, p);
  const y3 = mod(r * (u1 * hh - x3) - s1 * hhh, p);
  return [x3, y3, (h * a[2] * b[2]) % p];
}

function toAffine(c: Sm2Curve, [x, y, z]: Jacobian): Sm2Point | undefined {
  if (z === 0n) return undefined;
  const zi = invMod(z, c.p);
  const zi2 = (zi * zi) % c.p;
  return { x: (x * zi2) % c.p, y: (y * zi2 * zi) % c.p };
}

/** [k]P by double-and-add from the top bit. */
function multiply(c: Sm2Curve, k: bigint, point: Sm2Point): Jacobian {
  let acc = INFINITY;
  const base: Jacobian = [point.x, point.y, 1n];
  for (let i = BigInt(k.toString(2).length - 1); i >= 0n; i--) {
    acc = double(c, acc);
    if ((k >> i) & 1n) acc = add(c, acc, base);
  }
  return acc;
}

/** Whether the point lies on the curve (a public key read from outside is checked before it is used). */
export const onCurve = (c: Sm2Curve, { x, y }: Sm2Point): boolean =>
  x >= 0n && x < c.p && y >= 0n && y < c.p && mod(y * y - (x * x * x + c.a * x + c.b), c.p) === 0n;

/** The public key [d]G of a private key d. */
export function publicPoint(c: Sm2Curve, d: bigint): Sm2Point {
  const point = toAffine(c, multiply(c, d, { x: c.gx, y: c.gy }));
  if (!point) throw new Error('SM2: the private key is not in 1..n-2');
  return point;
}

const bytesOf = (v: bigint, length = 32): Buffer => Buffer.from(v.toString(16).padStart(length * 2, '0'), 'hex');
const sm3 = (...parts: Uint8Array[]): Buffer => {
  const h = createHash('sm3');
  for (const part of parts) h.update(part);
  return h.digest();
};

/**
 * ZA = SM3(ENTL_A ‖ ID_A ‖ a ‖ b ‖ x_G ‖ y_G ‖ x_A ‖ y_A) (GB/T 32918.2 §5.5): binds the signer's identity and the
 * curve into every signature. ENTL_A is the id's length in bits, two bytes big-endian.
 */
export function userIdDigest(c: Sm2Curve, publicKey: Sm2Point, userId: string | Uint8Array = SM2_DEFAULT_USER_ID): Buffer {
  const id = typeof userId === 'string' ? Buffer.from(userId, 'utf8') : Buffer.from(userId);
  if (id.length * 8 > 0xffff) throw new Error('SM2: the user id is longer than 8191 bytes');
  const entl = Buffer.from([(id.length * 8) >> 8, (id.length * 8) & 0xff]);
  return sm3(entl, id, bytesOf(c.a), bytesOf(c.b), bytesOf(c.gx), bytesOf(c.gy), bytesOf(publicKey.x), bytesOf(publicKey.y));
}

/** A random k in [1, n-1] by rejection sampling (never biased by a modulo). */
function randomScalar(n: bigint): bigint {
  for (;;) {
    const k = BigInt(`0x${randomBytes(32).toString('hex')}`);
    if (k >= 1n && k < n) return k;
  }
}

export interface Sm2Signature {
  r: bigint;
  s: bigint;
}

/**
 * Signs `message` (GB/T 32918.2 §6.1): e = SM3(ZA ‖ M), (x1, y1) = [k]G, r = (e + x1) mod n,
 * s = (1 + d)⁻¹ · (k − r·d) mod n. `fixedK` exists only to reproduce the standard's worked example.
 *
 * @example const { r, s } = sm2Sign(SM2_CURVE, d, publicPoint(SM2_CURVE, d), Buffer.from('text'));
 */
export function sm2Sign(
  c: Sm2Curve, d: bigint, publicKey: Sm2Point, message: Uint8Array, userId: string | Uint8Array = SM2_DEFAULT_USER_ID, fixedK?: bigint,
): Sm2Signature {
  const e = BigInt(`0x${sm3(userIdDigest(c, publicKey, userId), message).toString('hex')}`);
  const dInverse = invMod(1n + d, c.n);
  for (;;) {
    const k = fixedK ?? randomScalar(c.n);
    const x1 = toAffine(c, multiply(c, k, { x: c.gx, y: c.gy }))!.x;
    const r = mod(e + x1, c.n);
    if (r === 0n || r + k === c.n) continue;
    const s = mod(dInverse * (k - r * d), c.n);
    if (s === 0n) continue;
    return { r, s };
  }
}

/**
 * Verifies a signature (GB/T 32918.2 §7.1): t = (r + s) mod n, (x1, y1) = [s]G + [t]P_A, accept when
 * (e + x1) mod n = r.
 */
export function sm2Verify(c: Sm2Curve, publicKey: Sm2Point, message: Uint8Array, signature: Sm2Signature, userId: string | Uint8Array = SM2_DEFAULT_USER_ID): boolean {
  const { r, s } = signature;
  if (r < 1n || r >= c.n || s < 1n || s >= c.n || !onCurve(c, publicKey)) return false;
  const t = mod(r + s, c.n);
  if (t === 0n) return false;
  const e = BigInt(`0x${sm3(userIdDigest(c, publicKey, userId), message).toString('hex')}`);
  const point = toAffine(c, add(c, multiply(c, s, { x: c.gx, y: c.gy }), multiply(c, t, publicKey)));
  return !!point && mod(e + point.x, c.n) === r;
}

/** r ‖ s, 32 bytes each (the raw form GM/T 0009 calls the signature value). */
export const encodeSignature = ({ r, s }: Sm2Signature): Buffer => Buffer.concat([bytesOf(r), bytesOf(s)]);

export function decodeSignature(raw: Uint8Array): Sm2Signature | undefined {
  if (raw.length !== 64) return undefined;
  const hex = Buffer.from(raw).toString('hex');
  return { r: BigInt(`0x${hex.slice(0, 64)}`), s: BigInt(`0x${hex.slice(64)}`) };
}

/** An SM2 key pair as node:crypto holds it, with the numbers the signing needs. */
export interface Sm2KeyPair {
  privateKey: KeyObject;
  publicKey: KeyObject;
  d: bigint;
  point: Sm2Point;
}

const isSm2 = (key: KeyObject): boolean => key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'SM2';

/** The point of an SM2 public key: the last 65 bytes of its SPKI DER are 04 ‖ x ‖ y (uncompressed). */
export function sm2PublicPoint(publicKey: KeyObject): Sm2Point {
  if (!isSm2(publicKey)) throw new Error(`expected an SM2 key, got ${publicKey.asymmetricKeyType}`);
  const der = publicKey.export({ type: 'spki', format: 'der' });
  const raw = der.subarray(der.length - 65);
  if (raw[0] !== 0x04) throw new Error('SM2: the public key is not in uncompressed form');
  return { x: BigInt(`0x${raw.subarray(1, 33).toString('hex')}`), y: BigInt(`0x${raw.subarray(33).toString('hex')}`) };
}

/**
 * Reads an SM2 private key from node:crypto. Its SEC1 DER (RFC 5915) is `30 77 02 01 01 04 20 <d: 32 bytes> …`;
 * d is taken from there and checked against the public key node:crypto derives.
 */
export function sm2KeyPair(privateKey: KeyObject): Sm2KeyPair {
  if (!isSm2(privateKey)) throw new Error(`expected an SM2 private key (EC, curve SM2), got ${privateKey.asymmetricKeyType}`);
  const der = privateKey.export({ type: 'sec1', format: 'der' });
  const at = der.indexOf(Buffer.from([0x02, 0x01, 0x01, 0x04, 0x20]));
  if (at < 0) throw new Error('SM2: unexpected private key encoding');
  const d = BigInt(`0x${der.subarray(at + 5, at + 37).toString('hex')}`);
  const publicKey = createPublicKey(privateKey);
  const point = sm2PublicPoint(publicKey);
  const derived = publicPoint(SM2_CURVE, d);
  if (derived.x !== point.x || derived.y !== point.y) throw new Error('SM2: the private key does not match its public key');
  return { privateKey, publicKey, d, point };
}

/** A new SM2 key pair on the recommended curve (node:crypto's generator, OpenSSL's random source). */
export const generateSm2KeyPair = (): Sm2KeyPair => sm2KeyPair(generateKeyPairSync('ec', { namedCurve: 'SM2' }).privateKey);

/** Reads an SM2 private key from PEM (PKCS#8 or SEC1). */
export const sm2KeyPairFromPem = (pem: string): Sm2KeyPair => sm2KeyPair(createPrivateKey(pem));
