import { MeshError } from '@meshtls/util';

/** What a valid dataplane token says: who may connect, until when, signed by which key. */
export interface DataplaneTokenClaims {
  readonly mesh: string;
  /** The Dataplane the token is for; empty when it is for any dataplane of the mesh (Kuma's mesh+tags tokens). */
  readonly name: string;
  /**
   * Per tag, the values the Dataplane's inbounds may carry (e.g. `kuma.io/service: [web, api]`); every
   * inbound must carry the tag with one of them. Empty when unrestricted.
   */
  readonly tags: Readonly<Record<string, readonly string[]>>;
  /** The proxy type asked for (`dataplane`), or empty, as Kuma's `Type` claim. */
  readonly type: string;
  /** The `kuma.io/workload` label the Dataplane must carry; empty when unrestricted. */
  readonly workload: string;
  readonly expiresAt: Date;
  /** Which signing key signed it (the key's serial number). */
  readonly keyId: string;
}

/** Why a token is refused; `reason` is safe to show to the dataplane (never the token itself). */
export const TOKEN_REFUSALS = [
  'missing',
  'malformed',
  'expired',
  'not-yet-valid',
  'bad-signature',
  'unknown-key',
  'revoked',
  'wrong-dataplane',
] as const;
export type TokenRefusal = (typeof TOKEN_REFUSALS)[number];

export class DataplaneTokenError extends MeshError {
  readonly code = 'dataplane-token.refused';
  constructor(
    readonly refusal: TokenRefusal,
    message: string,
  ) {
    super(message);
  }
}

/**
 * Checks a dataplane token: format, signature (by the mesh's current signing key), validity period,
 * revocation.
 * Throws `DataplaneTokenError`. Binding to a particular Dataplane is checked by the caller with the claims.
 */
export interface DataplaneTokenVerifier {
  verify(token: string): Promise<DataplaneTokenClaims>;
}
