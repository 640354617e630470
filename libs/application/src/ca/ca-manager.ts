import type { MtlsBackend, Violation } from '@meshtls/domain';
import type { SigningCa } from '@meshtls/pki';

export interface BackendReport {
  readonly violations: readonly Violation[];
  readonly warnings: readonly string[];
}

/** A CA ready to issue (`signing.trustAnchorPem` is what peers trust for it). */
export interface LoadedCa {
  readonly signing: SigningCa;
  /** Changes whenever the material behind the CA changes; a cached LoadedCa with another one is stale. */
  readonly fingerprint: string;
}

/**
 * One implementation per backend type, side by side (as Kuma's CaManager): validate a backend before the
 * Mesh is stored, ensure its CA exists, load it for signing.
 */
export interface CaManager {
  /** `index` is the backend's position in `mtls.backends`, for field paths. */
  validate(mesh: string, backend: MtlsBackend, index: number): Promise<BackendReport>;
  /** Makes sure the CA exists; 'created' only for the one caller that created it. */
  ensure(mesh: string, backend: MtlsBackend): Promise<'created' | 'existing'>;
  /** A value that changes when the CA material changes (cheap: no parsing). */
  fingerprint(mesh: string, backend: MtlsBackend): Promise<string>;
  load(mesh: string, backend: MtlsBackend): Promise<LoadedCa>;
}
