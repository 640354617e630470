import { createPublicKey, type KeyObject } from 'node:crypto';
import { UnsupportedKeyError } from '../pki.errors';

/** The only JWS algorithm accepted: ECDSA on P-256 with SHA-256 (RFC 7518 §3.4). */
export const JWT_ALGORITHM = 'ES256';
/** An ES256 signature is r and s, 32 bytes each, concatenated (IEEE P1363), not DER. */
export const ES256_SIGNATURE_BYTES = 64;
/** Node's name for the P-256 curve. */
const P256 = 'prime256v1';

/** Fails unless `key` is a P-256 private key: ES256 is defined for that curve only. */
export function assertEs256PrivateKey(key: KeyObject): void {
  if (key.type !== 'private' || !isP256(key)) {
    throw new UnsupportedKeyError('an ES256 token must be signed with an EC P-256 private key');
  }
}

/** The P-256 public key to verify with; a private key is accepted and reduced to its public half. */
export function es256PublicKey(key: KeyObject): KeyObject {
  if (key.type === 'secret' || !isP256(key)) {
    throw new UnsupportedKeyError('an ES256 token must be verified with an EC P-256 key');
  }
  return key.type === 'private' ? createPublicKey(key) : key;
}

function isP256(key: KeyObject): boolean {
  return key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === P256;
}
