import { MeshError } from '@meshtls/util';

/**
 * A token that is not a compact JWS we can read: wrong number of segments, bad base64url, bad JSON, a
 * signature of the wrong size. Messages name the part, never echo the token.
 */
export class JwtMalformedError extends MeshError {
  readonly code = 'jwt.malformed';
}

/** The header names an algorithm other than ES256 (`none` and HMAC included): refused before any crypto. */
export class JwtAlgorithmError extends MeshError {
  readonly code = 'jwt.unsupported-algorithm';
}

/** The signature does not verify with the given public key. */
export class JwtSignatureError extends MeshError {
  readonly code = 'jwt.bad-signature';
}
