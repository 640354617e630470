import type { DataplaneSpec } from '../dataplane/dataplane.types';
import { backendModeOf, enabledBackendOf, dpCertValidityMs } from '../mesh/mesh-defaults';
import type { MeshSpec, MtlsMode } from '../mesh/mesh.types';
import { dataplaneIdentity, identityUris } from '../identity/dataplane-identity.rules';

/** A certificate is rotated once this share of its validity has passed (Kuma's 4/5). */
export const ROTATION_FRACTION = 4 / 5;

/** `rotateAt = notBefore + 4/5 × (notAfter − notBefore)`, to the millisecond. */
export function rotateAtOf(notBefore: Date, notAfter: Date): Date {
  const validity = notAfter.getTime() - notBefore.getTime();
  return new Date(notBefore.getTime() + Math.floor(validity * ROTATION_FRACTION));
}

/** True once `now` has reached the rotation time of a certificate valid from `notBefore` to `notAfter`. */
export function isRotationDue(notBefore: Date, notAfter: Date, now: Date): boolean {
  return now.getTime() >= rotateAtOf(notBefore, notAfter).getTime();
}

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

/** True when a Dataplane change alters the names its certificate carries (its tags). */
export function dataplaneIdentityChanged(mesh: string, before: DataplaneSpec, after: DataplaneSpec): boolean {
  return !sameList(urisOrEmpty(mesh, before), urisOrEmpty(mesh, after));
}

function urisOrEmpty(mesh: string, spec: DataplaneSpec): string[] {
  try {
    return identityUris(dataplaneIdentity(mesh, spec));
  } catch {
    return [];
  }
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

/**
 * What a request to rotate certificate `serial` deserves, given the certificate the dataplane holds
 * (`held`, undefined when it holds none): `rotate` only when it names that very certificate and its
 * rotation time has come (or passed); `stale` when it names another one (already rotated, or a replay);
 * `not-due` when it is too early. A replayed or forged request so never re-issues a certificate before its
 * time, and at most once per certificate.
 */
export type RotationRequestVerdict = 'rotate' | 'stale' | 'not-due';

export function rotationRequestVerdict(
  held: { readonly serial: string; readonly rotateAt: string } | undefined,
  serial: string,
  now: Date,
): RotationRequestVerdict {
  if (held === undefined || held.serial !== serial) return 'stale';
  return now.getTime() >= Date.parse(held.rotateAt) ? 'rotate' : 'not-due';
}

/**
 * How many certificates one dataplane may be issued, whatever asks (rotation, reconnects, restarts, mesh
 * and tag changes, the dataplane itself): `perMinute` on average, `burst` at once.
 */
export interface IssuanceLimit {
  readonly perMinute: number;
  readonly burst: number;
}

export const ISSUANCE_LIMIT_DEFAULTS: IssuanceLimit = Object.freeze({ perMinute: 6, burst: 6 });

/** Certificates a dataplane may always be given per rotation period: its rotation and two reconnects. */
export const MIN_ISSUANCES_PER_ROTATION = 3;

/**
 * The rate a dataplane of a mesh whose certificates are valid `validityMs` may be issued at: the
 * configured one, raised for certificates so short-lived that their rotation alone would come near it
 * (at least {@link MIN_ISSUANCES_PER_ROTATION} per rotation period), so the limit never makes a
 * certificate expire. With validities of minutes or more the configured rate applies as it is.
 */
export function issuanceRatePerMinute(perMinute: number, validityMs: number | undefined): number {
  if (validityMs === undefined || !(validityMs > 0)) return perMinute;
  const rotationPeriodMs = validityMs * ROTATION_FRACTION;
  return Math.max(perMinute, (MIN_ISSUANCES_PER_ROTATION * 60_000) / rotationPeriodMs);
}
