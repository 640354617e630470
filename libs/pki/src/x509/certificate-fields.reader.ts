import { createHash } from 'node:crypto';
import { DerTag } from '../der/der.writer';
import { derBytes, derChildren, derContents, derOidText, readDer, type DerElement } from '../der/der.reader';
import { Oid } from './oids';

/** Key usage bits a CA check looks at (RFC 5280 4.2.1.3). */
export interface KeyUsageFlags {
  readonly digitalSignature: boolean;
  readonly keyEncipherment: boolean;
  readonly keyAgreement: boolean;
  readonly keyCertSign: boolean;
  readonly cRLSign: boolean;
}

/**
 * Fields of a certificate Node's X509Certificate does not expose (raw subject name, key usage bits,
 * basic constraints as written, key identifier), read from the DER by offsets: RSA and EC alike.
 */
export interface CertificateFields {
  /** The issuer Name exactly as encoded. */
  readonly issuerNameDer: Buffer;
  readonly notBefore: Date;
  readonly notAfter: Date;
  /** URIs of subjectAltName, in order. */
  readonly sanUris: readonly string[];
  /** The subject Name exactly as encoded: the issuer name of what this certificate signs. */
  readonly subjectNameDer: Buffer;
  /** `true`/`false` as written in basicConstraints; undefined when the extension is absent. */
  readonly basicConstraintsCa: boolean | undefined;
  /** undefined when the keyUsage extension is absent. */
  readonly keyUsage: KeyUsageFlags | undefined;
  /** The subjectKeyIdentifier, or the RFC 5280 method-1 key id (SHA-1 of the key bits) when absent. */
  readonly subjectKeyId: Buffer;
  /** The SubjectPublicKeyInfo exactly as encoded. */
  readonly spkiDer: Buffer;
  /** The serial number's content octets, as hex (a leading 00 kept when the encoding has one). */
  readonly serialHex: string;
}

/** Reads the fields; throws DerFormatError (or a TypeError on a missing part) when the DER is malformed. */
export function readCertificateFields(certDer: Buffer): CertificateFields {
  const [tbs] = derChildren(certDer, readDer(certDer));
  const parts = derChildren(certDer, tbs);
  const first = parts[0].tag === 0xa0 ? 1 : 0; // version is optional (v1 certificates)
  const [notBefore, notAfter] = derChildren(certDer, parts[first + 3]);
  const subject = parts[first + 4];
  const spki = parts[first + 5];
  const extensions = parts.find((p) => p.tag === 0xa3);
  const found = extensions ? readExtensions(certDer, extensions) : new Map<string, Buffer>();
  const ski = found.get(Oid.subjectKeyIdentifier);
  return {
    issuerNameDer: derBytes(certDer, parts[first + 2]),
    notBefore: decodeTime(certDer, notBefore),
    notAfter: decodeTime(certDer, notAfter),
    sanUris: decodeSanUris(found.get(Oid.subjectAltName)),
    subjectNameDer: derBytes(certDer, subject),
    basicConstraintsCa: decodeBasicConstraints(found.get(Oid.basicConstraints)),
    keyUsage: decodeKeyUsage(found.get(Oid.keyUsage)),
    subjectKeyId: ski ? derContents(ski, readDer(ski)) : keyIdOfSpki(derBytes(certDer, spki)),
    spkiDer: derBytes(certDer, spki),
    serialHex: derContents(certDer, parts[first]).toString('hex'),
  };
}

/** RFC 5280 4.2.1.2 method 1: SHA-1 of the subjectPublicKey BIT STRING value. */
export function keyIdOfSpki(spkiDer: Buffer): Buffer {
  const [, bits] = derChildren(spkiDer, readDer(spkiDer));
  return createHash('sha1').update(derContents(spkiDer, bits).subarray(1)).digest();
}

/** extnID → extnValue contents (the DER of the extension's value). */
function readExtensions(der: Buffer, wrapper: DerElement): Map<string, Buffer> {
  const found = new Map<string, Buffer>();
  const [list] = derChildren(der, wrapper);
  for (const ext of derChildren(der, list)) {
    const fields = derChildren(der, ext);
    const value = fields[fields.length - 1];
    found.set(derOidText(der, fields[0]), derContents(der, value));
  }
  return found;
}

function decodeBasicConstraints(value: Buffer | undefined): boolean | undefined {
  if (value === undefined) {
    return undefined;
  }
  const [first] = derChildren(value, readDer(value));
  return first !== undefined && first.tag === DerTag.Boolean && value[first.contentStart] !== 0;
}

function decodeKeyUsage(value: Buffer | undefined): KeyUsageFlags | undefined {
  if (value === undefined) {
    return undefined;
  }
  const bits = derContents(value, readDer(value));
  const b0 = bits.length > 1 ? bits[1] : 0;
  return {
    digitalSignature: (b0 & 0x80) !== 0,
    keyEncipherment: (b0 & 0x20) !== 0,
    keyAgreement: (b0 & 0x08) !== 0,
    keyCertSign: (b0 & 0x04) !== 0,
    cRLSign: (b0 & 0x02) !== 0,
  };
}

/** UTCTime (YYMMDDHHMMSSZ, years 1950-2049) or GeneralizedTime (YYYYMMDDHHMMSSZ). */
function decodeTime(der: Buffer, el: DerElement): Date {
  const text = derContents(der, el).toString('ascii');
  const full = el.tag === DerTag.UtcTime ? `${Number(text.slice(0, 2)) < 50 ? '20' : '19'}${text}` : text;
  const n = (from: number, to: number) => Number(full.slice(from, to));
  return new Date(Date.UTC(n(0, 4), n(4, 6) - 1, n(6, 8), n(8, 10), n(10, 12), n(12, 14)));
}

/** `[6] uniformResourceIdentifier` entries of a GeneralNames SEQUENCE. */
function decodeSanUris(value: Buffer | undefined): string[] {
  if (value === undefined) {
    return [];
  }
  return derChildren(value, readDer(value))
    .filter((name) => name.tag === 0x86)
    .map((name) => derContents(value, name).toString('ascii'));
}
