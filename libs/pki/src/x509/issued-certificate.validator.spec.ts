import { generateKeyPairSync, X509Certificate } from 'node:crypto';
import { IssuedCertificateInvalidError } from '../pki.errors';
import { selfSignedCaCertificate } from '../ca/self-signed-ca';
import { SigningCa } from '../ca/signing-ca';
import { PemLabel, singlePemDer } from './pem';
import { checkIssued, sanUris } from './issued-certificate.validator';
import { checkAnswered, checkMinted } from './minted-certificate.validator';
import { readCertificateFields } from './certificate-fields.reader';

const DAY_MS = 86_400_000;
const URIS = ['spiffe://m/web', 'kuma://team/a'];

function makeCa(name: string): SigningCa {
  const pair = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const certPem = selfSignedCaCertificate({
    ...pair,
    subject: { commonName: name },
    uris: ['spiffe://m'],
    validityMs: 365 * DAY_MS,
    now: new Date(),
  });
  return SigningCa.load({
    certChainPem: certPem,
    keyPem: pair.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string,
  });
}

describe('checks of what was minted', () => {
  const ca = makeCa('ca');
  const other = makeCa('other');
  const now = new Date();
  const minted = ca.mintUnchecked({
    publicKey: generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey,
    uris: URIS,
    validityMs: DAY_MS,
    now,
  });
  const certPem = ca.issue({
    publicKey: generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey,
    uris: URIS,
    validityMs: DAY_MS,
    now,
  }).certPem;
  const caNameDer = readCertificateFields(ca.certificate.raw).subjectNameDer;
  const fast = (overrides: Partial<Parameters<typeof checkMinted>[0]>) => () =>
    checkMinted({
      certDer: minted.certDer,
      caPublicKey: ca.publicKey,
      caNameDer,
      hash: 'sha256',
      expectedUris: URIS,
      now,
      ...overrides,
    });
  const full = (overrides: Partial<Parameters<typeof checkIssued>[0]>) => () =>
    checkIssued({ certPem, ca, expectedUris: URIS, now, ...overrides });

  it('accepts a certificate as intended, both ways', () => {
    expect(fast({})).not.toThrow();
    expect(full({})).not.toThrow();
    expect(full({}).call(undefined)).toBeInstanceOf(X509Certificate);
  });

  it.each([
    ['another CA', { ca: other }, /does not verify with the CA public key/],
    [
      'other names',
      { expectedUris: ['spiffe://m/web'] },
      /carries SAN URIs \[spiffe:\/\/m\/web, kuma:\/\/team\/a\] instead of/,
    ],
    ['the names in another order', { expectedUris: [...URIS].reverse() }, /carries SAN URIs/],
    ['a time after its validity', { now: new Date(now.getTime() + 2 * DAY_MS) }, /is not valid now/],
    ['a time before its validity', { now: new Date(now.getTime() - 60_000) }, /is not valid now/],
  ])('checkIssued refuses %s', (_what, overrides, message) => {
    expect(full(overrides)).toThrow(IssuedCertificateInvalidError);
    expect(full(overrides)).toThrow(message);
  });

  it('checkIssued refuses a CA certificate and what does not parse', () => {
    const selfSigned = { certificate: ca.certificate, publicKey: ca.publicKey };
    expect(full({ certPem: ca.certPem, ca: selfSigned, expectedUris: ['spiffe://m'] })).toThrow(
      'is a CA certificate',
    );
    expect(full({ certPem: 'nothing' })).toThrow('issued certificate does not parse');
  });

  it.each([
    ['another CA key', { caPublicKey: other.publicKey }, /does not verify/],
    [
      'another issuer name',
      { caNameDer: readCertificateFields(other.certificate.raw).subjectNameDer },
      /does not name the CA/,
    ],
    ['other names', { expectedUris: ['spiffe://m/other', 'kuma://team/a'] }, /carries SAN URIs/],
    ['a time after its validity', { now: new Date(now.getTime() + 2 * DAY_MS) }, /is not valid now/],
    [
      'a CA certificate',
      { certDer: singlePemDer(ca.certPem, PemLabel.Certificate), caNameDer, expectedUris: ['spiffe://m'] },
      /CA:FALSE/,
    ],
    ['a flipped signature bit', { certDer: flipLastByte(minted.certDer) }, /does not verify/],
    ['bytes that are not DER', { certDer: Buffer.from('not der at all') }, /does not parse/],
  ])('checkMinted refuses %s', (_what, overrides, message) => {
    expect(fast(overrides)).toThrow(IssuedCertificateInvalidError);
    expect(fast(overrides)).toThrow(message);
  });
});

function flipLastByte(der: Buffer): Buffer {
  const copy = Buffer.from(der);
  copy[copy.length - 1] ^= 0x01;
  return copy;
}

describe('sanUris', () => {
  it('reads URIs among other names, including the JSON-quoted form Node uses for commas', () => {
    expect(sanUris('URI:spiffe://a/b, DNS:x.local, URI:"kuma://t/a,b", IP Address:10.0.0.1')).toEqual([
      'spiffe://a/b',
      'kuma://t/a,b',
    ]);
    expect(sanUris(undefined)).toEqual([]);
  });
});

describe('checkAnswered: a certificate from elsewhere, read by the project reader', () => {
  const ca = makeCa('ca');
  const caCert = new X509Certificate(ca.trustAnchorPem);
  const caInput = {
    caPublicKey: caCert.publicKey,
    caNameDer: readCertificateFields(caCert.raw).subjectNameDer,
    expectedUris: URIS,
    now: new Date(),
  };
  const leafKey = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const issued = ca.issue({ publicKey: leafKey.publicKey, uris: URIS, validityMs: DAY_MS, now: new Date() });

  it('returns the fields of a genuine certificate, its key and serial among them', () => {
    const fields = checkAnswered({ ...caInput, certPem: issued.certPem });
    const x509 = new X509Certificate(issued.certPem);
    expect(fields.spkiDer.equals(leafKey.publicKey.export({ type: 'spki', format: 'der' }))).toBe(true);
    expect(BigInt(`0x${fields.serialHex}`)).toBe(BigInt(`0x${x509.serialNumber}`));
    expect(fields.notAfter.getTime()).toBe(Date.parse(x509.validTo));
  });

  it('refuses garbage, another CA’s certificate and other names with a coded error', () => {
    const other = makeCa('other').issue({
      publicKey: leafKey.publicKey,
      uris: URIS,
      validityMs: DAY_MS,
      now: new Date(),
    });
    expect(() => checkAnswered({ ...caInput, certPem: 'not a certificate' })).toThrow(
      IssuedCertificateInvalidError,
    );
    expect(() => checkAnswered({ ...caInput, certPem: other.certPem })).toThrow(
      /does not verify with the CA public key/,
    );
    expect(() =>
      checkAnswered({ ...caInput, certPem: issued.certPem, expectedUris: ['spiffe://m/db'] }),
    ).toThrow(/carries SAN URIs/);
  });
});
