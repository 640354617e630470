import { backendModeOf, enabledBackendOf, dpCertValidityMs } from './mesh-defaults';
import type { MeshSpec, MtlsMode } from './mesh.types';
import { sameList } from '@meshtls/util';

/** What of a mesh's mTLS a connected dataplane depends on. */
export interface MeshMtlsView {
  /** The backend issuing certificates, or undefined when mTLS is off. */
  readonly enabledBackend?: string;
  readonly mode?: MtlsMode;
  readonly validityMs?: number;
  /** Every backend listed: their CAs form the trust bundle. */
  readonly supportedBackends: readonly string[];
}

export function meshMtlsView(mesh: MeshSpec): MeshMtlsView {
  const backend = enabledBackendOf(mesh);
  const supportedBackends = (mesh.mtls?.backends ?? []).map((b) => b.name);
  if (!backend) return { supportedBackends };
  return {
    enabledBackend: backend.name,
    mode: backendModeOf(backend),
    validityMs: dpCertValidityMs(backend),
    supportedBackends,
  };
}

/**
 * What a connected dataplane must be told when its mesh changes:
 * - `issue`: mTLS was turned on, or the enabled backend, its mode or its certificate validity changed;
 * - `trust`: only the set of backends changed (a CA switch being prepared or finished): new bundle;
 * - `withdraw`: mTLS was turned off;
 * - `none`: nothing it depends on changed (so nothing is re-issued).
 */
export type MeshChangeAction = 'issue' | 'trust' | 'withdraw' | 'none';

export function meshChangeAction(before: MeshMtlsView, after: MeshMtlsView): MeshChangeAction {
  if (after.enabledBackend === undefined) return before.enabledBackend === undefined ? 'none' : 'withdraw';
  if (
    before.enabledBackend !== after.enabledBackend ||
    before.mode !== after.mode ||
    before.validityMs !== after.validityMs
  ) {
    return 'issue';
  }
  return sameList(before.supportedBackends, after.supportedBackends) ? 'none' : 'trust';
}
