import { createHash } from 'node:crypto';
import type { IssueReason, TrustAnchorDto } from '@meshtls/contracts';
import { KeyType, rotateAtOf, type MeshMtlsView } from '@meshtls/domain';
import { CSR_INVALID } from '@meshtls/pki';
import type { Lease, LeaseStore } from '@meshtls/store';
import { MeshError } from '@meshtls/util';
import { StreamRefusedError, StreamStatus } from './dataplane-channel.port';
import type { DataplaneAnnouncer } from './dataplane-announcer';
import type { DataplaneSession } from './dataplane-session';
import type { HubLog, HubObserver } from './dataplane-hub.types';
import type { IdentityIssuer } from './identity-issuer';

export interface IdentityDeliveryDeps {
  readonly issuer: IdentityIssuer;
  readonly leases: LeaseStore;
  readonly announce: DataplaneAnnouncer;
  /** This replica as leases name it: `{instanceId}@{bootId}`. */
  readonly instance: string;
  readonly csrTimeoutMs: number;
  readonly log?: HubLog;
  readonly observer?: HubObserver;
}

/**
 * What a connected dataplane is given of its identity: a certificate (with its lease and announcement),
 * a new trust bundle, or the withdrawal of its certificate. Called within the session's order.
 */
export class IdentityDelivery {
  constructor(private readonly deps: IdentityDeliveryDeps) {}

  /**
   * Gets a certificate (asking the dataplane for a CSR unless it came with the trigger), sends it, and
   * records the lease.
   */
  async issueTo(
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

  /** mTLS was turned off on the session's mesh: its certificate is withdrawn, its lease removed. */
  async withdraw(session: DataplaneSession, view: MeshMtlsView): Promise<void> {
    session.view = view;
    session.channel.send({ type: 'withdrawn', reason: `mTLS was disabled on mesh "${session.mesh}"` });
    if (session.serial) await this.deps.leases.deleteIf(session.mesh, session.name, session.serial);
    session.lease = undefined;
    await this.deps.announce.certificate(session, { reason: 'mesh-change', withdrawn: true });
  }

  /** Only the mesh's set of backends changed: the dataplane is sent the new trust bundle. */
  async sendTrust(
    session: DataplaneSession,
    view: MeshMtlsView,
    bundleOnce: () => Promise<TrustAnchorDto[]>,
  ): Promise<void> {
    const trustBundle = await bundleOnce();
    const missing = view.supportedBackends.filter((b) => !trustBundle.some((a) => a.backend === b));
    if (missing.length > 0) {
      this.deps.log?.('warn', `${session.key}: no CA readable for backends ${missing.join(', ')}`);
    }
    const bundleId = trustBundleId(trustBundle);
    session.bundleSent(
      bundleId,
      trustBundle.map((a) => a.backend),
    );
    session.channel.send({
      type: 'trust',
      supportedBackends: [...view.supportedBackends],
      trustBundle,
      bundleId,
    });
    session.view = view;
  }

  private async issueOnce(
    session: DataplaneSession,
    reason: IssueReason,
    given: { csrPem: string; requestId?: string } | undefined,
    started: bigint,
  ): Promise<void> {
    const csr =
      given ??
      (session.sendsCsr
        ? await session.requestCsr(reason, KeyType.EcP256, this.deps.csrTimeoutMs)
        : undefined);
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
    session.identitySent(certificate.serial, certificate.backend, supportedBackends);
    session.channel.send({
      type: 'identity',
      reason,
      ...certificate,
      ...(keyPem === undefined ? {} : { keyPem }),
      ...(csr?.requestId ? { requestId: csr.requestId } : {}),
      rotateAt,
      supportedBackends,
      trustBundle,
      bundleId: trustBundleId(trustBundle),
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
    await this.deps.announce.certificate(session, {
      ...certificate,
      supportedBackends,
      reason,
      withdrawn: false,
    });
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
}

/** Names a trust bundle by its content: the same anchors in the same order, the same id. */
export function trustBundleId(anchors: readonly TrustAnchorDto[]): string {
  const hash = createHash('sha256');
  for (const a of anchors) hash.update(a.backend).update('\0').update(a.certPem).update('\0');
  return hash.digest('hex').slice(0, 32);
}

/**
 * A CSR refused by the issuance path (its proof of possession does not verify, or it cannot be read)
 * cannot be signed however often it is sent again: the dataplane is told so (INVALID_ARGUMENT), and
 * makes a new key and CSR.
 */
export function csrRefusal(error: unknown): StreamRefusedError | undefined {
  if (!(error instanceof MeshError) || error.code !== CSR_INVALID) return undefined;
  return new StreamRefusedError(StreamStatus.InvalidArgument, `CSR refused: ${error.message}`, 'csr-refused');
}
