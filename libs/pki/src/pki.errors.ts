import { MeshError } from '@meshtls/util';
import type { Violation } from '@meshtls/domain';

/** A CA certificate chain or key cannot be used to sign; `violations` say which part and why. */
export class CaValidationError extends MeshError {
  readonly code = 'ca.invalid';

  constructor(
    message: string,
    readonly violations: readonly Violation[] = [],
  ) {
    super(message);
  }
}

/** The code of {@link CsrInvalidError}, kept when the error crosses the bus (`RemoteError`). */
export const CSR_INVALID = 'csr.invalid';

/**
 * A certificate signing request is malformed, uses an unsupported key, or its signature does not verify
 * (no proof of possession of the key): asking again with the same CSR cannot succeed.
 */
export class CsrInvalidError extends MeshError {
  readonly code = CSR_INVALID;
}

/** A public key of a type the certificate profile does not cover (RSA and EC only). */
export class UnsupportedKeyError extends MeshError {
  readonly code = 'pki.unsupported-key';
}

/**
 * A certificate just minted failed its own check (signature, names, profile or validity). Never expected:
 * it means a bug or a broken CA key, so the certificate is not handed out.
 */
export class IssuedCertificateInvalidError extends MeshError {
  readonly code = 'certificate.invalid';
}
