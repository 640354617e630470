import { MeshError } from '@meshtls/util';

/** What a valid dataplane token says: who may connect, until when, signed by which key. */
export interface DataplaneTokenClaims {
  readonly mesh: string;
  readonly name: string;
  /** Tags the Dataplane must carry on every inbound (e.g. `kuma.io/service`); empty when unrestricted. */
  readonly tags: Readonly<Record<string, string>>;
  readonly expiresAt: Date;
  /** Which signing key signed it (the key's serial number). */
  readonly keyId: string;
}

/** Why a token is refused; `reason` is safe to show to the dataplane (never the token itself). */
export const TOKEN_REFUSALS = [
  'missing',
  'malformed',
  'expired',
  'bad-signature',
  'unknown-key',
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
 * Checks a dataplane token: format, signature (by the mesh's current signing key), expiry. Throws
 * `DataplaneTokenError`. Binding to a particular Dataplane is checked by the caller with the claims.
 */
export interface DataplaneTokenVerifier {
  verify(token: string): Promise<DataplaneTokenClaims>;
}
