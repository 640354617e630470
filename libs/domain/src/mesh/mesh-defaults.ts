import { parseDuration } from '../duration';
import type { BuiltinMtlsBackend, MeshSpec, MtlsBackend, MtlsMode } from './mesh.types';

/** Values used where a Mesh leaves a field out (Kuma's defaults). */
export const MTLS_DEFAULTS = {
  mode: 'STRICT',
  dpCertExpiration: '30d',
  caCertRsaBits: 2048,
  caCertExpiration: '10y',
} as const satisfies {
  mode: MtlsMode;
  dpCertExpiration: string;
  caCertRsaBits: number;
  caCertExpiration: string;
};

/** Limits on a builtin CA's RSA key size. */
export const RSA_BITS_LIMITS = { min: 2048, max: 8192 } as const;

/** The backend that issues certificates, or `undefined` when mTLS is off. */
export function enabledBackendOf(mesh: MeshSpec): MtlsBackend | undefined {
  const name = mesh.mtls?.enabledBackend;
  if (name === undefined || name === '') {
    return undefined;
  }
  return mesh.mtls?.backends?.find((b) => b.name === name);
}

export function backendModeOf(backend: MtlsBackend): MtlsMode {
  return backend.mode ?? MTLS_DEFAULTS.mode;
}

/** Validity of a dataplane certificate from this backend, in milliseconds. */
export function dpCertValidityMs(backend: MtlsBackend): number {
  return durationOrDefault(backend.dpCert?.rotation?.expiration, MTLS_DEFAULTS.dpCertExpiration);
}

export function caCertRsaBitsOf(backend: BuiltinMtlsBackend): number {
  return backend.conf?.caCert?.RSAbits ?? MTLS_DEFAULTS.caCertRsaBits;
}

/** Validity of a builtin CA certificate, in milliseconds. */
export function caCertValidityMs(backend: BuiltinMtlsBackend): number {
  return durationOrDefault(backend.conf?.caCert?.expiration, MTLS_DEFAULTS.caCertExpiration);
}

function durationOrDefault(text: string | undefined, fallback: string): number {
  // A stored spec has passed validation, so a present value parses; the fallback is a constant.
  return parseDuration(text ?? fallback) ?? (parseDuration(fallback) as number);
}
