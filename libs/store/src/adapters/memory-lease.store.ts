import type { Clock } from '@meshtls/util';
import type { Lease, LeaseStore } from '../ports/lease.store';

/**
 * Leases in Maps, for unit tests and the in-memory standalone mode. Expiry (of leases at `notAfter`, of
 * claims after their TTL) follows the injected clock, so tests move time instead of sleeping.
 */
export class MemoryLeaseStore implements LeaseStore {
  private readonly leases = new Map<string, Lease>();
  private readonly claims = new Map<string, { claimer: string; until: number }>();
  /** When a postponed lease is due again, if later than its rotateAt. */
  private readonly retryAt = new Map<string, number>();

  constructor(private readonly clock: Clock) {}

  async put(lease: Lease): Promise<void> {
    const id = leaseId(lease.mesh, lease.dataplane);
    this.leases.set(id, copyLease(lease));
    this.retryAt.delete(id);
  }

  async postpone(mesh: string, dataplane: string, serial: string, until: Date): Promise<boolean> {
    const id = leaseId(mesh, dataplane);
    if (this.live(id)?.serial !== serial) return false;
    this.retryAt.set(id, until.getTime());
    return true;
  }

  async get(mesh: string, dataplane: string): Promise<Lease | undefined> {
    const lease = this.live(leaseId(mesh, dataplane));
    return lease && copyLease(lease);
  }

  async delete(mesh: string, dataplane: string): Promise<void> {
    this.leases.delete(leaseId(mesh, dataplane));
  }

  async deleteIf(mesh: string, dataplane: string, serial: string): Promise<boolean> {
    const id = leaseId(mesh, dataplane);
    if (this.live(id)?.serial !== serial) return false;
    return this.leases.delete(id);
  }

  async listDue(now: Date, limit: number): Promise<Lease[]> {
    const due: Lease[] = [];
    for (const id of [...this.leases.keys()]) {
      const lease = this.live(id);
      if (lease !== undefined && this.dueAt(id, lease) <= now.getTime()) due.push(lease);
    }
    const key = (l: Lease) => this.dueAt(leaseId(l.mesh, l.dataplane), l);
    due.sort((a, b) => key(a) - key(b));
    return due.slice(0, Math.max(0, limit)).map(copyLease);
  }

  async claim(
    mesh: string,
    dataplane: string,
    serial: string,
    claimer: string,
    ttlMs: number,
  ): Promise<boolean> {
    const id = JSON.stringify([mesh, dataplane, serial]);
    const now = this.clock.now().getTime();
    const held = this.claims.get(id);
    if (held !== undefined && held.until > now) return false;
    this.claims.set(id, { claimer, until: now + ttlMs });
    return true;
  }

  private dueAt(id: string, lease: Lease): number {
    return Math.max(Date.parse(lease.rotateAt), this.retryAt.get(id) ?? 0);
  }

  async close(): Promise<void> {
    this.retryAt.clear();
    this.leases.clear();
    this.claims.clear();
  }

  /** The lease if it has not expired; an expired one is dropped, as Redis would have dropped it. */
  private live(id: string): Lease | undefined {
    const lease = this.leases.get(id);
    if (lease === undefined) return undefined;
    if (Date.parse(lease.notAfter) <= this.clock.now().getTime()) {
      this.leases.delete(id);
      return undefined;
    }
    return lease;
  }
}

function leaseId(mesh: string, dataplane: string): string {
  return JSON.stringify([mesh, dataplane]);
}

function copyLease(lease: Lease): Lease {
  return { ...lease, supportedBackends: [...lease.supportedBackends] };
}
