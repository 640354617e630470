import type { TrustAnchorDto } from '@meshtls/contracts';
import {
  ResourceType,
  caSwitchMtlsView,
  dataplaneIdentityChanged,
  formatKey,
  meshChangeAction,
  type DataplaneSpec,
  type MeshMtlsView,
  type MeshSpec,
} from '@meshtls/domain';
import type { ResourceChange } from '@meshtls/store';
import { backoffDelay, type BackoffPolicy } from '@meshtls/util';
import type { CaSwitchCoordinator } from './ca-switch.coordinator';
import { StreamRefusedError, StreamStatus } from './dataplane-channel.port';
import type { DataplaneSession } from './dataplane-session';
import type { HubLog, HubObserver } from './dataplane-hub.types';
import type { IdentityDelivery } from './identity-delivery';
import type { IdentityIssuer } from './identity-issuer';
import type { IssuancePacer } from './issuance-pacer';
import type { SessionRegistry } from './session-registry';
import type { TrafficDistributor } from './traffic-distributor';

export interface MeshChangeReactorDeps {
  readonly sessions: SessionRegistry;
  readonly traffic: TrafficDistributor;
  readonly delivery: IdentityDelivery;
  readonly pacer: IssuancePacer;
  /** Reads a mesh's trust bundle. */
  readonly issuer: Pick<IdentityIssuer, 'trustBundle'>;
  /** The CA switches as this replica follows them: told of every change first, so a Mesh change is applied with its switch. */
  readonly caSwitches: Pick<CaSwitchCoordinator, 'onChange' | 'switchOf' | 'meshOf'>;
  /** Ends a session's stream with a status and why. */
  readonly end: (session: DataplaneSession, status: StreamStatus, message: string) => void;
  /** Work on a session failed (logged; a refusal ends its stream). */
  readonly failed: (session: DataplaneSession, error: Error) => void;
  readonly log?: HubLog;
  readonly observer?: HubObserver;
}

/**
 * Applies Mesh and Dataplane changes to the dataplanes connected here: a mesh deleted ends their
 * streams, an mTLS change issues, sends a trust bundle or withdraws (see `meshChangeAction`), a tag
 * change re-issues; every change goes to the traffic distributor.
 */
export class MeshChangeReactor {
  constructor(private readonly deps: MeshChangeReactorDeps) {}

  async onChange(change: ResourceChange): Promise<void> {
    const switched = this.deps.caSwitches.onChange(change);
    if (switched !== undefined) return this.caSwitchChanged(switched);
    this.deps.traffic.storeChanged(change);
    const key = change.kind === 'upsert' ? change.record.meta : change.key;
    if (key.type === ResourceType.Mesh) {
      const mine = this.deps.sessions.ofMesh(key.name);
      if (change.kind === 'delete') {
        for (const s of mine) this.deps.end(s, StreamStatus.NotFound, `mesh "${key.name}" was deleted`);
        return;
      }
      await this.applyMeshToAll(key.name, change.record.spec as MeshSpec, mine);
      this.deps.traffic.meshChanged(key.name);
    } else if (key.type === ResourceType.Dataplane && key.mesh !== undefined) {
      const session = this.deps.sessions.get(key.mesh, key.name);
      if (!session) return;
      if (change.kind === 'delete')
        return this.deps.end(session, StreamStatus.NotFound, 'its Dataplane resource was deleted');
      const spec = change.record.spec as DataplaneSpec;
      const changed = dataplaneIdentityChanged(session.mesh, session.spec, spec);
      session.spec = spec;
      if (changed && session.view.enabledBackend !== undefined) {
        await session
          .serialize(async () => {
            await this.deps.pacer.awaitIssuance(session, 'dataplane-change');
            await this.deps.delivery.issueTo(session, 'dataplane-change');
          })
          .catch((e: Error) => this.deps.failed(session, e));
      }
    }
  }

  /** The mesh's CA switch moved: its dataplanes here get what the new state gives them. */
  async caSwitchChanged(mesh: string): Promise<void> {
    const spec = this.deps.caSwitches.meshOf(mesh);
    if (spec === undefined) return;
    await this.applyMeshToAll(mesh, spec, this.deps.sessions.ofMesh(mesh));
  }

  /** One view and at most one bundle read per change, however many dataplanes of the mesh are here. */
  private async applyMeshToAll(mesh: string, spec: MeshSpec, sessions: DataplaneSession[]): Promise<void> {
    const sw = this.deps.caSwitches.switchOf(mesh);
    const view = this.deps.sessions.views.share(mesh, caSwitchMtlsView(spec, sw));
    let bundle: Promise<TrustAnchorDto[]> | undefined;
    const bundleOnce = () => (bundle ??= this.deps.issuer.trustBundle(mesh, spec, sw));
    await Promise.all(sessions.map((s) => this.applyMesh(s, view, bundleOnce)));
  }

  /** A change that could not be applied: logged and counted, the hub goes on. */
  changeFailed(change: ResourceChange, error: unknown): void {
    const key = change.kind === 'upsert' ? change.record.meta : change.key;
    const cause = error instanceof Error ? error : new Error(String(error));
    this.deps.log?.('warn', `change of ${formatKey(key)} not applied to its dataplanes: ${cause.message}`);
    this.deps.observer?.changeFailed?.({ type: key.type, error: cause });
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
          await this.deps.delivery.withdraw(session, view);
          return;
        }
        if (action === 'trust') {
          await this.deps.delivery.sendTrust(session, view, bundleOnce);
          return;
        }
        session.view = view;
        await this.issueForMesh(session, 0);
      })
      .catch((e: Error) => this.deps.failed(session, e));
  }

  /**
   * The certificate a mesh change owes a dataplane. One that could not be issued (a CSR or a signature
   * that did not come in time while the whole fleet is re-issued) is asked again after a pause, while the
   * stream lasts and nothing newer (another change, a rotation) has given the dataplane a certificate; a
   * refusal ends the stream instead. Without this, a dataplane would keep the old certificate until its
   * rotation, and a CA switch would wait for the acknowledgement timeout.
   */
  private async issueForMesh(session: DataplaneSession, attempt: number): Promise<void> {
    const { view, lease } = session;
    try {
      await this.deps.pacer.awaitIssuance(session, 'mesh-change');
      await this.deps.delivery.issueTo(session, 'mesh-change');
    } catch (error) {
      if (error instanceof StreamRefusedError || attempt + 1 >= MESH_CHANGE_ATTEMPTS) throw error;
      this.deps.failed(session, error as Error);
      const again = () =>
        session
          .serialize(async () => {
            if (session.closed || session.view !== view || session.lease !== lease) return;
            await this.issueForMesh(session, attempt + 1);
          })
          .catch((e: Error) => this.deps.failed(session, e));
      setTimeout(again, backoffDelay(attempt, MESH_CHANGE_RETRY)).unref?.();
    }
  }
}

/** How many times a mesh change's certificate is asked for, and the pause between: 1 s doubling to 30 s, jittered. */
const MESH_CHANGE_ATTEMPTS = 8;
const MESH_CHANGE_RETRY: BackoffPolicy = { baseMs: 1_000, capMs: 30_000, jitter: 'equal' };
