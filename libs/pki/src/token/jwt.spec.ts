import { createSign, generateKeyPairSync, verify, type KeyObject } from 'node:crypto';
import { UnsupportedKeyError } from '../pki.errors';
import { decodeJwt, MAX_JWT_LENGTH } from './jwt.decoder';
import { JwtAlgorithmError, JwtMalformedError, JwtSignatureError } from './jwt.errors';
import { signJwt } from './jwt.signer';
import { verifyJwt, verifyJwtSignature } from './jwt.verifier';

const b64url = (value: unknown) =>
  Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');
const p256 = () => generateKeyPairSync('ec', { namedCurve: 'P-256' });
const claims = { Name: 'dp-1', Mesh: 'default', Tags: { 'kuma.io/service': 'web' }, exp: 1_900_000_000 };

/** Converts a DER ECDSA signature (what OpenSSL's `createSign` makes) to r‖s, independently of our code. */
function derToP1363(der: Buffer): Buffer {
  let offset = 2 + (der[1] & 0x80 ? der[1] & 0x7f : 0);
  const readInt = (): Buffer => {
    const length = der[offset + 1];
    const value = der.subarray(offset + 2, offset + 2 + length);
    offset += 2 + length;
    const trimmed = value[0] === 0 ? value.subarray(1) : value;
    return Buffer.concat([Buffer.alloc(32 - trimmed.length), trimmed]);
  };
  return Buffer.concat([readInt(), readInt()]);
}

