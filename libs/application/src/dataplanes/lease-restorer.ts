import type { LeaseStore } from '@meshtls/store';
import type { DataplaneSession } from './dataplane-session';

/** Leases checked and written at once when restoring. */
const BATCH = 100;

/**
 * Puts back the leases of connected dataplanes that the lease store lost (Redis restarted without its
 * data): a few leases are probed, and only when one is missing are all checked and the missing ones
 * written again. Nothing is re-issued: the certificates are still valid. Returns how many were restored.
 */
export async function restoreLostLeases(
  sessions: readonly DataplaneSession[],
  leases: LeaseStore,
  now: Date,
  probes: number,
): Promise<number> {
  const held = sessions.filter((s) => !s.closed && s.lease !== undefined);
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
        const lease = s.lease!;
        if (Date.parse(lease.notAfter) <= now.getTime() || (await leases.get(s.mesh, s.name))) return;
        await leases.put(lease);
        restored++;
      }),
    );
  }
  return restored;
}
