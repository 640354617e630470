import { sign, type KeyObject } from 'node:crypto';
import { derBitString, derSequence } from '../der/der.writer';
import type { SignatureAlgorithm } from './signature-algorithm';

/**
 * Step 2 of issuance: sign a TBSCertificate with native crypto (OpenSSL) and assemble the Certificate.
 * Signing in JavaScript would be ~60x slower; the CA key is a KeyObject parsed once, never a PEM string.
 */
export function signCertificate(tbsDer: Buffer, caKey: KeyObject, algorithm: SignatureAlgorithm): Buffer {
  const signature = sign(algorithm.hash, tbsDer, caKey);
  return derSequence(tbsDer, algorithm.identifierDer, derBitString(signature));
}
