import {
  trustBundle as trustBundleContract,
  type DataplaneClientMessage,
  type DataplaneHello,
  type IssueReason,
  type TrustAnchorDto,
} from '@meshtls/contracts';
import {
  ResourceType,
  certificateState,
  dataplaneIdentityChanged,
  meshChangeAction,
  meshMtlsView,
  rotateAtOf,
  type DataplaneSpec,
  type MeshMtlsView,
  type MeshSpec,
} from '@meshtls/domain';
import type { Lease, LeaseStore, MessageBus, ResourceChange, ResourceStore } from '@meshtls/store';
import type { Clock } from '@meshtls/util';
import { admitDataplane, type DataplaneAuthorizer } from './connect-dataplane';
import { StreamStatus, type DataplaneChannel } from './dataplane-channel.port';
import type { DataplaneTokenVerifier } from './dataplane-token.port';
import { DataplaneSession, sessionKey } from './dataplane-session';
import type { IdentityIssuer } from './identity-issuer';
import { DataplaneAnnouncer } from './dataplane-announcer';
import { reissueExpiredLeases, restoreLiveLeases, type LeaseCheckReport } from './lease-restorer';
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
}

export interface HubObserver {
  issued(event: { mesh: string; backend: string; reason: IssueReason; seconds: number }): void;
  failed(event: { mesh: string; reason: IssueReason; error: Error }): void;
  /** A dataplane asked for a new certificate itself: honoured (its certificate was due) or ignored. */
  renewalRequested?(event: { mesh: string; honoured: boolean }): void;
}

export type RotateOutcome = { status: 'rotated' | 'not-connected' | 'stale' | 'failed'; detail?: string };

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
  /** Sessions with a renewal (asked by the dataplane, or of an expired certificate) queued or running. */
  private readonly renewing = new WeakSet<DataplaneSession>();
  /** The lease check's store part in progress (it waits while the store is away). */
  private restoring?: Promise<number>;

  constructor(private readonly deps: DataplaneHubDeps) {
    this.csrTimeoutMs = deps.csrTimeoutMs ?? 15_000;
    this.traffic = new TrafficDistributor({
      store: deps.store,
      leases: deps.leases,
      sessions: () => this.sessions.values(),
      debounceMs: deps.trafficDebounceMs,
      onError: (session, error) => this.failed(session, error),
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
    const session = new DataplaneSession(
      hello.mesh,
      hello.name,
      hello.session,
      channel,
      hello.csrPem !== undefined,
      admitted.spec,
      meshMtlsView(admitted.mesh),
      this.deps.clock.now().toISOString(),
    );
    const previous = this.sessions.get(session.key);
    this.sessions.set(session.key, session);
    onAdmitted?.(session);
    this.announce.connection(session, 'connected');
    if (previous) {
      previous.markClosed();
      this.announce.connection(previous, 'disconnected');
      previous.channel.close(StreamStatus.Unavailable, 'replaced by a newer stream of the same dataplane');
    }
    const reason = await this.reasonFor(hello);
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

  /** A rotation asked for by the scheduler. */
  async rotate(request: {
    mesh: string;
    dataplane: string;
    serial: string;
    reason: IssueReason;
  }): Promise<RotateOutcome> {
    const session = this.sessions.get(sessionKey(request.mesh, request.dataplane));
    if (!session) return { status: 'not-connected' };
    return session.serialize(async () => {
      if (session.closed) return { status: 'not-connected' as const };
      if (session.serial !== request.serial) return { status: 'stale' as const };
      try {
        await this.issueTo(session, request.reason);
        return { status: 'rotated' as const };
      } catch (error) {
        return { status: 'failed' as const, detail: (error as Error).message };
      }
    });
  }

  /**
   * Follows Mesh, Dataplane and MeshTrafficPermission changes and certificates issued by every replica;
   * returns the function that stops following.
   */
  followChanges(): () => void {
    const unwatch = this.deps.store.watch((change) => void this.onChange(change));
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
      // One view and at most one bundle request per change, however many dataplanes of the mesh are here.
      const view = meshMtlsView(change.record.spec as MeshSpec);
      let bundle: Promise<TrustAnchorDto[]> | undefined;
      const bundleOnce = () => (bundle ??= this.currentBundle(key.name, view.supportedBackends));
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
          .serialize(() => this.issueTo(session, 'dataplane-change'))
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
          session.channel.send({
            type: 'trust',
            supportedBackends: [...view.supportedBackends],
            trustBundle: await bundleOnce(),
          });
          session.view = view;
          return;
        }
        session.view = view;
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
      throw error;
    }
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
    // A certificate from another backend than the one this replica saw enabled means ca-signer has not
    // seen the change yet: the same CSR is signed again shortly.
    const { certificate, trustBundle, keyPem } = await untilCurrent(
      () =>
        this.deps.issuer.issue({ mesh: session.mesh, dataplane: session.name, csrPem: csr?.csrPem, reason }),
      (issued) => issued.certificate.backend === session.view.enabledBackend,
    );
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

  /** The bundle from ca-signer, asked again while it does not list the expected backends yet. */
  private async currentBundle(mesh: string, expected: readonly string[]): Promise<TrustAnchorDto[]> {
    const { trustBundle } = await untilCurrent(
      () => this.deps.bus.request(trustBundleContract, { mesh }),
      (reply) =>
        reply.trustBundle.length === expected.length &&
        reply.trustBundle.every((anchor, i) => anchor.backend === expected[i]),
    );
    return trustBundle;
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

  private end(session: DataplaneSession, status: StreamStatus, message: string): void {
    this.disconnect(session);
    session.channel.close(status, message);
  }

  private failed(session: DataplaneSession, error: Error): void {
    this.deps.log?.('warn', `${session.key}: ${error.message}`);
  }
}

/**
 * ca-signer follows the store on its own and may answer from just before a change this replica has
 * seen: asks again every 250 ms while the answer is not `current`, at most 20 times (then takes it).
 */
async function untilCurrent<T>(ask: () => Promise<T>, current: (answer: T) => boolean): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    const answer = await ask();
    if (current(answer) || attempt >= 20) return answer;
    await new Promise((r) => setTimeout(r, 250));
  }
}
