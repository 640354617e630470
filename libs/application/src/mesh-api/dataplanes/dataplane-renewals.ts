import { certificateState } from '@meshtls/domain';
import type { Lease } from '@meshtls/store';
import type { Clock } from '@meshtls/util';
import type { DataplaneSession } from './dataplane-session';
import type { HubLog, HubObserver } from './dataplane-hub.types';
import type { IdentityDelivery } from './identity-delivery';
import type { IssuancePacer } from './issuance-pacer';

export interface DataplaneRenewalsDeps {
  readonly clock: Clock;
  readonly pacer: IssuancePacer;
  readonly delivery: IdentityDelivery;
  /** Work on a session failed (logged; a refusal ends its stream). */
  readonly failed: (session: DataplaneSession, error: Error) => void;
  readonly log?: HubLog;
  readonly observer?: HubObserver;
}

/**
 * Certificates renewed outside the rotation scheduler: asked for by the dataplane itself, or expired on
 * a connected dataplane without being rotated. One renewal per dataplane at a time.
 */
export class DataplaneRenewals {
  /** Sessions with a renewal (asked by the dataplane, or of an expired certificate) queued or running. */
  private readonly renewing = new WeakSet<DataplaneSession>();

  constructor(private readonly deps: DataplaneRenewalsDeps) {}

  /**
   * A dataplane asks for a new certificate itself (its rotation is overdue by its own count). Honoured
   * only when the certificate this replica gave it is due or expired, judged after any work queued before
   * (a rotation that was on its way makes it not due any more); otherwise ignored with a log line.
   */
  renewOnRequest(session: DataplaneSession, csr: { csrPem: string; requestId: string }): void {
    const queued = this.renewOnce(session, async () => {
      const lease = session.lease;
      const state =
        lease &&
        certificateState(
          { rotateAt: new Date(lease.rotateAt), notAfter: new Date(lease.notAfter) },
          this.deps.clock.now(),
        );
      const honoured = state === 'due' || state === 'expired';
      this.deps.observer?.renewalRequested?.({ mesh: session.mesh, honoured });
      if (!honoured) {
        this.deps.log?.(
          'info',
          lease === undefined
            ? `${session.key}: asked for a renewal without a certificate from this replica; ignored`
            : `${session.key}: asked for a renewal of ${lease.serial}, not due before ${lease.rotateAt}; ignored`,
        );
        return;
      }
      const why = state === 'expired' ? `expired at ${lease!.notAfter}` : `due since ${lease!.rotateAt}`;
      // Within the dataplane's issuance rate like every other trigger; refused, it asks again later.
      if (!this.deps.pacer.takeIssuance(session.mesh, session.name, session.view, 'rotation').granted) return;
      this.deps.log?.('info', `${session.key}: renews ${lease!.serial} on its own request (${why})`);
      await this.deps.delivery.issueTo(session, 'rotation', csr);
    });
    if (!queued)
      this.deps.log?.('debug', `${session.key}: asked for a renewal while one is under way; dropped`);
  }

  /**
   * A certificate that expired on a connected dataplane without being rotated (see the lease check) is
   * re-issued at once, unless it was replaced meanwhile or a renewal is already under way.
   */
  reissueExpired(session: DataplaneSession, expired: Lease): void {
    this.renewOnce(session, async () => {
      if (session.lease?.serial !== expired.serial) return;
      this.deps.log?.(
        'warn',
        `${session.key}: certificate ${expired.serial} expired at ${expired.notAfter} without being rotated; issuing a new one`,
      );
      await this.deps.pacer.awaitIssuance(session, 'rotation');
      await this.deps.delivery.issueTo(session, 'rotation');
    });
  }

  /**
   * Runs a renewal in the session's order, one per dataplane at a time: while one is queued or running,
   * another is dropped (false) rather than queued behind it, so asks repeated while ca-signer is slow or
   * away do not pile up (the dataplane asks again, the lease check comes again).
   */
  private renewOnce(session: DataplaneSession, work: () => Promise<void>): boolean {
    if (this.renewing.has(session)) return false;
    this.renewing.add(session);
    void session
      .serialize(async () => {
        try {
          if (!session.closed) await work();
        } finally {
          this.renewing.delete(session);
        }
      })
      .catch((e: Error) => this.deps.failed(session, e));
    return true;
  }
}
