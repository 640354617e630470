import { createPrivateKey, generateKeyPairSync, X509Certificate, type KeyObject } from 'node:crypto';
import { FakeClock } from '@meshtls/util';
import { CaValidationError, UnsupportedKeyError } from '../pki.errors';
import { OpensslWorkspace, type TestCa } from '@meshtls/testing';
import { checkIssued } from '../x509/issued-certificate.validator';
import { IssuedCheck, SigningCa } from './signing-ca';

const DAY_MS = 86_400_000;
const URIS = ['spiffe://default/web', 'spiffe://default/web-admin', 'kuma://version/v1'];
const ecKey = () => generateKeyPairSync('ec', { namedCurve: 'P-256' });

describe('SigningCa', () => {
  const ssl = new OpensslWorkspace();
  const clock = new FakeClock(new Date());
  let rsaRoot: TestCa;
  let ecRoot: TestCa;
  let intermediate: TestCa;
  let rsaLeaf: { publicKey: KeyObject; privateKey: KeyObject };

  beforeAll(() => {
    rsaRoot = ssl.makeCa('rsa-root', { keyType: 'rsa' });
    ecRoot = ssl.makeCa('ec-root', { keyType: 'ec' });
    intermediate = ssl.makeCa('intermediate', { keyType: 'ec', issuer: rsaRoot });
    rsaLeaf = generateKeyPairSync('rsa', { modulusLength: 2048 });
  });
  afterAll(() => ssl.close());

  const load = (ca: TestCa, check?: IssuedCheck) =>
    SigningCa.load({ certChainPem: ca.certPem, keyPem: ca.keyPem, check });
  const issue = (ca: SigningCa, publicKey: KeyObject, validityMs = 30 * DAY_MS) =>
    ca.issue({ publicKey, uris: URIS, validityMs, now: clock.now() });

  describe.each([
    ['RSA-2048 CA', 'sha256WithRSAEncryption', () => rsaRoot],
    ['EC P-256 CA', 'ecdsa-with-SHA256', () => ecRoot],
  ])('with an %s', (_name, algorithm, root) => {
    it.each([
      ['EC P-256', () => ecKey().publicKey, 'Digital Signature'],
      ['RSA-2048', () => rsaLeaf.publicKey, 'Digital Signature, Key Encipherment'],
    ])('issues the dataplane profile for a %s key, as openssl reads it', (_kind, key, usage) => {
      const issued = issue(load(root()), key());
      const text = ssl.text(issued.certPem);
      expect(text).toContain(`Signature Algorithm: ${algorithm}`);
      expect(text).toMatch(
        /Subject Alternative Name: critical\s+URI:spiffe:\/\/default\/web, URI:spiffe:\/\/default\/web-admin, URI:kuma:\/\/version\/v1/,
      );
      expect(text).toMatch(/Basic Constraints: critical\s+CA:FALSE/);
      expect(text).toMatch(new RegExp(`Key Usage: critical\\s+${usage}\\n`));
      expect(text).toMatch(
        /Extended Key Usage:\s+TLS Web Server Authentication, TLS Web Client Authentication/,
      );
      const caSki = /Subject Key Identifier:\s+([0-9A-F:]+)/.exec(ssl.text(root().certPem))?.[1];
      expect(text).toMatch(new RegExp(`Authority Key Identifier:\\s+(keyid:)?${caSki}`));
      expect(
        ssl.tryRun(
          'verify',
          '-CAfile',
          ssl.write('root.pem', root().certPem),
          ssl.write('leaf.pem', issued.certPem),
        ),
      ).toEqual({
        ok: true,
        output: 'leaf.pem: OK\n',
      });
    });

    it('issues what X509Certificate reads back: signature, names, serial, validity, no chain for a root', () => {
      const key = ecKey().publicKey;
      const issued = issue(load(root()), key, 7 * DAY_MS);
      const cert = new X509Certificate(issued.certPem);
      expect(cert.verify(new X509Certificate(root().certPem).publicKey)).toBe(true);
      expect(cert.subjectAltName).toBe(
        'URI:spiffe://default/web, URI:spiffe://default/web-admin, URI:kuma://version/v1',
      );
      expect(cert.ca).toBe(false);
      expect(cert.publicKey.export({ type: 'spki', format: 'der' })).toEqual(
        key.export({ type: 'spki', format: 'der' }),
      );
      expect(cert.serialNumber).toBe(issued.serial);
      expect(issued.serial).toMatch(/^[0-9A-F]{1,32}$/);
      const now = clock.now().getTime();
      expect(new Date(cert.validFrom)).toEqual(issued.notBefore);
      expect(new Date(cert.validTo)).toEqual(issued.notAfter);
      expect(now - issued.notBefore.getTime()).toBeGreaterThanOrEqual(5_000);
      expect(now - issued.notBefore.getTime()).toBeLessThan(6_000);
      expect(issued.notAfter.getTime()).toBe(Math.floor((now + 7 * DAY_MS) / 1000) * 1000);
      expect(issued.chainPem).toBe('');
    });
  });

  it('gives every certificate a fresh random serial', () => {
    const ca = load(ecRoot);
    const serials = new Set(Array.from({ length: 50 }, () => issue(ca, ecKey().publicKey).serial));
    expect(serials.size).toBe(50);
  });

  it('attaches the intermediate as chain; the leaf verifies with openssl against the root only', () => {
    const ca = SigningCa.load({
      certChainPem: intermediate.certPem + rsaRoot.certPem,
      keyPem: intermediate.keyPem,
    });
    const issued = issue(ca, ecKey().publicKey);
    expect(new X509Certificate(issued.chainPem).toString()).toBe(
      new X509Certificate(intermediate.certPem).toString(),
    );
    expect(ca.trustAnchorPem).toBe(new X509Certificate(rsaRoot.certPem).toString());
    const args = [
      '-CAfile',
      ssl.write('root.pem', rsaRoot.certPem),
      '-untrusted',
      ssl.write('chain.pem', issued.chainPem),
    ];
    expect(ssl.tryRun('verify', ...args, ssl.write('leaf.pem', issued.certPem)).ok).toBe(true);
    // without the chain the leaf does not verify: the chain is what links it to the root
    expect(ssl.tryRun('verify', '-CAfile', 'root.pem', 'leaf.pem').ok).toBe(false);
    expect(ssl.text(issued.certPem)).toContain('Signature Algorithm: ecdsa-with-SHA256');
  });

  it('never issues past the CA expiry', () => {
    const ca = load(ecRoot);
    const caNotAfter = new Date(new X509Certificate(ecRoot.certPem).validTo);
    const issued = issue(ca, ecKey().publicKey, 1000 * DAY_MS);
    expect(issued.notAfter).toEqual(caNotAfter);
  });

  it.each([IssuedCheck.Native, IssuedCheck.X509])(
    'checks with the %s check and passes checkIssued',
    (check) => {
      const ca = load(rsaRoot, check);
      const issued = issue(ca, ecKey().publicKey);
      expect(() =>
        checkIssued({ certPem: issued.certPem, ca, expectedUris: URIS, now: clock.now() }),
      ).not.toThrow();
    },
  );

  it('refuses to issue once the CA has expired: the minted certificate fails its own check', () => {
    const ca = load(ecRoot);
    expect(() =>
      ca.issue({
        publicKey: ecKey().publicKey,
        uris: URIS,
        validityMs: DAY_MS,
        now: new Date(Date.now() + 400 * DAY_MS),
      }),
    ).toThrow(expect.objectContaining({ code: 'certificate.invalid' }));
  });

  it.each([
    ['RSA-2048 CA', () => rsaRoot],
    ['EC P-256 CA', () => ecRoot],
  ])('issues the same profile off the event loop (issueAsync) with an %s', async (_name, root) => {
    const ca = load(root());
    const issued = await ca.issueAsync({
      publicKey: ecKey().publicKey,
      uris: URIS,
      validityMs: DAY_MS,
      now: clock.now(),
    });
    const cert = new X509Certificate(issued.certPem);
    expect(cert.verify(ca.publicKey)).toBe(true);
    expect(cert.subjectAltName).toBe(URIS.map((u) => `URI:${u}`).join(', '));
    expect(cert.serialNumber).toBe(issued.serial);
    expect(() =>
      checkIssued({ certPem: issued.certPem, ca, expectedUris: URIS, now: clock.now() }),
    ).not.toThrow();
  });

  it('refuses, off the event loop too, to issue once the CA has expired', async () => {
    const ca = load(rsaRoot);
    await expect(
      ca.issueAsync({
        publicKey: ecKey().publicKey,
        uris: URIS,
        validityMs: DAY_MS,
        now: new Date(Date.now() + 400 * DAY_MS),
      }),
    ).rejects.toMatchObject({ code: 'certificate.invalid' });
  });

  it('accepts a private KeyObject and certifies its public half', () => {
    const { privateKey, publicKey } = ecKey();
    const cert = new X509Certificate(issue(load(ecRoot), privateKey).certPem);
    expect(cert.checkPrivateKey(privateKey)).toBe(true);
    expect(cert.publicKey.equals(publicKey)).toBe(true);
  });

  it('refuses leaf keys other than RSA and EC', () => {
    const { publicKey } = generateKeyPairSync('ed25519');
    expect(() => issue(load(ecRoot), publicKey)).toThrow(UnsupportedKeyError);
  });

  it('loads PKCS#1 and SEC1 keys', () => {
    for (const ca of [rsaRoot, ecRoot]) {
      const loaded = SigningCa.load({ certChainPem: ca.certPem, keyPem: ssl.traditionalKey(ca) });
      expect(loaded.keyKind).toBe(createPrivateKey(ca.keyPem).asymmetricKeyType);
    }
  });

  it.each([
    [
      'a key of another CA',
      () => ({ certChainPem: ecRoot.certPem, keyPem: rsaRoot.keyPem }),
      'not a valid TLS key pair: tls: private key does not match public key',
    ],
    [
      'no certificate',
      () => ({ certChainPem: 'nothing', keyPem: ecRoot.keyPem }),
      'not a valid TLS key pair: tls: failed to find any PEM data in certificate input',
    ],
    [
      'a key that is not a key',
      () => ({ certChainPem: ecRoot.certPem, keyPem: ecRoot.certPem }),
      'not a valid TLS key pair: tls: failed to parse private key',
    ],
  ])("refuses to load %s with a coded error, worded as Kuma's on cert", (_what, input, message) => {
    let error: unknown;
    try {
      SigningCa.load(input());
    } catch (thrown) {
      error = thrown;
    }
    expect(error).toBeInstanceOf(CaValidationError);
    expect((error as CaValidationError).code).toBe('ca.invalid');
    expect((error as CaValidationError).violations).toEqual([{ field: 'cert', message }]);
  });
});