describe('ES256 compact JWS', () => {
  let key: { privateKey: KeyObject; publicKey: KeyObject };
  let token: string;

  beforeAll(() => {
    key = p256();
    token = signJwt(claims, key.privateKey, '1');
  });

  it('signs a three-segment token that verifies and decodes to the claims and header', () => {
    expect(token.split('.')).toHaveLength(3);
    expect(token).toMatch(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/);
    const decoded = verifyJwt(token, key.publicKey);
    expect(decoded.header).toEqual({ alg: 'ES256', typ: 'JWT', kid: '1' });
    expect(decoded.claims).toEqual(claims);
    expect(decoded.signature).toHaveLength(64);
  });

  it('is checked by a second implementation: Node crypto.verify on the raw segments', () => {
    const [h, p, s] = token.split('.');
    expect(JSON.parse(Buffer.from(h, 'base64url').toString())).toEqual({
      alg: 'ES256',
      typ: 'JWT',
      kid: '1',
    });
    const ok = verify(
      'sha256',
      Buffer.from(`${h}.${p}`),
      { key: key.publicKey, dsaEncoding: 'ieee-p1363' },
      Buffer.from(s, 'base64url'),
    );
    expect(ok).toBe(true);
  });

  it('verifies a token crafted by hand with OpenSSL DER signatures converted to r‖s', () => {
    const signingInput = `${b64url({ alg: 'ES256', kid: '7' })}.${b64url({ hello: 'world' })}`;
    const der = createSign('SHA256').update(signingInput).sign(key.privateKey);
    const crafted = `${signingInput}.${derToP1363(der).toString('base64url')}`;
    expect(verifyJwt(crafted, key.publicKey).claims).toEqual({ hello: 'world' });
    expect(verifyJwt(crafted, key.privateKey).header.kid).toBe('7');
  });

  it('refuses a tampered payload and a token of another key', () => {
    const [h, , s] = token.split('.');
    const tampered = `${h}.${b64url({ ...claims, Name: 'dp-2' })}.${s}`;
    expect(() => verifyJwt(tampered, key.publicKey)).toThrow(JwtSignatureError);
    expect(() => verifyJwt(token, p256().publicKey)).toThrow(JwtSignatureError);
    const decoded = decodeJwt(tampered);
    expect(() => verifyJwtSignature(decoded, key.publicKey)).toThrow(
      expect.objectContaining({ code: 'jwt.bad-signature' }),
    );
  });

  it.each([
    ['none', { alg: 'none' }, ''],
    ['HS256', { alg: 'HS256' }, 'AAAA'],
    ['RS256', { alg: 'RS256' }, 'AAAA'],
    ['es256 (wrong case)', { alg: 'es256' }, 'AAAA'],
    ['no alg', { typ: 'JWT' }, 'AAAA'],
  ])('refuses algorithm %s before any cryptography', (_name, header, signature) => {
    const forged = `${b64url(header)}.${b64url(claims)}.${signature}`;
    expect(() => decodeJwt(forged)).toThrow(JwtAlgorithmError);
    expect(() => verifyJwt(forged, key.publicKey)).toThrow(
      expect.objectContaining({ code: 'jwt.unsupported-algorithm' }),
    );
  });

  it.each([
    ['an empty token', ''],
    ['two segments', 'a.b'],
    ['four segments', 'a.b.c.d'],
    ['a header that is not base64url', `e+J9.${b64url(claims)}.AAAA`],
    ['padding', `${b64url({ alg: 'ES256' })}=.${b64url(claims)}.AAAA`],
    ['a header that is not JSON', `${b64url('not json')}.${b64url(claims)}.AAAA`],
    ['a header that is a JSON array', `${b64url([1])}.${b64url(claims)}.AAAA`],
    ['claims that are not JSON', `${b64url({ alg: 'ES256' })}.${b64url('{')}.AAAA`],
    ['claims that are a string', `${b64url({ alg: 'ES256' })}.${b64url('"x"')}.AAAA`],
    [
      'claims that are not UTF-8',
      `${b64url({ alg: 'ES256' })}.${Buffer.from([0x7b, 0xff, 0x7d]).toString('base64url')}.AAAA`,
    ],
    ['a short signature', `${b64url({ alg: 'ES256' })}.${b64url(claims)}.AAAA`],
    [
      'a DER-sized signature',
      `${b64url({ alg: 'ES256' })}.${b64url(claims)}.${Buffer.alloc(70).toString('base64url')}`,
    ],
    ['a critical extension', `${b64url({ alg: 'ES256', crit: ['exp'] })}.${b64url(claims)}.AAAA`],
    ['a numeric kid', `${b64url({ alg: 'ES256', kid: 1 })}.${b64url(claims)}.AAAA`],
  ])('refuses %s as malformed', (_name, text) => {
    expect(() => decodeJwt(text)).toThrow(JwtMalformedError);
  });

  it('refuses non-canonical base64url, which Node alone would accept', () => {
    const [h, p, s] = token.split('.');
    // The last character of 86 carries 2 unused bits: setting one changes the text, not the bytes.
    const last = s[s.length - 1];
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const sibling = alphabet[alphabet.indexOf(last) ^ 1];
    const variant = `${h}.${p}.${s.slice(0, -1)}${sibling}`;
    expect(Buffer.from(variant.split('.')[2], 'base64url')).toEqual(Buffer.from(s, 'base64url'));
    expect(() => decodeJwt(variant)).toThrow(JwtMalformedError);
  });

  it('refuses oversized tokens unread', () => {
    expect(() => decodeJwt('a'.repeat(MAX_JWT_LENGTH + 1))).toThrow(/longer than/);
  });

  it('never quotes the token in its messages', () => {
    const [h, p] = token.split('.');
    let error: unknown;
    try {
      decodeJwt(`${h}.${p}.AAAA`);
    } catch (thrown) {
      error = thrown;
    }
    expect(error).toBeInstanceOf(JwtMalformedError);
    expect((error as Error).message).not.toContain(p);
  });

  it('signs and verifies with P-256 keys only', () => {
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const p384 = generateKeyPairSync('ec', { namedCurve: 'P-384' });
    expect(() => signJwt(claims, rsa.privateKey, '1')).toThrow(UnsupportedKeyError);
    expect(() => signJwt(claims, p384.privateKey, '1')).toThrow(UnsupportedKeyError);
    expect(() => signJwt(claims, key.publicKey, '1')).toThrow(UnsupportedKeyError);
    expect(() => verifyJwt(token, p384.publicKey)).toThrow(UnsupportedKeyError);
  });

  it('refuses to sign without a kid or with claims that are not an object', () => {
    expect(() => signJwt(claims, key.privateKey, '')).toThrow(JwtMalformedError);
    expect(() => signJwt([] as object, key.privateKey, '1')).toThrow(JwtMalformedError);
  });
});
