import { createDecipheriv, createHmac, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { FieldCipher, FieldCipherError, parseFieldKeys } from '../../../src/platform/crypto/field-cipher.js';

const key = (id: string) => ({ id, secret: randomBytes(32) });

describe('SM4 field encryption (SM4-CBC + HMAC-SM3, encrypt-then-MAC)', () => {
  const k1 = key('k1');
  const ad = 'hotline_ticket.citizen_phone:5d6875d1';

  it('round-trips, never repeats a ciphertext, and is plain SM4-CBC under the derived key', () => {
    const cipher = new FieldCipher([k1]);
    const a = cipher.encrypt('13800138000', ad);
    const b = cipher.encrypt('13800138000', ad);
    expect(a).not.toBe(b);
    expect(a).toMatch(/^sm4\$k1\$[A-Za-z0-9+/=]+$/);
    expect(a).not.toContain('13800138000');
    expect(cipher.decrypt(a, ad)).toBe('13800138000');
    // Open it with node:crypto alone, to show the stored bytes are standard SM4-CBC (GB/T 32907) with PKCS#7.
    const raw = Buffer.from(a.split('$')[2], 'base64');
    const encKey = createHmac('sm3', k1.secret).update('cityhub-field-sm4').digest().subarray(0, 16);
    const d = createDecipheriv('sm4-cbc', encKey, raw.subarray(0, 16));
    expect(Buffer.concat([d.update(raw.subarray(16, raw.length - 32)), d.final()]).toString()).toBe('13800138000');
  });

  it('refuses a value altered by one bit, moved to another row, or under an unknown key', () => {
    const cipher = new FieldCipher([k1]);
    const stored = cipher.encrypt('110101199003074514', ad);
    const raw = Buffer.from(stored.split('$')[2], 'base64');
    raw[20] ^= 1;
    expect(() => cipher.decrypt(`sm4$k1$${raw.toString('base64')}`, ad)).toThrow(/does not authenticate/);
    expect(() => cipher.decrypt(stored, 'hotline_ticket.citizen_phone:another-row')).toThrow(FieldCipherError);
    expect(() => new FieldCipher([key('k9')]).decrypt(stored, ad)).toThrow(/key k1, which is not in the key ring/);
    expect(() => cipher.decrypt('13800138000', ad)).toThrow(/not an encrypted field value/);
  });

  it('rotates: a new key in front encrypts, the old one still decrypts, rotate() rewrites only what it must', () => {
    const old = new FieldCipher([k1]);
    const stored = old.encrypt('13800138000', ad);
    const k2 = key('k2');
    const ring = new FieldCipher(parseFieldKeys(`k2:${k2.secret.toString('base64')}, k1:${k1.secret.toString('base64')}`));
    expect(ring.currentKeyId).toBe('k2');
    expect(ring.decrypt(stored, ad)).toBe('13800138000');
    const rotated = ring.rotate(stored, ad)!;
    expect(rotated.startsWith('sm4$k2$')).toBe(true);
    expect(ring.rotate(rotated, ad)).toBeUndefined();
    expect(ring.rotate('13900139000', ad)!.startsWith('sm4$k2$')).toBe(true); // a clear value from before encryption
    expect(new FieldCipher([k2]).decrypt(rotated, ad)).toBe('13800138000'); // k1 can be dropped now
    expect(() => parseFieldKeys('k1:short')).not.toThrow();
    expect(() => new FieldCipher(parseFieldKeys('k1:c2hvcnQ='))).toThrow(/32 bytes/);
  });
});
