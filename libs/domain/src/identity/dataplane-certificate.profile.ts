import type { DataplaneSpec } from '../dataplane/dataplane.types';
import { dpCertValidityMs } from '../mesh/mesh-defaults';
import type { MtlsBackend } from '../mesh/mesh.types';
import { dataplaneIdentity, identityUris } from './dataplane-identity.rules';

/**
 * The certificate a dataplane is owed under its mesh: the backend that signs it, its SAN URIs and its
 * validity. What ca-signer issues and what mesh-api checks an answer against, derived once.
 */
export interface DataplaneCertificateProfile {
  readonly backend: MtlsBackend;
  readonly uris: readonly string[];
  readonly validityMs: number;
}

/**
 * The profile of a dataplane's certificate issued by `backend` (see `enabledBackendOf`). Throws
 * MissingServiceTagError when no inbound names a service.
 */
export function dataplaneCertificateProfile(
  mesh: string,
  backend: MtlsBackend,
  dataplane: DataplaneSpec,
): DataplaneCertificateProfile {
  return {
    backend,
    uris: identityUris(dataplaneIdentity(mesh, dataplane)),
    validityMs: dpCertValidityMs(backend),
  };
}
