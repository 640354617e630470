import { generateKeyPairSync } from 'node:crypto';
import { CsrInvalidError } from '../pki.errors';
import { OpensslWorkspace } from '@meshtls/testing';
import { derBytes, derChildren, readDer } from '../der/der.reader';
import { derSequence } from '../der/der.writer';
import { toPem } from '../x509/pem';
import { createCsr } from './csr.builder';
import { verifyCsr } from './csr.verifier';

describe('verifyCsr', () => {
  const ssl = new OpensslWorkspace();
  afterAll(() => ssl.close());

  const keys = {
    'EC P-256': () => generateKeyPairSync('ec', { namedCurve: 'P-256' }),
    'EC P-384': () => generateKeyPairSync('ec', { namedCurve: 'P-384' }),
    'RSA-2048': () => generateKeyPairSync('rsa', { modulusLength: 2048 }),
  };

  it.each(Object.entries(keys))(
    'returns the key of a %s CSR made here, which openssl also verifies',
    (_kind, make) => {
      const pair = make();
      const csr = createCsr({ ...pair, subject: { commonName: 'asks for anything' } });
      expect(verifyCsr(csr).equals(pair.publicKey)).toBe(true);
      expect(ssl.run('req', '-verify', '-noout', '-in', ssl.write('ours.csr', csr))).toBe('');
    },
  );

  it.each(['ec', 'rsa'] as const)(
    'verifies a %s CSR made by openssl, ignoring the names it asks for',
    (kind) => {
      const config = ssl.write('csr.cnf', '[req]\ndistinguished_name=dn\nprompt=no\n[dn]\nCN=admin\n');
      const csr = ssl.request(
        kind,
        kind,
        config,
        `${kind}.csr`,
        '-addext',
        'subjectAltName=URI:spiffe://default/admin',
      );
      const key = verifyCsr(csr);
      expect(key.asymmetricKeyType).toBe(kind);
      expect(key.type).toBe('public');
    },
  );

  it('refuses a CSR whose signature does not match its content', () => {
    const derOf = (pem: string) => Buffer.from(pem.replace(/-----[A-Z ]+-----|\s/g, ''), 'base64');
    const ours = derOf(createCsr(generateKeyPairSync('ec', { namedCurve: 'P-256' })));
    const other = derOf(createCsr(generateKeyPairSync('ec', { namedCurve: 'P-256' })));
    const [info] = derChildren(ours, readDer(ours));
    const [, algorithm, signature] = derChildren(other, readDer(other));
    // our certificationRequestInfo with the other key's (well-formed) signature
    const tampered = derSequence(
      derBytes(ours, info),
      derBytes(other, algorithm),
      derBytes(other, signature),
    );
    expect(() => verifyCsr(toPem(tampered, 'CERTIFICATE REQUEST'))).toThrow(
      'the CSR signature does not verify with its public key',
    );
  });

  it('refuses a CSR whose content was changed after signing', () => {
    const csr = createCsr(generateKeyPairSync('rsa', { modulusLength: 2048 }));
    const der = Buffer.from(csr.replace(/-----[A-Z ]+-----|\s/g, ''), 'base64');
    der[40] ^= 0x01; // inside the RSA modulus
    const pem = `-----BEGIN CERTIFICATE REQUEST-----\n${der.toString('base64')}\n-----END CERTIFICATE REQUEST-----\n`;
    expect(() => verifyCsr(pem)).toThrow(expect.objectContaining({ code: 'csr.invalid' }));
  });

  it.each([
    ['no PEM', 'hello'],
    ['a certificate', '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n'],
    ['bad DER', '-----BEGIN CERTIFICATE REQUEST-----\nMAMCAQA=\n-----END CERTIFICATE REQUEST-----\n'],
  ])('refuses %s with a coded error', (_what, pem) => {
    expect(() => verifyCsr(pem)).toThrow(CsrInvalidError);
  });

  it('refuses keys other than RSA and EC', () => {
    const csr = ssl.run('req', '-new', '-newkey', 'ed25519', '-nodes', '-keyout', 'ed.key', '-subj', '/CN=x');
    expect(() => verifyCsr(csr)).toThrow(CsrInvalidError);
  });
});
