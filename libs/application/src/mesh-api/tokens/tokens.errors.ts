import { MeshError } from '@meshtls/util';

/**
 * A stored signing-key Secret cannot be used: not a PKCS#8 PEM of an EC P-256 private key (e.g. written
 * by hand). New tokens cannot be signed with it and tokens naming it are refused.
 */
export class SigningKeyInvalidError extends MeshError {
  readonly code = 'dataplane-token.signing-key-invalid';

  constructor(
    readonly mesh: string,
    readonly serial: number,
    options?: { cause?: unknown },
  ) {
    super(`signing key ${serial} of mesh "${mesh}" is not a PEM EC P-256 private key`, options);
  }
}
