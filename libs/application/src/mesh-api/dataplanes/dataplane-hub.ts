import type { DataplaneClientMessage, DataplaneHello, IssueReason } from '@meshtls/contracts';
import { caSwitchMtlsView, rotationRequestVerdict } from '@meshtls/domain';
import { CaSwitchCoordinator } from './ca-switch.coordinator';
import { admitDataplane, issueReasonFor } from './connect-dataplane';
import { StreamRefusedError, StreamStatus, type DataplaneChannel } from './dataplane-channel.port';
import { DataplaneSession } from './dataplane-session';
import { DataplaneAnnouncer } from './dataplane-announcer';
import { DataplaneRenewals } from './dataplane-renewals';
import type { DataplaneHubDeps, RotateOutcome } from './dataplane-hub.types';
import { IdentityDelivery } from './identity-delivery';
import { IssuancePacer } from './issuance-pacer';
import { LeaseCheck, type LeaseCheckReport } from './lease-restorer';
import { MeshChangeReactor } from './mesh-change-reactor';
import { SessionRegistry } from './session-registry';
import { ThrottledLog } from './throttled-log';
import { TrafficDistributor } from './traffic-distributor';

export type { DataplaneHubDeps, HubObserver, LimitedIssuance, RotateOutcome } from './dataplane-hub.types';

/**
 * The dataplanes connected to this replica: admits each stream, gets its certificate, keeps its lease,
 * and re-issues only on the triggers of the rotation rules (rotation due, restart, reconnect, mTLS or tag
 * changes). Transport-free: gRPC (or a test) hands it a channel per stream. A coordinator: sessions, the
 * issuance rate (`IssuancePacer`), certificates and bundles (`IdentityDelivery`), renewals, store changes
 * (`MeshChangeReactor`), lease checks (`LeaseCheck`) and CA switches (`CaSwitchCoordinator`).
 */
export class DataplaneHub {
  private readonly sessions = new SessionRegistry();
  private readonly traffic: TrafficDistributor;
  private readonly announce: DataplaneAnnouncer;
  private readonly pacer: IssuancePacer;
  private readonly delivery: IdentityDelivery;
  private readonly renewals: DataplaneRenewals;
  private readonly reactor: MeshChangeReactor;
  readonly caSwitches: CaSwitchCoordinator; // metrics read its pending()
  /** Refusals a peer can cause at will are logged at most every 10 s per dataplane and kind. */
  private readonly refusals: ThrottledLog;
  private readonly leaseCheck: LeaseCheck;

  constructor(private readonly deps: DataplaneHubDeps) {
    const { clock, log, observer } = deps;
    this.refusals = new ThrottledLog((m) => log?.('warn', m), clock);
    this.pacer = new IssuancePacer({
      limit: deps.issuanceLimit,
      clock,
      refusals: this.refusals,
      observer,
      sleep: deps.sleep,
    });
    const failed = (session: DataplaneSession, error: Error) => this.failed(session, error);
    this.traffic = new TrafficDistributor({
      store: deps.store,
      leases: deps.leases,
      sessions: () => this.sessions.values(),
      debounceMs: deps.trafficDebounceMs,
      onError: failed,
      onRefused: (session, problem) => {
        log?.(
          'warn',
          `${session.key}: traffic message not sent: it ${problem}; the dataplane keeps the last one it was sent`,
        );
        observer?.trafficRefused?.({ mesh: session.mesh });
      },
    });
    this.announce = new DataplaneAnnouncer({ bus: deps.bus, clock, instance: deps.instance, log });
    this.delivery = new IdentityDelivery({
      issuer: deps.issuer,
      leases: deps.leases,
      announce: this.announce,
      instance: deps.instance,
      csrTimeoutMs: deps.csrTimeoutMs ?? 15_000,
      log,
      observer,
    });
    const { pacer, delivery } = this;
    this.renewals = new DataplaneRenewals({ clock, pacer, delivery, failed, log, observer });
    this.leaseCheck = new LeaseCheck(deps.leases, clock, (session, lease) =>
      this.renewals.reissueExpired(session, lease),
    );
    this.caSwitches = new CaSwitchCoordinator({
      store: deps.store,
      clock,
      instance: deps.instance,
      sessions: this.sessions,
      endStream: (session, message) => this.end(session, StreamStatus.Unavailable, message),
      options: deps.caSwitch,
      log,
      observer,
    });
    this.reactor = new MeshChangeReactor({
      caSwitches: this.caSwitches,
      sessions: this.sessions,
      traffic: this.traffic,
      delivery,
      pacer,
      issuer: deps.issuer,
      end: (session, status, message) => this.end(session, status, message),
      failed,
      log,
      observer,
    });
  }

