import { backendModeOf, enabledBackendOf, dpCertValidityMs } from './mesh-defaults';
import type { MeshSpec, MtlsBackend, MtlsMode } from './mesh.types';
import { sameList } from '@meshtls/util';
import type { Violation } from '../errors';
import { MeshMessages } from './mesh.messages';

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
  return mtlsViewOf(
    enabledBackendOf(mesh),
    (mesh.mtls?.backends ?? []).map((b) => b.name),
  );
}

/** The view of a mesh whose certificates `backend` issues (none: mTLS off), trusting `supportedBackends`. */
export function mtlsViewOf(
  backend: MtlsBackend | undefined,
  supportedBackends: readonly string[],
): MeshMtlsView {
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

/**
 * Kuma refuses any CA change while mTLS is on; Kong Mesh switches CAs without downtime by listing both
 * backends while `enabledBackend` moves. What stays refused here is the one edit that cannot be done
 * without downtime: dropping the backend that issues now while mTLS stays on, so dataplanes holding its
 * certificates would no longer be trusted. Returns the violation, or undefined when the update is fine.
 */
export function mtlsReplacementViolation(before: MeshSpec, after: MeshSpec): Violation | undefined {
  const issuing = enabledBackendOf(before)?.name;
  if (issuing === undefined || enabledBackendOf(after) === undefined) return undefined;
  if ((after.mtls?.backends ?? []).some((b) => b.name === issuing)) return undefined;
  return { field: 'mtls.enabledBackend', message: MeshMessages.caReplacedOutright(issuing) };
}
