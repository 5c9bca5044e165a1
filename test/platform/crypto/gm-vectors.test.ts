import { createCipheriv, createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  SM2_CURVE, generateSm2KeyPair, publicPoint, sm2Sign, sm2Verify, userIdDigest, encodeSignature, decodeSignature, type Sm2Curve,
} from '../../../src/platform/crypto/sm2.js';

const big = (hex: string): bigint => BigInt(`0x${hex.replace(/\s+/g, '')}`);

describe('SM3 (GB/T 32905-2016, annex A)', () => {
  it('hashes example 1 ("abc") and example 2 (512-bit "abcd" × 16)', () => {
    expect(createHash('sm3').update('abc').digest('hex')).toBe('66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0');
    expect(createHash('sm3').update('abcd'.repeat(16)).digest('hex')).toBe('debe9ff92275b8a138604889c18e5a4d6fdb70e5387e5765293dcba39c0c5732');
  });
});

describe('SM4 (GB/T 32907-2016, annex A)', () => {
  const key = Buffer.from('0123456789abcdeffedcba9876543210', 'hex');
  const ecb = (input: Buffer): Buffer => {
    const c = createCipheriv('sm4-ecb', key, null).setAutoPadding(false);
    return Buffer.concat([c.update(input), c.final()]);
  };
  it('example 1: one block', () => {
    expect(ecb(key).toString('hex')).toBe('681edf34d206965e86b3e94f536e4246');
  });
  it('example 2: 1,000,000 encryptions of the block', () => {
    // One cipher object, 16 MB through ECB in one call would not chain; each block must feed the next.
    const c = createCipheriv('sm4-ecb', key, null).setAutoPadding(false);
    let block = Buffer.from(key);
    for (let i = 0; i < 1_000_000; i++) block = c.update(block);
    expect(block.toString('hex')).toBe('595298c7c6fd271f0402f804c33d3f66');
  });
});

describe('SM2 signature (GB/T 32918.2-2016 annex A / GM/T 0003.2 annex A, the Fp-256 example curve)', () => {
  // The standard's worked example runs on its own test curve, not the recommended one.
  const curve: Sm2Curve = {
    p: big('8542D69E 4C044F18 E8B92435 BF6FF7DE 45728391 5C45517D 722EDB8B 08F1DFC3'),
    a: big('787968B4 FA32C3FD 2417842E 73BBFEFF 2F3C848B 6831D7E0 EC65228B 3937E498'),
    b: big('63E4C6D3 B23B0C84 9CF84241 484BFE48 F61D59A5 B16BA06E 6E12D1DA 27C5249A'),
    gx: big('421DEBD6 1B62EAB6 746434EB C3CC315E 32220B3B ADD50BDC 4C4E6C14 7FEDD43D'),
    gy: big('0680512B CBB42C07 D47349D2 153B70C4 E5D7FDFC BFA36EA1 A85841B9 E46E09A2'),
    n: big('8542D69E 4C044F18 E8B92435 BF6FF7DD 29772063 0485628D 5AE74EE7 C32E79B7'),
  };
  const d = big('128B2FA8 BD433C6C 068C8D80 3DFF7979 2A519A55 171B1B65 0C23661D 15897263');
  const k = big('6CB28D99 385C175C 94F94E93 4817663F C176D925 DD72B727 260DBAAE 1FB2F96F');
  const id = 'ALICE123@YAHOO.COM';
  const message = Buffer.from('message digest');

  it('derives the public key, ZA and the signature (r, s) of the example with its k', () => {
    const point = publicPoint(curve, d);
    expect(point.x).toBe(big('0AE4C7798AA0F119471BEE11825BE46202BB79E2A5844495E97C04FF4DF2548A'));
    expect(point.y).toBe(big('7C0240F88F1CD4E16352A73C17B7F16F07353E53A176D684A9FE0C6BB798E857'));
    expect(userIdDigest(curve, point, id).toString('hex').toUpperCase()).toBe('F4A38489E32B45B6F876E3AC2168CA392362DC8F23459C1D1146FC3DBFB7BC9A');
    const signature = sm2Sign(curve, d, point, message, id, k);
    expect(signature.r).toBe(big('40F1EC59F793D9F49E09DCEF49130D4194F79FB1EED2CAA55BACDB49C4E755D1'));
    expect(signature.s).toBe(big('6FC6DAC32C5D5CF10C77DFB20F7C2EB667A457872FB09EC56327A67EC7DEEBE7'));
    expect(sm2Verify(curve, point, message, signature, id)).toBe(true);
    expect(sm2Verify(curve, point, Buffer.from('message digesT'), signature, id)).toBe(false);
    expect(sm2Verify(curve, point, message, signature, 'BILL456@YAHOO.COM')).toBe(false);
  });

  it('signs and verifies on the recommended curve with a key node:crypto made (default id 1234567812345678)', () => {
    const pair = generateSm2KeyPair(); // checks [d]G against the public key OpenSSL derived
    const signature = sm2Sign(SM2_CURVE, pair.d, pair.point, message);
    const raw = encodeSignature(signature);
    expect(raw).toHaveLength(64);
    expect(sm2Verify(SM2_CURVE, pair.point, message, decodeSignature(raw)!)).toBe(true);
    expect(sm2Verify(SM2_CURVE, pair.point, message, { r: signature.r, s: (signature.s + 1n) % SM2_CURVE.n })).toBe(false);
    expect(sm2Verify(SM2_CURVE, { x: pair.point.x, y: pair.point.y + 1n }, message, signature)).toBe(false);
  });
});
