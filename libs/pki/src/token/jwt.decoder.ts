import { decodeBase64Url, decodeJsonSegment } from './base64url.codec';
import { ES256_SIGNATURE_BYTES, JWT_ALGORITHM } from './es256.key';
import { JwtAlgorithmError, JwtMalformedError } from './jwt.errors';

/** Longer tokens are refused unread: ours are a few hundred bytes, and parsing is work an attacker picks. */
export const MAX_JWT_LENGTH = 8192;

/** The protected header of an accepted token. */
export interface JwtHeader {
  readonly alg: typeof JWT_ALGORITHM;
  readonly kid?: string;
  readonly typ?: string;
}

/** A compact JWS split and decoded; not yet verified, so its claims are not to be trusted. */
export interface DecodedJwt {
  readonly header: JwtHeader;
  readonly claims: Readonly<Record<string, unknown>>;
  /** `base64url(header) "." base64url(claims)`: the bytes the signature covers. */
  readonly signingInput: string;
  readonly signature: Buffer;
}

/** An algorithm name short and plain enough to quote in an error message. */
const QUOTABLE_ALG = /^[A-Za-z0-9+-]{1,16}$/;

/**
 * Splits and decodes a compact JWS without verifying it (to find which key verifies it). Refuses,
 * before any cryptography: other than three segments, bad base64url or JSON, an algorithm other than
 * ES256 (so `none` and HMAC-with-a-public-key tricks never reach a verifier), critical header extensions
 * (none are understood, RFC 7515 §4.1.11), and signatures that are not 64 bytes.
 */
export function decodeJwt(token: string): DecodedJwt {
  if (typeof token !== 'string' || token.length === 0) throw new JwtMalformedError('the token is empty');
  if (token.length > MAX_JWT_LENGTH) {
    throw new JwtMalformedError(`the token is longer than ${MAX_JWT_LENGTH} characters`);
  }
  const segments = token.split('.');
  if (segments.length !== 3) {
    throw new JwtMalformedError(
      `a compact JWS has 3 dot-separated segments, this token has ${segments.length}`,
    );
  }
  const [headerText, claimsText, signatureText] = segments;
  const header = readHeader(decodeJsonSegment(headerText, 'header'));
  const claims = decodeJsonSegment(claimsText, 'claims');
  const signature = decodeBase64Url(signatureText, 'signature');
  if (signature.length !== ES256_SIGNATURE_BYTES) {
    throw new JwtMalformedError(
      `an ES256 signature has ${ES256_SIGNATURE_BYTES} bytes, not ${signature.length}`,
    );
  }
  return { header, claims, signingInput: `${headerText}.${claimsText}`, signature };
}

function readHeader(raw: Record<string, unknown>): JwtHeader {
  const alg = raw.alg;
  if (alg !== JWT_ALGORITHM) {
    const named = typeof alg === 'string' && QUOTABLE_ALG.test(alg) ? ` "${alg}"` : '';
    throw new JwtAlgorithmError(
      alg === undefined
        ? 'the header names no algorithm'
        : `algorithm${named} is not accepted; tokens are signed with ${JWT_ALGORITHM}`,
    );
  }
  if (raw.crit !== undefined) throw new JwtMalformedError('critical header extensions are not supported');
  if (raw.kid !== undefined && typeof raw.kid !== 'string') {
    throw new JwtMalformedError('the header "kid" is not a string');
  }
  if (raw.typ !== undefined && typeof raw.typ !== 'string') {
    throw new JwtMalformedError('the header "typ" is not a string');
  }
  return {
    alg: JWT_ALGORITHM,
    ...(raw.kid !== undefined ? { kid: raw.kid as string } : {}),
    ...(raw.typ !== undefined ? { typ: raw.typ as string } : {}),
  };
}
