import { X509Certificate, type KeyObject } from 'node:crypto';
import { IssuedCertificateInvalidError } from '../pki.errors';
import { Oid } from './oids';
import { sameList } from '@meshtls/util';

/** The CA a certificate claims to come from. */
export interface IssuingCa {
  readonly certificate: X509Certificate;
  readonly publicKey: KeyObject;
}

export interface CheckIssuedInput {
  readonly certPem: string | Buffer;
  readonly ca: IssuingCa;
  /** The SAN URIs intended, in certificate order. */
  readonly expectedUris: readonly string[];
  readonly now: Date;
}

/**
 * Step 3 of issuance: check what was minted with a second implementation (OpenSSL's parser through
 * X509Certificate, not the encoder that wrote it) before it leaves: it parses, its signature verifies
 * with the CA key and it names the CA as issuer, its SAN URIs are exactly those intended, it is not a CA,
 * it serves both ends of mTLS, and it is valid now. Returns the parsed certificate; throws
 * IssuedCertificateInvalidError otherwise.
 */
export function checkIssued(input: CheckIssuedInput): X509Certificate {
  const cert = parse(input.certPem);
  const fail = (reason: string): never => {
    throw new IssuedCertificateInvalidError(`issued certificate ${cert.serialNumber} ${reason}`);
  };
  if (!cert.verify(input.ca.publicKey)) {
    fail('does not verify with the CA public key');
  }
  if (!cert.checkIssued(input.ca.certificate)) {
    fail(`does not name the CA as its issuer (issuer "${cert.issuer}")`);
  }
  const uris = sanUris(cert.subjectAltName);
  if (!sameList(uris, input.expectedUris)) {
    fail(`carries SAN URIs [${uris.join(', ')}] instead of [${input.expectedUris.join(', ')}]`);
  }
  if (cert.ca) {
    fail('is a CA certificate');
  }
  const usages = cert.keyUsage ?? []; // Node names extendedKeyUsage "keyUsage"
  if (!usages.includes(Oid.serverAuth) || !usages.includes(Oid.clientAuth)) {
    fail('lacks serverAuth or clientAuth extended key usage');
  }
  const now = input.now.getTime();
  if (Date.parse(cert.validFrom) > now || Date.parse(cert.validTo) <= now) {
    fail(`is not valid now (${cert.validFrom} to ${cert.validTo})`);
  }
  return cert;
}

function parse(certPem: string | Buffer): X509Certificate {
  try {
    return new X509Certificate(certPem);
  } catch (error) {
    throw new IssuedCertificateInvalidError('issued certificate does not parse', { cause: error });
  }
}

/**
 * URIs of X509Certificate.subjectAltName ("URI:a, DNS:b, ..."). Node writes an entry holding a comma or
 * a quote as a JSON string, so those are decoded rather than split.
 */
export function sanUris(subjectAltName: string | undefined): string[] {
  if (!subjectAltName) {
    return [];
  }
  const uris: string[] = [];
  const entry = /(URI|[A-Za-z ]+):("(?:[^"\\]|\\.)*"|[^,]*)(?:, |$)/g;
  for (const match of subjectAltName.matchAll(entry)) {
    if (match[1] === 'URI') {
      uris.push(match[2].startsWith('"') ? (JSON.parse(match[2]) as string) : match[2]);
    }
  }
  return uris;
}
