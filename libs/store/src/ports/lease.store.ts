import type { CertificateFacts } from '@meshtls/domain';

/**
 * A certificate lease: what the control plane knows of a dataplane's current certificate. Never holds a
 * private key. Expires from the store with the certificate (`notAfter`).
 */
export interface Lease extends CertificateFacts {
  readonly mesh: string;
  readonly dataplane: string;
  /** RFC 3339. */
  readonly rotateAt: string;
  readonly controlPlaneInstance: string;
  readonly session: string;
}

/** Lease metadata per dataplane (memory for unit tests and standalone, Redis when distributed). */
export interface LeaseStore {
  /** Creates or replaces the lease of `lease.mesh/lease.dataplane`; it expires at `notAfter`. */
  put(lease: Lease): Promise<void>;
  get(mesh: string, dataplane: string): Promise<Lease | undefined>;
  delete(mesh: string, dataplane: string): Promise<void>;
  /**
   * Deletes the lease only while it still names certificate `serial`; true when it did. A lease replaced
   * meanwhile (the dataplane reconnected and got a new certificate) is left alone.
   */
  deleteIf(mesh: string, dataplane: string, serial: string): Promise<boolean>;
  /**
   * Leaves the lease out of `listDue` until `until` (only while it still names `serial`): a rotation that
   * could not be delivered is retried then, instead of filling every batch ahead of live leases.
   * Replaced by the next `put`. True when the lease was found.
   */
  postpone(mesh: string, dataplane: string, serial: string, until: Date): Promise<boolean>;
  /** Leases whose `rotateAt` is at or before `now`, earliest first, at most `limit`. */
  listDue(now: Date, limit: number): Promise<Lease[]>;
  /**
   * Claims the rotation of one certificate (`serial`) for `claimer` for `ttlMs`: true for exactly one
   * caller until the claim expires, so a due rotation is done once even with many schedulers.
   */
  claim(mesh: string, dataplane: string, serial: string, claimer: string, ttlMs: number): Promise<boolean>;
  close(): Promise<void>;
}
