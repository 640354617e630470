import { CA_EXTENSIONS, OpensslWorkspace, type TestCa } from '@meshtls/testing';
import { ProvidedCaMessages as M } from './provided-ca.messages';
import { validateProvidedCa } from './provided-ca.validator';

const PREFIX = 'mtls.backends[1].conf';
const DAY_MS = 86_400_000;

describe('validateProvidedCa', () => {
  const ssl = new OpensslWorkspace();
  // openssl dates a CA from the second it makes it: validate a minute later
  let now: Date;
  const validate = (certPem: string, keyPem: string, at?: Date) =>
    validateProvidedCa({ certPem, keyPem, now: at ?? now, fieldPrefix: PREFIX });
  const withUsage = (name: string, keyUsage: string, basic = 'critical, CA:TRUE') =>
    ssl.makeCa(name, {
      keyType: 'ec',
      extensions: [`basicConstraints = ${basic}`, `keyUsage = ${keyUsage}`],
    });
  let rsaRoot: TestCa;
  let ecRoot: TestCa;
  let intermediate: TestCa;

  beforeAll(() => {
    rsaRoot = ssl.makeCa('rsa-root', { keyType: 'rsa' });
    ecRoot = ssl.makeCa('ec-root', { keyType: 'ec' });
    intermediate = ssl.makeCa('intermediate', { keyType: 'ec', issuer: rsaRoot });
    now = new Date(Date.now() + 60_000); // later than any CA a test makes
  });
  afterAll(() => ssl.close());

  it.each([
    ['RSA', () => rsaRoot],
    ['EC', () => ecRoot],
  ])('accepts a proper %s root CA with its PKCS#8 key, without warnings', (_kind, ca) => {
    expect(validate(ca().certPem, ca().keyPem)).toEqual({ violations: [], warnings: [] });
  });

  it.each([
    ['RSA (PKCS#1)', () => rsaRoot],
    ['EC (SEC1)', () => ecRoot],
  ])('accepts a %s key in the traditional PEM form', (_kind, ca) => {
    const key = ssl.traditionalKey(ca());
    expect(key).toMatch(/BEGIN (RSA|EC) PRIVATE KEY/);
    expect(validate(ca().certPem, key).violations).toEqual([]);
  });

  it('accepts an intermediate followed by its root, and refuses the wrong order on cert[0]', () => {
    const chain = intermediate.certPem + rsaRoot.certPem;
    expect(validate(chain, intermediate.keyPem)).toEqual({ violations: [], warnings: [] });
    const reversed = validate(rsaRoot.certPem + intermediate.certPem, intermediate.keyPem);
    // The key belongs to the second certificate: as Kuma, the key pair is refused before anything else.
    expect(reversed.violations).toEqual([{ field: `${PREFIX}.cert`, message: M.keyMismatch }]);
    const misordered = validate(rsaRoot.certPem + intermediate.certPem, rsaRoot.keyPem);
    expect(misordered.violations).toEqual([{ field: `${PREFIX}.cert[0]`, message: M.chainBroken(1) }]);
    expect(misordered.violations[0].message).toContain('not signed by the next certificate');
  });

  it('refuses a chain whose next certificate is not the issuer', () => {
    const report = validate(intermediate.certPem + ecRoot.certPem, intermediate.keyPem);
    expect(report.violations).toEqual([{ field: `${PREFIX}.cert[0]`, message: M.chainBroken(1) }]);
  });

  it('warns when the chain ends below a root', () => {
    const report = validate(intermediate.certPem, intermediate.keyPem);
    expect(report.violations).toEqual([]);
    expect(report.warnings).toEqual([expect.stringContaining(`${PREFIX}.cert[0]: the last certificate`)]);
  });

  it("refuses CA:FALSE with Kuma's message", () => {
    const ca = withUsage('not-ca', 'critical, keyCertSign', 'critical, CA:FALSE');
    expect(validate(ca.certPem, ca.keyPem).violations).toEqual([
      {
        field: `${PREFIX}.cert[0]`,
        message: "basic constraint 'CA' must be set to 'true' (see X509-SVID: 4.1. Basic Constraints)",
      },
    ]);
  });

  it('refuses a certificate without basicConstraints', () => {
    const ca = ssl.makeCa('no-basic', { keyType: 'ec', extensions: ['keyUsage = critical, keyCertSign'] });
    expect(validate(ca.certPem, ca.keyPem).violations).toEqual([
      { field: `${PREFIX}.cert[0]`, message: M.notCa },
    ]);
  });

  it("refuses a CA without keyCertSign with Kuma's message", () => {
    const ca = withUsage('no-cert-sign', 'critical, cRLSign');
    expect(validate(ca.certPem, ca.keyPem).violations).toEqual([
      {
        field: `${PREFIX}.cert[0]`,
        message: "key usage extension 'keyCertSign' must be set (see X509-SVID: 4.3. Key Usage)",
      },
    ]);
  });

  it("refuses keyAgreement with Kuma's message", () => {
    const ca = withUsage('key-agreement', 'critical, keyCertSign, keyAgreement');
    expect(validate(ca.certPem, ca.keyPem).violations).toEqual([
      {
        field: `${PREFIX}.cert[0]`,
        message:
          "key usage extension 'keyAgreement' must NOT be set (see X509-SVID: Appendix A. X.509 Field Reference)",
      },
    ]);
  });

  it('warns about digitalSignature and keyEncipherment on a CA', () => {
    const ca = ssl.makeCa('leafy-usage', {
      keyType: 'rsa',
      extensions: [
        'basicConstraints = critical, CA:TRUE',
        'keyUsage = critical, keyCertSign, digitalSignature, keyEncipherment',
      ],
    });
    const report = validate(ca.certPem, ca.keyPem);
    expect(report.violations).toEqual([]);
    expect(report.warnings).toHaveLength(2);
    expect(report.warnings[0]).toMatch(/^mtls\.backends\[1\]\.conf\.cert\[0\]: key usage 'digitalSignature'/);
    expect(report.warnings[1]).toContain("'keyEncipherment'");
  });

  it('reports every problem of every certificate, each on its index', () => {
    const bad = withUsage('bad-intermediate', 'critical, keyAgreement', 'critical, CA:FALSE');
    const report = validate(bad.certPem + ecRoot.certPem, bad.keyPem);
    expect(report.violations).toEqual([
      { field: `${PREFIX}.cert[0]`, message: M.notCa },
      { field: `${PREFIX}.cert[0]`, message: M.noKeyCertSign },
      { field: `${PREFIX}.cert[0]`, message: M.keyAgreement },
      { field: `${PREFIX}.cert[0]`, message: M.chainBroken(1) },
    ]);
  });

  it('refuses an expired CA and a CA not yet valid', () => {
    const later = validate(ecRoot.certPem, ecRoot.keyPem, new Date(now.getTime() + 400 * DAY_MS));
    expect(later.violations).toEqual([
      {
        field: `${PREFIX}.cert[0]`,
        message: expect.stringMatching(/^the CA certificate expired on 20\d\d-/),
      },
    ]);
    const earlier = validate(ecRoot.certPem, ecRoot.keyPem, new Date(now.getTime() - DAY_MS));
    expect(earlier.violations).toEqual([
      {
        field: `${PREFIX}.cert[0]`,
        message: expect.stringMatching(/^the CA certificate is not valid before 20\d\d-/),
      },
    ]);
  });

  it("refuses a key that does not match the first certificate with Kuma's message and field", () => {
    expect(validate(rsaRoot.certPem, ecRoot.keyPem).violations).toEqual([
      {
        field: `${PREFIX}.cert`,
        message: 'not a valid TLS key pair: tls: private key does not match public key',
      },
    ]);
    // the root's key does not sign for the intermediate that comes first
    expect(validate(intermediate.certPem + rsaRoot.certPem, rsaRoot.keyPem).violations).toEqual([
      { field: `${PREFIX}.cert`, message: M.keyMismatch },
    ]);
  });

  it('refuses a key that is not a private key, as Go refuses it', () => {
    expect(validate(ecRoot.certPem, ecRoot.certPem).violations).toEqual([
      { field: `${PREFIX}.cert`, message: M.certificateAsKey },
    ]);
    expect(validate(ecRoot.certPem, 'dGVzdA==').violations).toEqual([
      {
        field: `${PREFIX}.cert`,
        message: 'not a valid TLS key pair: tls: failed to find any PEM data in key input',
      },
    ]);
    const garbageKey = '-----BEGIN PRIVATE KEY-----\nbm90IGEga2V5\n-----END PRIVATE KEY-----\n';
    expect(validate(ecRoot.certPem, garbageKey).violations).toEqual([
      { field: `${PREFIX}.cert`, message: M.keyUnreadable },
    ]);
  });

  it('refuses what is not an x509 certificate, on the index of the bad block', () => {
    const garbage = '-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydGlmaWNhdGU=\n-----END CERTIFICATE-----\n';
    expect(validate(ecRoot.certPem + garbage, ecRoot.keyPem).violations).toEqual([
      { field: `${PREFIX}.cert[1]`, message: 'not a valid x509 certificate' },
    ]);
    expect(validate('hello', ecRoot.keyPem).violations).toEqual([
      {
        field: `${PREFIX}.cert`,
        message: 'not a valid TLS key pair: tls: failed to find any PEM data in certificate input',
      },
    ]);
  });

  it('uses bare field names when there is no prefix', () => {
    const report = validateProvidedCa({ certPem: 'x', keyPem: 'y', now, fieldPrefix: '' });
    expect(report.violations.map((v) => v.field)).toEqual(['cert']);
  });

  it('keeps openssl-made test CAs honest: the fixture CA has the extensions it was given', () => {
    expect(CA_EXTENSIONS).toContain('keyUsage = critical, keyCertSign, cRLSign');
    expect(ssl.text(rsaRoot.certPem)).toMatch(/Key Usage: critical\s+Certificate Sign, CRL Sign/);
  });
});
