import { createPrivateKey, generateKeyPairSync, X509Certificate } from 'node:crypto';
import { FakeClock } from '@meshtls/util';
import { OpensslWorkspace } from '@meshtls/testing';
import { createBuiltinCa } from './builtin-ca.factory';
import { validateProvidedCa } from './provided-ca.validator';
import { selfSignedCaCertificate } from './self-signed-ca';
import { SigningCa } from './signing-ca';

const YEAR_MS = 365 * 86_400_000;

describe('createBuiltinCa', () => {
  const ssl = new OpensslWorkspace();
  const clock = new FakeClock(new Date());
  afterAll(() => ssl.close());

  it('creates a self-signed RSA root for the mesh, with the CA profile openssl reads', async () => {
    const ca = await createBuiltinCa({
      mesh: 'demo',
      backend: 'ca-1',
      rsaBits: 2048,
      validityMs: 10 * YEAR_MS,
      now: clock.now(),
    });
    const text = ssl.text(ca.certPem);
    expect(text).toContain('Subject: O = meshtls, OU = backend ca-1, CN = demo');
    expect(text).toContain('Issuer: O = meshtls, OU = backend ca-1, CN = demo');
    expect(text).toContain('Public-Key: (2048 bit)');
    expect(text).toContain('Signature Algorithm: sha256WithRSAEncryption');
    expect(text).toMatch(/Basic Constraints: critical\s+CA:TRUE/);
    expect(text).toMatch(/Key Usage: critical\s+Certificate Sign, CRL Sign\n/);
    expect(text).toMatch(/Subject Alternative Name:\s+URI:spiffe:\/\/demo\n/);
    expect(text).toMatch(/Subject Key Identifier:/);
    const caFile = ssl.write('builtin.pem', ca.certPem);
    expect(ssl.tryRun('verify', '-CAfile', caFile, caFile).ok).toBe(true);

    const cert = new X509Certificate(ca.certPem);
    expect(cert.ca).toBe(true);
    expect(cert.verify(cert.publicKey)).toBe(true);
    expect(cert.checkPrivateKey(createPrivateKey(ca.keyPem))).toBe(true);
    expect(ca.keyPem).toMatch(/^-----BEGIN PRIVATE KEY-----\n/); // PKCS#8
    const now = clock.now().getTime();
    expect(now - Date.parse(cert.validFrom)).toBeGreaterThanOrEqual(60_000);
    expect(Date.parse(cert.validTo)).toBe(Math.floor((now + 10 * YEAR_MS) / 1000) * 1000);
    expect(cert.serialNumber).toMatch(/^[0-9A-F]{1,32}$/);
    // what the control plane creates passes what it demands of users' CAs
    expect(
      validateProvidedCa({ certPem: ca.certPem, keyPem: ca.keyPem, now: clock.now(), fieldPrefix: '' }),
    ).toEqual({
      violations: [],
      warnings: [],
    });
    expect(() => SigningCa.load({ certChainPem: ca.certPem, keyPem: ca.keyPem })).not.toThrow();
  });

  it('honours RSAbits and makes a new key every time', async () => {
    const input = { mesh: 'demo', backend: 'big', rsaBits: 3072, validityMs: YEAR_MS, now: clock.now() };
    const [a, b] = await Promise.all([createBuiltinCa(input), createBuiltinCa(input)]);
    expect(ssl.text(a.certPem)).toContain('Public-Key: (3072 bit)');
    expect(a.keyPem).not.toBe(b.keyPem);
    expect(new X509Certificate(a.certPem).serialNumber).not.toBe(new X509Certificate(b.certPem).serialNumber);
  });

  it('writes GeneralizedTime past 2049 and UTCTime before, as RFC 5280 asks', () => {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const certPem = selfSignedCaCertificate({
      privateKey,
      publicKey,
      subject: { commonName: 'long_lived' },
      uris: ['spiffe://x'],
      validityMs: 40 * YEAR_MS,
      now: new Date('2026-01-01T00:00:00Z'),
    });
    const cert = new X509Certificate(certPem);
    expect(new Date(cert.validFrom).toISOString()).toBe('2025-12-31T23:59:00.000Z');
    expect(new Date(cert.validTo).getUTCFullYear()).toBe(2065);
    expect(ssl.run('asn1parse', '-in', ssl.write('long.pem', certPem))).toMatch(
      /UTCTIME[\s\S]*GENERALIZEDTIME/,
    );
    expect(ssl.text(certPem)).toContain('CN = long_lived'); // UTF8String: `_` is no PrintableString character
  });
});
