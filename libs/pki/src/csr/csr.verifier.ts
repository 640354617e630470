import { verify, type KeyObject } from 'node:crypto';
import { derBytes, derChildren, derContents, derOidText, readDer } from '../der/der.reader';
import { keyKindOf } from '../keys/key-kind';
import { importSpki } from '../keys/public-key.codec';
import { CsrInvalidError } from '../pki.errors';
import { SIGNATURE_HASHES } from '../x509/oids';
import { PemLabel, singlePemDer } from '../x509/pem';

/**
 * Checks a PKCS#10 CSR's proof of possession (its signature, with native crypto over the exact
 * certificationRequestInfo bytes) and returns its public key. RSA and EC keys. The names it asks for are
 * ignored by design: a dataplane's identity comes from its Dataplane resource. Throws CsrInvalidError.
 */
export function verifyCsr(csrPem: string): KeyObject {
  const der = singlePemDer(csrPem, PemLabel.CertificateRequest);
  if (der === undefined) {
    throw new CsrInvalidError('the CSR is not one PEM "CERTIFICATE REQUEST" block');
  }
  const { infoDer, spkiDer, algorithmOid, signature } = readCsr(der);
  const hash = SIGNATURE_HASHES[algorithmOid];
  if (hash === undefined) {
    throw new CsrInvalidError(`the CSR is signed with an unsupported algorithm (${algorithmOid})`);
  }
  const publicKey = publicKeyOf(spkiDer);
  let valid: boolean;
  try {
    valid = verify(hash, infoDer, publicKey, signature);
  } catch (error) {
    throw new CsrInvalidError('the CSR signature cannot be checked', { cause: error });
  }
  if (!valid) {
    throw new CsrInvalidError('the CSR signature does not verify with its public key');
  }
  return publicKey;
}

/**
 * The DER SubjectPublicKeyInfo a CSR carries, without checking its signature: for comparing with the
 * key of a certificate issued for it (the signer checked the proof of possession). Throws CsrInvalidError.
 */
export function csrPublicKeyDer(csrPem: string): Buffer {
  const der = singlePemDer(csrPem, PemLabel.CertificateRequest);
  if (der === undefined) {
    throw new CsrInvalidError('the CSR is not one PEM "CERTIFICATE REQUEST" block');
  }
  return readCsr(der).spkiDer;
}

function readCsr(der: Buffer): { infoDer: Buffer; spkiDer: Buffer; algorithmOid: string; signature: Buffer } {
  try {
    // CertificationRequest ::= SEQUENCE { certificationRequestInfo, signatureAlgorithm, signature BIT STRING }
    const [info, algorithm, signatureBits] = derChildren(der, readDer(der));
    // CertificationRequestInfo ::= SEQUENCE { version, subject, subjectPKInfo, [0] attributes }
    const [, , spki] = derChildren(der, info);
    const [oid] = derChildren(der, algorithm);
    return {
      infoDer: derBytes(der, info),
      spkiDer: derBytes(der, spki),
      algorithmOid: derOidText(der, oid),
      signature: derContents(der, signatureBits).subarray(1), // skip the unused-bits byte
    };
  } catch (error) {
    throw new CsrInvalidError('the CSR is not a valid PKCS#10 structure', { cause: error });
  }
}

function publicKeyOf(spkiDer: Buffer): KeyObject {
  let key: KeyObject;
  try {
    key = importSpki(spkiDer);
  } catch (error) {
    throw new CsrInvalidError('the CSR public key does not parse', { cause: error });
  }
  try {
    keyKindOf(key);
  } catch (error) {
    throw new CsrInvalidError((error as Error).message, { cause: error });
  }
  return key;
}
