import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * Time-based one-time passwords (RFC 6238 over RFC 4226 HOTP), the second factor administrators must use
 * (等保 2.0 level 3, 身份鉴别: two or more factors). Secrets are shown to the user once as base32 (RFC 4648), the
 * encoding authenticator apps read from an `otpauth://` URI.
 */

const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/** RFC 4648 base32 without padding. */
export const base32Encode = (bytes: Buffer): string => {
  let bits = 0;
  let value = 0;
  let out = '';
  for (const byte of bytes) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += BASE32[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += BASE32[(value << (5 - bits)) & 31];
  return out;
};

/** Decodes RFC 4648 base32 (case, spaces and padding ignored); undefined when a character is not base32. */
export const base32Decode = (text: string): Buffer | undefined => {
  const clean = text.replace(/[\s=]/g, '').toUpperCase();
  let bits = 0;
  let value = 0;
  const out: number[] = [];
  for (const char of clean) {
    const index = BASE32.indexOf(char);
    if (index < 0) return undefined;
    value = (value << 5) | index;
    bits += 5;
    if (bits >= 8) {
      out.push((value >>> (bits - 8)) & 255);
      bits -= 8;
    }
  }
  return Buffer.from(out);
};

export type TotpAlgorithm = 'sha1' | 'sha256' | 'sha512';

/** RFC 4226 HOTP: the counter as 8 big-endian bytes, HMAC, dynamic truncation, `digits` decimal digits. */
export const hotp = (secret: Buffer, counter: number, digits = 6, algorithm: TotpAlgorithm = 'sha1'): string => {
  const message = Buffer.alloc(8);
  message.writeBigUInt64BE(BigInt(counter));
  const mac = createHmac(algorithm, secret).update(message).digest();
  const offset = mac[mac.length - 1] & 0x0f;
  const binary = mac.readUInt32BE(offset) & 0x7fffffff;
  return String(binary % 10 ** digits).padStart(digits, '0');
};

/** The RFC 6238 time step of a moment (T0 = 0). */
export const timeStep = (at: Date, stepSeconds = 30): number => Math.floor(at.getTime() / 1000 / stepSeconds);

/**
 * The TOTP code at a moment.
 *
 * @example totp(base32Decode('GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ')!, new Date(59_000), 8) // '94287082'
 */
export const totp = (secret: Buffer, at: Date, digits = 6, stepSeconds = 30, algorithm: TotpAlgorithm = 'sha1'): string =>
  hotp(secret, timeStep(at, stepSeconds), digits, algorithm);

/**
 * The time step a code matches within ±`window` steps of now (clock drift between the phone and the server), or
 * undefined. The caller refuses a step at or before the last one accepted, so a code cannot be replayed.
 */
export const matchTotp = (secret: Buffer, code: string, at: Date, options: { window?: number; digits?: number; stepSeconds?: number } = {}): number | undefined => {
  const digits = options.digits ?? 6;
  if (!new RegExp(`^\\d{${digits}}$`).test(code)) return undefined;
  const now = timeStep(at, options.stepSeconds ?? 30);
  const window = options.window ?? 1;
  for (let delta = -window; delta <= window; delta++) {
    const expected = Buffer.from(hotp(secret, now + delta, digits));
    if (timingSafeEqual(expected, Buffer.from(code))) return now + delta;
  }
  return undefined;
};

/** A new random secret of 20 bytes (160 bits, RFC 4226's recommendation), base32. */
export const newTotpSecret = (): string => base32Encode(randomBytes(20));

/** The `otpauth://totp/…` URI an authenticator app scans (Key Uri Format). */
export const otpauthUri = (issuer: string, account: string, secret: string): string =>
  `otpauth://totp/${encodeURIComponent(issuer)}:${encodeURIComponent(account)}?secret=${secret}&issuer=${encodeURIComponent(issuer)}&algorithm=SHA1&digits=6&period=30`;
