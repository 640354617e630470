import { certificateState } from '@meshtls/domain';
import type { Lease, LeaseStore } from '@meshtls/store';
import type { Clock } from '@meshtls/util';
import type { DataplaneSession } from './dataplane-session';

/** Leases checked and written at once when restoring. */
const BATCH = 100;

/**
 * What one lease check did. The lease check looks at the connected dataplanes of one replica, whatever
 * their certificates' expiry: first the certificates that expired are handed to be re-issued
 * ({@link reissueExpiredLeases}), then the live leases the store lost are put back
 * ({@link restoreLiveLeases}).
 */
export interface LeaseCheckReport {
  /** Live leases the store had lost, written back. */
  readonly restored: number;
  /** Certificates found expired on connected dataplanes, handed to `reissue`. */
  readonly expired: number;
}

/**
 * A certificate that has expired while its dataplane stayed connected (no rotation came: the schedulers,
 * Redis or both were away longer than the rest of its validity) cannot be written back, since the store
 * expires a lease at its `notAfter`: it is handed to `reissue` at once. Reads no store, so this works
 * while the store is away too. Returns the other sessions holding a lease, and how many had expired.
 */
export function reissueExpiredLeases(
  sessions: readonly DataplaneSession[],
  now: Date,
  reissue: (session: DataplaneSession, lease: Lease) => void,
): { live: DataplaneSession[]; expired: number } {
  const live: DataplaneSession[] = [];
  let expired = 0;
  for (const session of sessions) {
    const lease = session.lease;
    if (session.closed || lease === undefined) continue;
    const state = certificateState(
      { rotateAt: new Date(lease.rotateAt), notAfter: new Date(lease.notAfter) },
      now,
    );
    if (state === 'expired') {
      expired++;
      reissue(session, lease);
    } else live.push(session);
  }
  return { live, expired };
}

/**
 * Puts back the live leases the store lost (Redis restarted without its data): a few are probed, and
 * only when one is missing are all checked and the missing ones written again. Nothing is re-issued for
 * them: their certificates are still valid (a lease already due is rotated by the next scheduler pass).
 * Returns how many were written.
 */
export async function restoreLiveLeases(
  held: readonly DataplaneSession[],
  leases: LeaseStore,
  now: Date,
  probes: number,
): Promise<number> {
  if (held.length === 0) return 0;
  const sample = Array.from(
    { length: Math.min(probes, held.length) },
    () => held[Math.floor(Math.random() * held.length)]!,
  );
  const missing = await Promise.all(sample.map(async (s) => !(await leases.get(s.mesh, s.name))));
  if (!missing.some(Boolean)) return 0;
  let restored = 0;
  for (let i = 0; i < held.length; i += BATCH) {
    await Promise.all(
      held.slice(i, i + BATCH).map(async (s) => {
        const lease = s.lease;
        // Replaced or withdrawn meanwhile, or expired since (the next check re-issues it).
        if (lease === undefined || Date.parse(lease.notAfter) <= now.getTime()) return;
        if (await leases.get(s.mesh, s.name)) return;
        await leases.put(lease);
        restored++;
      }),
    );
  }
  return restored;
}

/**
 * The lease check: re-issues at once the certificates that expired on dataplanes connected here, whether
 * the lease store answers or not, then puts back the leases the store lost. While an earlier check still
 * waits on the store (Redis away), the store is left alone (`restored` 0), so checks do not pile up and
 * then all rewrite every lease at once when it is back.
 */
export class LeaseCheck {
  /** The store part in progress (it waits while the store is away). */
  private restoring?: Promise<number>;

  constructor(
    private readonly leases: LeaseStore,
    private readonly clock: Clock,
    private readonly reissue: (session: DataplaneSession, lease: Lease) => void,
  ) {}

  async run(sessions: DataplaneSession[], probes: number): Promise<LeaseCheckReport> {
    const now = this.clock.now();
    const { live, expired } = reissueExpiredLeases(sessions, now, this.reissue);
    if (this.restoring) return { restored: 0, expired };
    const restoring = restoreLiveLeases(live, this.leases, now, probes);
    this.restoring = restoring;
    try {
      return { restored: await restoring, expired };
    } finally {
      this.restoring = undefined;
    }
  }
}
