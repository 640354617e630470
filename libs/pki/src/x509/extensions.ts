import {
  derBoolean,
  derImplicitPrimitive,
  derOctetString,
  derOid,
  derSequence,
  derTlv,
  DerTag,
} from '../der/der.writer';
import { Oid } from './oids';

/** Encoders of the X.509 v3 extensions of the profile; each returns one `Extension` SEQUENCE. */

/** Key usage bits by name, in RFC 5280 bit order. */
export const KeyUsageBit = {
  digitalSignature: 0,
  keyEncipherment: 2,
  keyAgreement: 4,
  keyCertSign: 5,
  cRLSign: 6,
} as const;
export type KeyUsageName = keyof typeof KeyUsageBit;

const CRITICAL = derBoolean(true);
/** OIDs encoded once: SAN and SKI are written for every certificate. */
const oidDerCache = new Map<string, Buffer>();

export function extension(oid: string, critical: boolean, valueDer: Buffer): Buffer {
  let id = oidDerCache.get(oid);
  if (id === undefined) {
    id = derOid(oid);
    oidDerCache.set(oid, id);
  }
  return critical
    ? derSequence(id, CRITICAL, derOctetString(valueDer))
    : derSequence(id, derOctetString(valueDer));
}

/** basicConstraints, critical. CA:FALSE is the DEFAULT, so DER writes an empty SEQUENCE for it. */
export function basicConstraintsExtension(ca: boolean): Buffer {
  return extension(Oid.basicConstraints, true, ca ? derSequence(derBoolean(true)) : derSequence());
}

/** keyUsage, critical, as a DER named BIT STRING (trailing zero bits dropped). */
export function keyUsageExtension(usages: readonly KeyUsageName[]): Buffer {
  let byte = 0;
  for (const usage of usages) {
    byte |= 0x80 >> KeyUsageBit[usage];
  }
  let unused = 0;
  while (unused < 7 && (byte & (1 << unused)) === 0) {
    unused++;
  }
  return extension(Oid.keyUsage, true, derTlv(DerTag.BitString, Buffer.from([unused, byte])));
}

/** extendedKeyUsage serverAuth + clientAuth: every dataplane is both a TLS server and a TLS client. */
export function mtlsExtendedKeyUsageExtension(): Buffer {
  return extension(Oid.extKeyUsage, false, derSequence(derOid(Oid.serverAuth), derOid(Oid.clientAuth)));
}

/**
 * subjectAltName with URIs (GeneralName `[6] uniformResourceIdentifier`). Critical when the subject is
 * empty (RFC 5280 4.2.1.6), which is the case for dataplane certificates.
 */
export function uriSubjectAltNameExtension(uris: readonly string[], critical: boolean): Buffer {
  const names = uris.map((uri) => derImplicitPrimitive(6, Buffer.from(uri, 'ascii')));
  return extension(Oid.subjectAltName, critical, derSequence(...names));
}

export function subjectKeyIdentifierExtension(keyId: Buffer): Buffer {
  return extension(Oid.subjectKeyIdentifier, false, derOctetString(keyId));
}

/** authorityKeyIdentifier `[0] keyIdentifier`: the ISSUER's subject key id, so chain building finds it. */
export function authorityKeyIdentifierExtension(issuerKeyId: Buffer): Buffer {
  return extension(Oid.authorityKeyIdentifier, false, derSequence(derImplicitPrimitive(0, issuerKeyId)));
}

/** The `[3] EXPLICIT Extensions` wrapper of a TBSCertificate. */
export function extensionsField(extensions: readonly Buffer[]): Buffer {
  return derTlv(0xa3, derSequence(...extensions));
}
