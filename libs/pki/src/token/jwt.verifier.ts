import { verify, type KeyObject } from 'node:crypto';
import { es256PublicKey } from './es256.key';
import { decodeJwt, type DecodedJwt } from './jwt.decoder';
import { JwtSignatureError } from './jwt.errors';

/**
 * Checks the signature of a decoded token with `publicKey` (EC P-256); throws `JwtSignatureError`.
 * Says nothing about expiry or audience: those are claims the caller checks once it trusts them.
 */
export function verifyJwtSignature(decoded: DecodedJwt, publicKey: KeyObject): void {
  const ok = verify(
    'sha256',
    Buffer.from(decoded.signingInput, 'ascii'),
    { key: es256PublicKey(publicKey), dsaEncoding: 'ieee-p1363' },
    decoded.signature,
  );
  if (!ok) throw new JwtSignatureError('the token signature does not verify with the signing key');
}

/** `decodeJwt` then `verifyJwtSignature`: the decoded token, whose claims may now be trusted. */
export function verifyJwt(token: string, publicKey: KeyObject): DecodedJwt {
  const decoded = decodeJwt(token);
  verifyJwtSignature(decoded, publicKey);
  return decoded;
}