  /**
   * Admits a stream and gives it its identity; throws `StreamRefusedError` with the reason.
   * `onAdmitted` gets the session as soon as it exists, so the transport can route its messages (a CSR
   * asked for by a change arriving during the first issuance) before the first identity is sent.
   */
  async connect(
    channel: DataplaneChannel,
    hello: DataplaneHello,
    onAdmitted?: (session: DataplaneSession) => void,
  ): Promise<DataplaneSession> {
    const admitted = await admitDataplane(hello, this.deps);
    const view = this.sessions.views.share(
      hello.mesh,
      caSwitchMtlsView(admitted.mesh, this.caSwitches.switchOf(hello.mesh)),
    );
    const reason = await issueReasonFor(hello, this.deps.leases, this.deps.instance);
    // Refused before it takes anything over: a stream beyond the rate leaves the current one alone.
    if (view.enabledBackend !== undefined) {
      const decision = this.pacer.takeIssuance(hello.mesh, hello.name, view, reason);
      if (!decision.granted) {
        throw new StreamRefusedError(
          StreamStatus.ResourceExhausted,
          `${this.pacer.limitText(hello.mesh, hello.name, view)}: connect again in ${Math.ceil(decision.retryAfterMs / 1000)} s`,
          'rate-limited',
        );
      }
    }
    const session = new DataplaneSession(
      hello.mesh,
      hello.name,
      hello.session,
      channel,
      hello.csrPem !== undefined,
      admitted.spec,
      view,
      this.deps.clock.now().toISOString(),
    );
    const previous = this.sessions.add(session);
    this.caSwitches.progressChanged();
    onAdmitted?.(session);
    this.announce.connection(session, 'connected');
    if (previous) {
      // The newer stream wins; the older one is told so, and its dataplane backs off before trying again.
      previous.markClosed();
      this.announce.connection(previous, 'disconnected', 'replaced');
      previous.channel.close(
        StreamStatus.Aborted,
        'replaced by a newer stream of the same dataplane',
        'replaced',
      );
    }
    await session.serialize(async () => {
      if (session.view.enabledBackend === undefined) {
        channel.send({ type: 'withdrawn', reason: `mTLS is disabled on mesh "${hello.mesh}"` });
        return;
      }
      await this.delivery.issueTo(
        session,
        reason,
        hello.csrPem === undefined ? undefined : { csrPem: hello.csrPem, requestId: hello.requestId },
      );
    });
    await this.traffic.send(session);
    return session;
  }

  /** A message on an admitted stream. */
  onMessage(session: DataplaneSession, message: DataplaneClientMessage): void {
    if (message.type === 'csr' && message.reason === 'renewal') {
      this.renewals.renewOnRequest(session, { csrPem: message.csrPem, requestId: message.requestId });
    } else if (message.type === 'csr') {
      if (!session.receiveCsr(message.requestId, message.csrPem)) {
        this.deps.log?.('debug', `${session.key}: CSR for unknown request ${message.requestId}`);
      }
    } else if (message.type === 'ack' && message.error) {
      this.deps.log?.('warn', `${session.key} could not apply ${message.serial}: ${message.error}`);
    } else if (message.type === 'ack') {
      if (session.acknowledged(message)) this.caSwitches.progressChanged();
    }
  }

  /** The stream ended. The lease stays: the dataplane keeps its certificate and may reconnect anywhere. */
  disconnect(session: DataplaneSession): void {
    session.markClosed();
    this.announce.connection(session, 'disconnected');
    this.sessions.removeIfCurrent(session);
    this.caSwitches.progressChanged();
  }

