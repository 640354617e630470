import { derExplicit, derSequence, derSmallInteger, derTime, derUnsignedInteger } from '../der/der.writer';
import { KeyKind } from '../keys/key-kind';
import {
  authorityKeyIdentifierExtension,
  basicConstraintsExtension,
  extensionsField,
  keyUsageExtension,
  mtlsExtendedKeyUsageExtension,
  subjectKeyIdentifierExtension,
  uriSubjectAltNameExtension,
} from './extensions';
import { keyIdOfSpki } from './certificate-fields.reader';
import type { Validity } from './validity';

/**
 * Step 1 of issuance: the TBSCertificate (what gets signed). Steps 2 and 3 (sign, check what was minted)
 * live in certificate.signer.ts and issued-certificate.validator.ts.
 */

/** Everything of a TBSCertificate, already encoded where it is a structure. */
export interface TbsFields {
  readonly serial: Buffer;
  readonly signatureAlgorithmDer: Buffer;
  readonly issuerNameDer: Buffer;
  readonly validity: Validity;
  readonly subjectNameDer: Buffer;
  readonly spkiDer: Buffer;
  readonly extensions: readonly Buffer[];
}

const VERSION_3 = derExplicit(0, derSmallInteger(2));
const EMPTY_NAME = derSequence();

/** DER of a v3 TBSCertificate. */
export function tbsCertificate(f: TbsFields): Buffer {
  return derSequence(
    VERSION_3,
    derUnsignedInteger(f.serial),
    f.signatureAlgorithmDer,
    f.issuerNameDer,
    derSequence(derTime(f.validity.notBefore), derTime(f.validity.notAfter)),
    f.subjectNameDer,
    f.spkiDer,
    extensionsField(f.extensions),
  );
}

/** What a CA contributes to every certificate it signs. */
export interface IssuerProfile {
  readonly nameDer: Buffer;
  readonly keyId: Buffer;
  readonly signatureAlgorithmDer: Buffer;
}

/** What varies per dataplane certificate. */
export interface LeafFields {
  readonly serial: Buffer;
  readonly validity: Validity;
  readonly spkiDer: Buffer;
  readonly keyKind: KeyKind;
  readonly uris: readonly string[];
}

/**
 * The dataplane certificate profile for one CA: empty subject with a critical URI SAN (X509-SVID),
 * CA:FALSE, digitalSignature (+keyEncipherment for RSA keys, which TLS RSA key exchange would use),
 * serverAuth + clientAuth, AKI = the CA's key id. The parts that never change are encoded once.
 */
export class LeafTemplate {
  private readonly fixed: { rsa: Buffer[]; ec: Buffer[] };

  constructor(private readonly issuer: IssuerProfile) {
    const common = [
      basicConstraintsExtension(false),
      mtlsExtendedKeyUsageExtension(),
      authorityKeyIdentifierExtension(issuer.keyId),
    ];
    this.fixed = {
      rsa: [...common, keyUsageExtension(['digitalSignature', 'keyEncipherment'])],
      ec: [...common, keyUsageExtension(['digitalSignature'])],
    };
  }

  /** DER of the TBSCertificate for one dataplane key and its names. */
  tbs(leaf: LeafFields): Buffer {
    const fixed = leaf.keyKind === KeyKind.Rsa ? this.fixed.rsa : this.fixed.ec;
    return tbsCertificate({
      serial: leaf.serial,
      signatureAlgorithmDer: this.issuer.signatureAlgorithmDer,
      issuerNameDer: this.issuer.nameDer,
      validity: leaf.validity,
      subjectNameDer: EMPTY_NAME,
      spkiDer: leaf.spkiDer,
      extensions: [
        uriSubjectAltNameExtension(leaf.uris, true),
        ...fixed,
        subjectKeyIdentifierExtension(keyIdOfSpki(leaf.spkiDer)),
      ],
    });
  }
}

/** What a self-signed CA certificate is made of. */
export interface SelfSignedCaFields {
  readonly serial: Buffer;
  readonly validity: Validity;
  readonly subjectNameDer: Buffer;
  readonly spkiDer: Buffer;
  readonly signatureAlgorithmDer: Buffer;
  readonly uris: readonly string[];
}

/** A root CA: CA:TRUE and keyCertSign + cRLSign (both critical), SKI = AKI, SAN URIs (the trust domain). */
export function selfSignedCaTbs(ca: SelfSignedCaFields): Buffer {
  const keyId = keyIdOfSpki(ca.spkiDer);
  return tbsCertificate({
    serial: ca.serial,
    signatureAlgorithmDer: ca.signatureAlgorithmDer,
    issuerNameDer: ca.subjectNameDer,
    validity: ca.validity,
    subjectNameDer: ca.subjectNameDer,
    spkiDer: ca.spkiDer,
    extensions: [
      basicConstraintsExtension(true),
      keyUsageExtension(['keyCertSign', 'cRLSign']),
      subjectKeyIdentifierExtension(keyId),
      authorityKeyIdentifierExtension(keyId),
      uriSubjectAltNameExtension(ca.uris, false),
    ],
  });
}
