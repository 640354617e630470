import { sign, type KeyObject } from 'node:crypto';
import { promisify } from 'node:util';
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

const signAsync = promisify(sign) as (algorithm: string, data: Buffer, key: KeyObject) => Promise<Buffer>;

/**
 * As signCertificate, with the signature computed on libuv's thread pool: the event loop stays free
 * (an RSA-2048 signature holds it ~270 µs otherwise) and a single process uses every core.
 */
export async function signCertificateAsync(
  tbsDer: Buffer,
  caKey: KeyObject,
  algorithm: SignatureAlgorithm,
): Promise<Buffer> {
  const signature = await signAsync(algorithm.hash, tbsDer, caKey);
  return derSequence(tbsDer, algorithm.identifierDer, derBitString(signature));
}
