import { sign, type KeyObject } from 'node:crypto';
import { encodeBase64Url } from './base64url.codec';
import { assertEs256PrivateKey, JWT_ALGORITHM } from './es256.key';
import { JwtMalformedError } from './jwt.errors';

/**
 * Signs `claims` as a compact JWS (RFC 7515) with ES256: header `{"alg":"ES256","typ":"JWT","kid":kid}`,
 * signature r‖s in IEEE P1363 form as JWS requires (Node's default would be DER). `kid` names the
 * signing key so a verifier can pick it among several (rotation).
 */
export function signJwt(claims: object, privateKey: KeyObject, kid: string): string {
  if (typeof claims !== 'object' || claims === null || Array.isArray(claims)) {
    throw new JwtMalformedError('the claims of a token must be a JSON object');
  }
  if (typeof kid !== 'string' || kid === '')
    throw new JwtMalformedError('the key id (kid) must not be empty');
  assertEs256PrivateKey(privateKey);
  const header = encodeBase64Url(JSON.stringify({ alg: JWT_ALGORITHM, typ: 'JWT', kid }));
  const payload = encodeBase64Url(JSON.stringify(claims));
  const signingInput = `${header}.${payload}`;
  const signature = sign('sha256', Buffer.from(signingInput, 'ascii'), {
    key: privateKey,
    dsaEncoding: 'ieee-p1363',
  });
  return `${signingInput}.${encodeBase64Url(signature)}`;
}
