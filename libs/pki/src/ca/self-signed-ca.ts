import type { KeyObject } from 'node:crypto';
import { signCertificate } from '../x509/certificate.signer';
import { selfSignedCaTbs } from '../x509/certificate.template';
import { distinguishedNameDer, type NameAttributes } from '../x509/distinguished-name';
import { PemLabel, toPem } from '../x509/pem';
import { randomSerial } from '../x509/serial-number';
import { signatureAlgorithmFor } from '../x509/signature-algorithm';
import { BACKDATE_MS, validityWindow } from '../x509/validity';

export interface SelfSignedCaInput {
  /** RSA or EC key pair of the CA. */
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
  readonly subject: NameAttributes;
  /** SAN URIs of the CA (its trust domain, `spiffe://{mesh}`). */
  readonly uris: readonly string[];
  readonly validityMs: number;
  readonly now: Date;
}

/**
 * A root CA certificate (PEM) for a key pair: CA:TRUE and keyCertSign + cRLSign (critical), SKI and
 * AKI, SAN URIs, random 128-bit serial, notBefore backdated a minute. Signed natively: RSA keys with
 * sha256WithRSAEncryption, EC keys with ecdsa-with-SHA256.
 */
export function selfSignedCaCertificate(input: SelfSignedCaInput): string {
  const algorithm = signatureAlgorithmFor(input.privateKey);
  const tbs = selfSignedCaTbs({
    serial: randomSerial(),
    validity: validityWindow(input.now, input.validityMs, BACKDATE_MS.ca),
    subjectNameDer: distinguishedNameDer(input.subject),
    spkiDer: input.publicKey.export({ type: 'spki', format: 'der' }),
    signatureAlgorithmDer: algorithm.identifierDer,
    uris: input.uris,
  });
  return toPem(signCertificate(tbs, input.privateKey, algorithm), PemLabel.Certificate);
}