  /**
   * A rotation asked for by the scheduler: done only for the certificate the dataplane holds, once its
   * lease is due, and within the dataplane's issuance rate. Anything else is refused (logged, counted)
   * and changes nothing, so replaying or forging requests re-issues nothing.
   */
  async rotate(request: {
    mesh: string;
    dataplane: string;
    serial: string;
    reason: IssueReason;
  }): Promise<RotateOutcome> {
    const session = this.sessions.get(request.mesh, request.dataplane);
    if (!session) return { status: 'not-connected' };
    return session.serialize(async (): Promise<RotateOutcome> => {
      if (session.closed) return { status: 'not-connected' };
      const verdict = rotationRequestVerdict(session.lease, request.serial, this.deps.clock.now());
      if (verdict !== 'rotate') {
        this.deps.observer?.rotationRefused?.({ mesh: session.mesh, reason: verdict });
        this.refusals.log(
          `${session.key} rotation ${verdict}`,
          verdict === 'stale'
            ? `${session.key}: rotation of certificate ${request.serial} refused: the dataplane holds ${session.serial ?? 'none'}`
            : `${session.key}: rotation of certificate ${request.serial} refused: not due before ${session.lease!.rotateAt}`,
        );
        return { status: verdict };
      }
      const decision = this.pacer.takeIssuance(session.mesh, session.name, session.view, 'rotation');
      if (!decision.granted) {
        return {
          status: 'rate-limited',
          detail: this.pacer.limitText(session.mesh, session.name, session.view),
          retryAfterMs: decision.retryAfterMs,
        };
      }
      try {
        await this.delivery.issueTo(session, request.reason);
        return { status: 'rotated' };
      } catch (error) {
        if (error instanceof StreamRefusedError) this.end(session, error.status, error.message, error.reason);
        return { status: 'failed', detail: (error as Error).message };
      }
    });
  }

  /**
   * Follows Mesh, Dataplane and MeshTrafficPermission changes and certificates issued by every replica;
   * returns the function that stops following.
   */
  followChanges(): () => Promise<void> {
    const unwatch = this.deps.store.watch((change) => {
      // Never a rejection nobody handles: that would end the process, and every stream with it.
      this.reactor.onChange(change).catch((error: unknown) => this.reactor.changeFailed(change, error));
    });
    const unfollow = this.traffic.followIssuance(this.deps.bus);
    const started = this.caSwitches
      .start()
      .catch((error: Error) => this.deps.log?.('warn', `CA switches not followed: ${error.message}`));
    return async () => {
      unwatch();
      unfollow();
      await started;
      await this.caSwitches.stop();
    };
  }

  /** The lease check (see `LeaseCheck`). */
  restoreLostLeases(probes = 3): Promise<LeaseCheckReport> {
    return this.leaseCheck.run([...this.sessions.values()], probes);
  }

  /** Streams connected to this replica now. */
  get connected(): number {
    return this.sessions.size;
  }

  /** Connected dataplanes whose latest traffic message could not be sent (they keep the previous one). */
  get trafficWithheld(): number {
    let n = 0;
    for (const session of this.sessions.values()) if (session.trafficProblem !== undefined) n++;
    return n;
  }

  /** Ends every stream (shutdown): dataplanes reconnect to another replica. */
  closeAll(message: string): void {
    for (const session of this.sessions.values()) {
      session.markClosed();
      this.announce.connection(session, 'disconnected');
      session.channel.close(StreamStatus.Unavailable, message);
    }
    this.sessions.clear();
  }

  private end(
    session: DataplaneSession,
    status: StreamStatus,
    message: string,
    reason?: StreamRefusedError['reason'],
  ): void {
    this.disconnect(session);
    session.channel.close(status, message, reason);
  }

  /** Work on a session failed: logged; a refusal (a CSR that cannot be signed) ends its stream with why. */
  private failed(session: DataplaneSession, error: Error): void {
    this.deps.log?.('warn', `${session.key}: ${error.message}`);
    if (error instanceof StreamRefusedError) this.end(session, error.status, error.message, error.reason);
  }
}
