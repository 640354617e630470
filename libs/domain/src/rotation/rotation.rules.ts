import type { DataplaneSpec } from '../dataplane/dataplane.types';
import { dataplaneIdentity, identityUris } from '../identity/dataplane-identity.rules';
import { sameList } from '@meshtls/util';

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

/**
 * Where a certificate stands: `fresh` before its rotation time, `due` from then on, `expired` from its
 * `notAfter` on. The control plane honours a dataplane's own request for a new certificate only when the
 * one it gave that dataplane is `due` or `expired`, and re-issues an `expired` one by itself.
 */
export type CertificateState = 'fresh' | 'due' | 'expired';

export function certificateState(times: { rotateAt: Date; notAfter: Date }, now: Date): CertificateState {
  if (now.getTime() >= times.notAfter.getTime()) return 'expired';
  return now.getTime() >= times.rotateAt.getTime() ? 'due' : 'fresh';
}

/**
 * A dataplane gives the control plane this share of its certificate's validity past the rotation time
 * to rotate it (the rotation scheduler normally does within a second or two), and then asks for a new
 * certificate itself over its stream.
 */
export const RENEWAL_GRACE_FRACTION = 1 / 10;
/** ...but at least this long, so that the sidecars of short certificates do not race a scheduler on time. */
export const RENEWAL_GRACE_MIN_MS = 5_000;
/** ...and it asks once this share of the validity has passed in any case, so before the certificate expires. */
export const RENEWAL_LATEST_FRACTION = 19 / 20;

/** The times of a certificate a dataplane holds, as it knows them. */
export interface CertificateTimes {
  readonly notBefore: Date;
  readonly notAfter: Date;
  /** When the control plane said it rotates it (normally {@link rotateAtOf}). */
  readonly rotateAt: Date;
}

/** The default grace for a certificate valid `validityMs`: 10 % of it, at least 5 s. */
export function renewalGraceMs(validityMs: number): number {
  return Math.max(Math.floor(validityMs * RENEWAL_GRACE_FRACTION), RENEWAL_GRACE_MIN_MS);
}

/**
 * When a dataplane that still holds this certificate asks for a new one itself:
 * `rotateAt + grace`, no later than 95 % of the validity, never before `rotateAt`. With the defaults, a
 * 30-day certificate rotated at day 24 is asked for at day 27; a 1-hour one at 54 min; a 30 s one at
 * 28.5 s. `graceMs` replaces the default grace ({@link renewalGraceMs}).
 */
export function renewAtOf(times: CertificateTimes, graceMs?: number): Date {
  if (graceMs !== undefined && !(Number.isFinite(graceMs) && graceMs >= 0)) {
    throw new RangeError(`renewal grace must be a finite number of milliseconds >= 0, got ${graceMs}`);
  }
  const notBefore = times.notBefore.getTime();
  const rotateAt = times.rotateAt.getTime();
  const validity = times.notAfter.getTime() - notBefore;
  const grace = graceMs ?? renewalGraceMs(validity);
  const latest = notBefore + Math.floor(validity * RENEWAL_LATEST_FRACTION);
  return new Date(Math.max(rotateAt, Math.min(rotateAt + grace, latest)));
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
