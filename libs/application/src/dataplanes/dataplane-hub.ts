import {
  type DataplaneClientMessage,
  type DataplaneHello,
  type IssueReason,
  type TrustAnchorDto,
} from '@meshtls/contracts';
import {
  ResourceType,
  certificateState,
  dataplaneIdentityChanged,
  issuanceRatePerMinute,
  formatKey,
  meshChangeAction,
  meshMtlsView,
  rotateAtOf,
  rotationRequestVerdict,
  type DataplaneSpec,
  type IssuanceLimit,
  type MeshMtlsView,
  type MeshSpec,
} from '@meshtls/domain';
import { CSR_INVALID } from '@meshtls/pki';
import type { Lease, LeaseStore, MessageBus, ResourceChange, ResourceStore } from '@meshtls/store';
import { MeshError, type Clock } from '@meshtls/util';
import { admitDataplane, type DataplaneAuthorizer } from './connect-dataplane';
import { StreamRefusedError, StreamStatus, type DataplaneChannel } from './dataplane-channel.port';
import type { DataplaneTokenVerifier } from './dataplane-token.port';
import { DataplaneSession, SessionClosedError, sessionKey } from './dataplane-session';
import type { IdentityIssuer } from './identity-issuer';
import { DataplaneAnnouncer } from './dataplane-announcer';
import { IssuanceRateLimiter, type IssuanceDecision } from './issuance-rate-limiter';
import { reissueExpiredLeases, restoreLiveLeases, type LeaseCheckReport } from './lease-restorer';
import { ThrottledLog } from './throttled-log';
import { TrafficDistributor } from './traffic-distributor';

export interface DataplaneHubDeps {
  readonly store: ResourceStore;
  readonly leases: LeaseStore;
  readonly bus: MessageBus;
  readonly issuer: IdentityIssuer;
  readonly tokens: DataplaneTokenVerifier;
  readonly authorize: DataplaneAuthorizer;
  readonly clock: Clock;
  /** This replica as leases name it: `{instanceId}@{bootId}`, so a restart is told from a reconnect. */
  readonly instance: string;
  readonly csrTimeoutMs?: number;
  /** How long changes are gathered before traffic messages go out (one message per burst of changes). */
  readonly trafficDebounceMs?: number;
  readonly log?: (level: 'info' | 'warn' | 'debug', message: string) => void;
  /** Told of every issuance (for metrics). */
  readonly observer?: HubObserver;
  /**
   * How many certificates one dataplane may be issued, whatever asks (rotation, reconnects, restarts,
   * mesh and tag changes); unlimited without. Per replica.
   */
  readonly issuanceLimit?: IssuanceLimit;
  /** Waits (a change's issuance waiting for the dataplane's rate); tests move a fake clock instead. */
  readonly sleep?: (ms: number) => Promise<void>;
}

/** What asked for a certificate beyond the dataplane's rate, and what became of it. */
export type LimitedIssuance = {
  mesh: string;
  reason: IssueReason;
  /** `refused`: connect and rotate requests (asked again later); `delayed`: mesh and tag changes. */
  outcome: 'refused' | 'delayed';
};

export interface HubObserver {
  issued(event: { mesh: string; backend: string; reason: IssueReason; seconds: number }): void;
  failed(event: { mesh: string; reason: IssueReason; error: Error }): void;
  /** A rotate request was refused: it named another certificate than the one held, or one not due yet. */
  rotationRefused?(event: { mesh: string; reason: 'stale' | 'not-due' }): void;
  /** An issuance asked beyond the dataplane's issuance rate. */
  issuanceLimited?(event: LimitedIssuance): void;
  /** A traffic message was not sent: the stream could not carry it (too large for its schema). */
  trafficRefused?(event: { mesh: string }): void;
  /** A store change could not be applied to the connected dataplanes (logged; the hub goes on). */
  changeFailed?(event: { type: string; error: Error }): void;
  /** A dataplane asked for a new certificate itself: honoured (its certificate was due) or ignored. */
  renewalRequested?(event: { mesh: string; honoured: boolean }): void;
}

