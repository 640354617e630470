import { sign, type KeyObject } from 'node:crypto';
import { derBitString, derExplicit, derSequence, derSmallInteger } from '../der/der.writer';
import { distinguishedNameDer, type NameAttributes } from '../x509/distinguished-name';
import { PemLabel, toPem } from '../x509/pem';
import { signatureAlgorithmFor } from '../x509/signature-algorithm';

/**
 * A PKCS#10 CSR (PEM) for a key pair, signed natively (RSA: sha256WithRSAEncryption, EC:
 * ecdsa-with-SHA256): how a dataplane proves it holds the key without sending it. The subject is
 * informative only; the control plane ignores requested names.
 */
export function createCsr(input: {
  privateKey: KeyObject;
  publicKey: KeyObject;
  subject?: NameAttributes;
}): string {
  const algorithm = signatureAlgorithmFor(input.privateKey);
  const info = derSequence(
    derSmallInteger(0),
    distinguishedNameDer(input.subject ?? {}),
    input.publicKey.export({ type: 'spki', format: 'der' }),
    derExplicit(0), // no attributes
  );
  const der = derSequence(
    info,
    algorithm.identifierDer,
    derBitString(sign(algorithm.hash, info, input.privateKey)),
  );
  return toPem(der, PemLabel.CertificateRequest);
}
