import type { IssueReason } from '@meshtls/contracts';
import { issuanceRatePerMinute, type IssuanceLimit, type MeshMtlsView } from '@meshtls/domain';
import type { Clock } from '@meshtls/util';
import { SessionClosedError, sessionKey, type DataplaneSession } from './dataplane-session';
import type { HubObserver } from './dataplane-hub.types';
import { IssuanceRateLimiter, type IssuanceDecision } from './issuance-rate-limiter';
import type { ThrottledLog } from './throttled-log';

export interface IssuancePacerDeps {
  /** Unlimited without. */
  readonly limit?: IssuanceLimit;
  readonly clock: Clock;
  /** Where refusals are logged (throttled: a peer can cause them at will). */
  readonly refusals: ThrottledLog;
  readonly observer?: HubObserver;
  /** Waits (a change's issuance waiting for the dataplane's rate); tests move a fake clock instead. */
  readonly sleep?: (ms: number) => Promise<void>;
}

/**
 * Each dataplane's issuance rate (see `issuanceRatePerMinute`), over a per-dataplane token bucket:
 * refuses (connect, rotate) or delays (mesh and tag changes) a certificate beyond it, counting and
 * logging the refusal.
 */
export class IssuancePacer {
  private readonly limiter?: IssuanceRateLimiter;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(private readonly deps: IssuancePacerDeps) {
    this.limiter = deps.limit && new IssuanceRateLimiter(deps.limit, deps.clock);
    this.sleep = deps.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)));
  }

  /**
   * Takes one certificate from the dataplane's issuance rate (see `issuanceRatePerMinute`), counting
   * and logging a refusal (unless `report` is false: a wait already reported).
   */
  takeIssuance(
    mesh: string,
    name: string,
    view: MeshMtlsView,
    reason: IssueReason,
    report = true,
  ): IssuanceDecision {
    if (!this.limiter) return { granted: true };
    const decision = this.limiter.take(
      sessionKey(mesh, name),
      issuanceRatePerMinute(this.limiter.limit.perMinute, view.validityMs),
    );
    if (!decision.granted && report) {
      const outcome = reason === 'mesh-change' || reason === 'dataplane-change' ? 'delayed' : 'refused';
      this.deps.observer?.issuanceLimited?.({ mesh, reason, outcome });
      this.deps.refusals.log(
        `${mesh}/${name} limited ${reason}`,
        `${mesh}/${name}: ${reason} certificate ${outcome}: ${this.limitText(mesh, name, view)}`,
      );
    }
    return decision;
  }

  /** Waits until the dataplane's issuance rate allows one more certificate (a mesh or tag change). */
  async awaitIssuance(session: DataplaneSession, reason: IssueReason): Promise<void> {
    for (let waited = false; ; waited = true) {
      if (session.closed) throw new SessionClosedError(`stream of ${session.key} closed`);
      const decision = this.takeIssuance(session.mesh, session.name, session.view, reason, !waited);
      if (decision.granted) return;
      await this.sleep(decision.retryAfterMs);
    }
  }

  /** Why a certificate was refused; only once one was (so with a limit). */
  limitText(mesh: string, name: string, view: MeshMtlsView): string {
    const limit = this.limiter!.limit;
    const rate = issuanceRatePerMinute(limit.perMinute, view.validityMs);
    const perMinute = Number.isInteger(rate) ? String(rate) : rate.toFixed(1);
    return `dataplane "${name}" of mesh "${mesh}" was issued as many certificates as it may be for now (${perMinute} a minute, ${limit.burst} at once)`;
  }
}