export type RotateOutcome = {
  status: 'rotated' | 'not-connected' | 'stale' | 'not-due' | 'rate-limited' | 'failed';
  detail?: string;
  retryAfterMs?: number;
};

/**
 * The dataplanes connected to this replica: admits each stream, gets its certificate, keeps its lease,
 * and re-issues only on the triggers of the rotation rules (rotation due, restart, reconnect, mTLS or tag
 * changes). Transport-free: gRPC (or a test) hands it a channel per stream.
 */
export class DataplaneHub {
  private readonly sessions = new Map<string, DataplaneSession>();
  private readonly csrTimeoutMs: number;
  private readonly traffic: TrafficDistributor;
  private readonly announce: DataplaneAnnouncer;
  private readonly limiter?: IssuanceRateLimiter;
  private readonly sleep: (ms: number) => Promise<void>;
  /** Refusals a peer can cause at will are logged at most every 10 s per dataplane and kind. */
  private readonly refusals: ThrottledLog;
  /** Sessions with a renewal (asked by the dataplane, or of an expired certificate) queued or running. */
  private readonly renewing = new WeakSet<DataplaneSession>();
  /** The lease check's store part in progress (it waits while the store is away). */
  private restoring?: Promise<number>;

  constructor(private readonly deps: DataplaneHubDeps) {
    this.csrTimeoutMs = deps.csrTimeoutMs ?? 15_000;
    this.limiter = deps.issuanceLimit && new IssuanceRateLimiter(deps.issuanceLimit, deps.clock);
    this.sleep = deps.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)));
    this.refusals = new ThrottledLog((m) => deps.log?.('warn', m), deps.clock);
    this.traffic = new TrafficDistributor({
      store: deps.store,
      leases: deps.leases,
      sessions: () => this.sessions.values(),
      debounceMs: deps.trafficDebounceMs,
      onError: (session, error) => this.failed(session, error),
      onRefused: (session, problem) => {
        this.deps.log?.(
          'warn',
          `${session.key}: traffic message not sent: it ${problem}; the dataplane keeps the last one it was sent`,
        );
        this.deps.observer?.trafficRefused?.({ mesh: session.mesh });
      },
    });
    this.announce = new DataplaneAnnouncer({
      bus: deps.bus,
      clock: deps.clock,
      instance: deps.instance,
      log: deps.log,
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
    const view = meshMtlsView(admitted.mesh);
    const reason = await this.reasonFor(hello);
    // Refused before it takes anything over: a stream beyond the rate leaves the current one alone.
    if (view.enabledBackend !== undefined) {
      const decision = this.takeIssuance(hello.mesh, hello.name, view, reason);
      if (!decision.granted) {
        throw new StreamRefusedError(
          StreamStatus.ResourceExhausted,
          `${this.limitText(hello.mesh, hello.name, view)}: connect again in ${Math.ceil(decision.retryAfterMs / 1000)} s`,
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
    const previous = this.sessions.get(session.key);
    this.sessions.set(session.key, session);
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
      await this.issueTo(
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
      this.renewOnRequest(session, { csrPem: message.csrPem, requestId: message.requestId });
    } else if (message.type === 'csr') {
      if (!session.receiveCsr(message.requestId, message.csrPem)) {
        this.deps.log?.('debug', `${session.key}: CSR for unknown request ${message.requestId}`);
      }
    } else if (message.type === 'ack' && message.error) {
      this.deps.log?.('warn', `${session.key} could not apply ${message.serial}: ${message.error}`);
    }
  }

  /** The stream ended. The lease stays: the dataplane keeps its certificate and may reconnect anywhere. */
  disconnect(session: DataplaneSession): void {
    session.markClosed();
    this.announce.connection(session, 'disconnected');
    if (this.sessions.get(session.key) === session) this.sessions.delete(session.key);
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
    const session = this.sessions.get(sessionKey(request.mesh, request.dataplane));
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
      const decision = this.takeIssuance(session.mesh, session.name, session.view, 'rotation');
      if (!decision.granted) {
        return {
          status: 'rate-limited',
          detail: this.limitText(session.mesh, session.name, session.view),
          retryAfterMs: decision.retryAfterMs,
        };
      }
      try {
        await this.issueTo(session, request.reason);
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
  followChanges(): () => void {
    const unwatch = this.deps.store.watch((change) => {
      // Never a rejection nobody handles: that would end the process, and every stream with it.
      this.onChange(change).catch((error: unknown) => this.changeFailed(change, error));
    });
    const unfollow = this.traffic.followIssuance(this.deps.bus);
    return () => {
      unwatch();
      unfollow();
    };
  }

  /**
   * The lease check (see `lease-restorer.ts`): re-issues at once the certificates that expired on
   * dataplanes connected here, whether the lease store answers or not, then puts back the leases the
   * store lost. While an earlier check still waits on the store (Redis away), the store is left alone
   * (`restored` 0), so checks do not pile up and then all rewrite every lease at once when it is back.
   */
  async restoreLostLeases(probes = 3): Promise<LeaseCheckReport> {
    const now = this.deps.clock.now();
    const { live, expired } = reissueExpiredLeases([...this.sessions.values()], now, (session, lease) =>
      this.reissueExpired(session, lease),
    );
    if (this.restoring) return { restored: 0, expired };
    const restoring = restoreLiveLeases(live, this.deps.leases, now, probes);
    this.restoring = restoring;
    try {
      return { restored: await restoring, expired };
    } finally {
      this.restoring = undefined;
    }
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

  /**
   * A dataplane asks for a new certificate itself (its rotation is overdue by its own count). Honoured
   * only when the certificate this replica gave it is due or expired, judged after any work queued before
   * (a rotation that was on its way makes it not due any more); otherwise ignored with a log line.
   */
  private renewOnRequest(session: DataplaneSession, csr: { csrPem: string; requestId: string }): void {
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
      if (!this.takeIssuance(session.mesh, session.name, session.view, 'rotation').granted) return;
      this.deps.log?.('info', `${session.key}: renews ${lease!.serial} on its own request (${why})`);
      await this.issueTo(session, 'rotation', csr);
    });
    if (!queued)
      this.deps.log?.('debug', `${session.key}: asked for a renewal while one is under way; dropped`);
  }

  /**
   * A certificate that expired on a connected dataplane without being rotated (see the lease check) is
   * re-issued at once, unless it was replaced meanwhile or a renewal is already under way.
   */
  private reissueExpired(session: DataplaneSession, expired: Lease): void {
    this.renewOnce(session, async () => {
      if (session.lease?.serial !== expired.serial) return;
      this.deps.log?.(
        'warn',
        `${session.key}: certificate ${expired.serial} expired at ${expired.notAfter} without being rotated; issuing a new one`,
      );
      await this.awaitIssuance(session, 'rotation');
      await this.issueTo(session, 'rotation');
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
      .catch((e: Error) => this.failed(session, e));
    return true;
  }

  private async onChange(change: ResourceChange): Promise<void> {
    this.traffic.storeChanged(change);
    const key = change.kind === 'upsert' ? change.record.meta : change.key;
    if (key.type === ResourceType.Mesh) {
      const mine = [...this.sessions.values()].filter((s) => s.mesh === key.name);
      if (change.kind === 'delete') {
        for (const s of mine) this.end(s, StreamStatus.NotFound, `mesh "${key.name}" was deleted`);
        return;
      }
      // One view and at most one bundle read per change, however many dataplanes of the mesh are here.
      const spec = change.record.spec as MeshSpec;
      const view = meshMtlsView(spec);
      let bundle: Promise<TrustAnchorDto[]> | undefined;
      const bundleOnce = () => (bundle ??= this.deps.issuer.trustBundle(key.name, spec));
      await Promise.all(mine.map((s) => this.applyMesh(s, view, bundleOnce)));
      this.traffic.meshChanged(key.name);
    } else if (key.type === ResourceType.Dataplane && key.mesh !== undefined) {
      const session = this.sessions.get(sessionKey(key.mesh, key.name));
      if (!session) return;
      if (change.kind === 'delete')
        return this.end(session, StreamStatus.NotFound, 'its Dataplane resource was deleted');
      const spec = change.record.spec as DataplaneSpec;
      const changed = dataplaneIdentityChanged(session.mesh, session.spec, spec);
      session.spec = spec;
      if (changed && session.view.enabledBackend !== undefined) {
        await session
          .serialize(async () => {
            await this.awaitIssuance(session, 'dataplane-change');
            await this.issueTo(session, 'dataplane-change');
          })
          .catch((e: Error) => this.failed(session, e));
      }
    }
  }

  private applyMesh(
    session: DataplaneSession,
    view: MeshMtlsView,
    bundleOnce: () => Promise<TrustAnchorDto[]>,
  ): Promise<void> {
    return session
      .serialize(async () => {
        const action = meshChangeAction(session.view, view);
        if (action === 'none') return;
        if (action === 'withdraw') {
          session.view = view;
          session.channel.send({ type: 'withdrawn', reason: `mTLS was disabled on mesh "${session.mesh}"` });
          if (session.serial) await this.deps.leases.deleteIf(session.mesh, session.name, session.serial);
          session.lease = undefined;
          await this.announce.certificate(session, { reason: 'mesh-change', withdrawn: true });
          return;
        }
        if (action === 'trust') {
          const trustBundle = await bundleOnce();
          const missing = view.supportedBackends.filter((b) => !trustBundle.some((a) => a.backend === b));
          if (missing.length > 0) {
            this.deps.log?.('warn', `${session.key}: no CA readable for backends ${missing.join(', ')}`);
          }
          session.channel.send({
            type: 'trust',
            supportedBackends: [...view.supportedBackends],
            trustBundle,
          });
          session.view = view;
          return;
        }
        session.view = view;
        await this.awaitIssuance(session, 'mesh-change');
        await this.issueTo(session, 'mesh-change');
      })
      .catch((e: Error) => this.failed(session, e));
  }

  /**
   * Gets a certificate (asking the dataplane for a CSR unless it came with the trigger), sends it, and
   * records the lease.
   */
  private async issueTo(
    session: DataplaneSession,
    reason: IssueReason,
    given?: { csrPem: string; requestId?: string },
  ): Promise<void> {
    const started = process.hrtime.bigint();
    try {
      await this.issueOnce(session, reason, given, started);
    } catch (error) {
      this.deps.observer?.failed({ mesh: session.mesh, reason, error: error as Error });
      throw csrRefusal(error) ?? error;
    }
  }

  /**
   * Takes one certificate from the dataplane's issuance rate (see `issuanceRatePerMinute`), counting
   * and logging a refusal (unless `report` is false: a wait already reported).
   */
  private takeIssuance(
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
      this.refusals.log(
        `${mesh}/${name} limited ${reason}`,
        `${mesh}/${name}: ${reason} certificate ${outcome}: ${this.limitText(mesh, name, view)}`,
      );
    }
    return decision;
  }

  /** Waits until the dataplane's issuance rate allows one more certificate (a mesh or tag change). */
  private async awaitIssuance(session: DataplaneSession, reason: IssueReason): Promise<void> {
    for (let waited = false; ; waited = true) {
      if (session.closed) throw new SessionClosedError(`stream of ${session.key} closed`);
      const decision = this.takeIssuance(session.mesh, session.name, session.view, reason, !waited);
      if (decision.granted) return;
      await this.sleep(decision.retryAfterMs);
    }
  }

  private limitText(mesh: string, name: string, view: MeshMtlsView): string {
    const limit = this.limiter!.limit;
    const rate = issuanceRatePerMinute(limit.perMinute, view.validityMs);
    const perMinute = Number.isInteger(rate) ? String(rate) : rate.toFixed(1);
    return `dataplane "${name}" of mesh "${mesh}" was issued as many certificates as it may be for now (${perMinute} a minute, ${limit.burst} at once)`;
  }

  private async issueOnce(
    session: DataplaneSession,
    reason: IssueReason,
    given: { csrPem: string; requestId?: string } | undefined,
    started: bigint,
  ): Promise<void> {
    const csr =
      given ??
      (session.sendsCsr ? await session.requestCsr(reason, 'ec-p256', this.csrTimeoutMs) : undefined);
    // The issuer signs from this replica's store as it is now (Mesh, Dataplane, enabled backend): at least
    // as new as the session's view, which the same store's watch feeds.
    const { certificate, trustBundle, keyPem } = await this.deps.issuer.issue({
      mesh: session.mesh,
      dataplane: session.name,
      csrPem: csr?.csrPem,
      reason,
    });
    if (session.closed) return;
    this.deps.observer?.issued({
      mesh: session.mesh,
      backend: certificate.backend,
      reason,
      seconds: Number(process.hrtime.bigint() - started) / 1e9,
    });
    const rotateAt = rotateAtOf(
      new Date(certificate.notBefore),
      new Date(certificate.notAfter),
    ).toISOString();
    const supportedBackends = trustBundle.map((a) => a.backend);
    session.channel.send({
      type: 'identity',
      reason,
      ...certificate,
      ...(keyPem === undefined ? {} : { keyPem }),
      ...(csr?.requestId ? { requestId: csr.requestId } : {}),
      rotateAt,
      supportedBackends,
      trustBundle,
      mode: session.view.mode ?? 'STRICT',
    });
    const lease: Lease = {
      mesh: session.mesh,
      dataplane: session.name,
      serial: certificate.serial,
      notBefore: certificate.notBefore,
      notAfter: certificate.notAfter,
      rotateAt,
      backend: certificate.backend,
      supportedBackends,
      controlPlaneInstance: this.deps.instance,
      session: session.session,
    };
    session.lease = lease;
    this.writeLease(session, lease);
    await this.announce.certificate(session, { ...certificate, supportedBackends, reason, withdrawn: false });
    this.deps.log?.('debug', `${session.key}: issued ${certificate.serial} (${reason})`);
  }

  /**
   * Not awaited by the issuance: a lease store that is away (Redis down) would otherwise hold every later
   * certificate of this dataplane behind the write, its own renewals included. Writes go out in order on
   * the store's one connection, so the last one written is the newest; one that fails is logged, and the
   * lease check puts a lost lease back.
   */
  private writeLease(session: DataplaneSession, lease: Lease): void {
    this.deps.leases
      .put(lease)
      .catch((e: Error) =>
        this.deps.log?.('warn', `${session.key}: could not write the lease of ${lease.serial}: ${e.message}`),
      );
  }

  private async reasonFor(hello: DataplaneHello): Promise<IssueReason> {
    const lease = await this.deps.leases.get(hello.mesh, hello.name);
    if (!lease) return 'new';
    if (lease.session !== hello.session) return 'restart';
    const [heldBy] = lease.controlPlaneInstance.split('@');
    const [me] = this.deps.instance.split('@');
    if (heldBy === me && lease.controlPlaneInstance !== this.deps.instance) return 'control-plane-restart';
    return 'reconnect';
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

  private changeFailed(change: ResourceChange, error: unknown): void {
    const key = change.kind === 'upsert' ? change.record.meta : change.key;
    const cause = error instanceof Error ? error : new Error(String(error));
    this.deps.log?.('warn', `change of ${formatKey(key)} not applied to its dataplanes: ${cause.message}`);
    this.deps.observer?.changeFailed?.({ type: key.type, error: cause });
  }
}

/**
 * A CSR refused by the issuance path (its proof of possession does not verify, or it cannot be read)
 * cannot be signed however often it is sent again: the dataplane is told so (INVALID_ARGUMENT), and
 * makes a new key and CSR.
 */
function csrRefusal(error: unknown): StreamRefusedError | undefined {
  if (!(error instanceof MeshError) || error.code !== CSR_INVALID) return undefined;
  return new StreamRefusedError(StreamStatus.InvalidArgument, `CSR refused: ${error.message}`, 'csr-refused');
}
