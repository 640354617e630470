import type { MtlsBackend } from '@meshtls/domain';
import type { SigningCa } from '@meshtls/pki';
import type { ReadContext } from '../shared/data-source.reader';
import type { BackendReport } from '../ports/mtls-validation.contract';

/**
 * One implementation per backend type, side by side (as Kuma's CaManager): validate a backend before the
 * Mesh is stored, ensure its CA exists, load it for signing.
 */
export interface CaManager {
  /**
   * `index` is the backend's position in `mtls.backends`, for field paths; `context` says who asked (only
   * an admin is told why a file could not be read).
   */
  validate(mesh: string, backend: MtlsBackend, index: number, context?: ReadContext): Promise<BackendReport>;
  /** Makes sure the CA exists; 'created' only for the one caller that created it. */
  ensure(mesh: string, backend: MtlsBackend): Promise<'created' | 'existing'>;
  /** The CA ready to sign (`trustAnchorPem` is what peers trust for it); parsing it is the costly part. */
  load(mesh: string, backend: MtlsBackend): Promise<SigningCa>;
}
