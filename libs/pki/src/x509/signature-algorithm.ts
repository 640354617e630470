import type { KeyObject } from 'node:crypto';
import { DER_NULL, derOid, derSequence } from '../der/der.writer';
import { KeyKind, keyKindOf } from '../keys/key-kind';
import { Oid } from './oids';

/** How a CA key signs: the hash given to crypto.sign and the AlgorithmIdentifier written in certificates. */
export interface SignatureAlgorithm {
  readonly hash: 'sha256';
  /** DER of the AlgorithmIdentifier (TBSCertificate.signature and Certificate.signatureAlgorithm). */
  readonly identifierDer: Buffer;
}

const RSA_SHA256: SignatureAlgorithm = {
  hash: 'sha256',
  // RFC 4055: the RSA PKCS#1 v1.5 identifiers carry an explicit NULL parameter.
  identifierDer: derSequence(derOid(Oid.sha256WithRsa), DER_NULL),
};

const ECDSA_SHA256: SignatureAlgorithm = {
  hash: 'sha256',
  // RFC 5758 3.2: ecdsa-with-SHA256 has NO parameters (a NULL here makes strict verifiers refuse).
  identifierDer: derSequence(derOid(Oid.ecdsaWithSha256)),
};

/** The algorithm a CA key signs certificates with: sha256WithRSAEncryption or ecdsa-with-SHA256. */
export function signatureAlgorithmFor(caKey: KeyObject): SignatureAlgorithm {
  return keyKindOf(caKey) === KeyKind.Rsa ? RSA_SHA256 : ECDSA_SHA256;
}
