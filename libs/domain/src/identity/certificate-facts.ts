/**
 * What is known of a dataplane's certificate without its PEM: the one description the lease, the
 * sidecar's identity, the wire messages and the insights share. Serial in hex, times in RFC 3339.
 */
export interface CertificateFacts {
  readonly serial: string;
  readonly notBefore: string;
  readonly notAfter: string;
  /** The backend whose CA signed it. */
  readonly backend: string;
  /** Every backend trusted when it was issued (the trust bundle it came with). */
  readonly supportedBackends: readonly string[];
}
