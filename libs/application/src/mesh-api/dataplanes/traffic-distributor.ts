import { createHash } from 'node:crypto';
import { dataplaneCertificateIssued, dataplaneServerMessageProblem } from '@meshtls/contracts';
import type { MessageBus } from '@meshtls/bus';
import type { LeaseStore, ResourceChange, ResourceStore } from '@meshtls/store';
import type { DataplaneSession } from './dataplane-session';
import { MeshTrafficIndex, type TrafficChange } from './mesh-traffic.index';

export interface TrafficDistributorDeps {
  readonly store: ResourceStore;
  readonly leases: LeaseStore;
  /** The dataplanes connected here now. */
  readonly sessions: () => Iterable<DataplaneSession>;
  /** How long changes are gathered before traffic messages go out (default 50 ms). */
  readonly debounceMs?: number;
  readonly onError: (session: DataplaneSession, error: Error) => void;
  /**
   * A traffic message the stream could not carry (too many permissions or bytes for its schema): not
   * sent, told once per distinct message. The dataplane keeps the previous one and its stream.
   */
  readonly onRefused: (session: DataplaneSession, problem: string) => void;
}

/**
 * Gives each connected dataplane its traffic message (its Dataplane, the permissions selecting it, the
 * endpoints it calls) and sends it again when a change concerns it: changes are gathered per mesh for
 * a short debounce, and a dataplane is sent only a message that differs from the last one.
 */
export class TrafficDistributor {
  private readonly index: MeshTrafficIndex;
  /** Per mesh, what changed since the last flush. */
  private readonly due = new Map<string, { all: boolean; services: Set<string>; dataplanes: Set<string> }>();
  private timer?: ReturnType<typeof setTimeout>;

  constructor(private readonly deps: TrafficDistributorDeps) {
    this.index = new MeshTrafficIndex({ store: deps.store, leases: deps.leases });
  }

  /** Follows certificates issued by every replica (PERMISSIVE upstreams turn mTLS); returns the stop. */
  followIssuance(bus: MessageBus): () => void {
    const issued = bus.subscribe(dataplaneCertificateIssued, (event) =>
      this.changed(this.index.markIssued(event.mesh, event.dataplane, !event.withdrawn)),
    );
    return () => {
      void issued.unsubscribe();
      if (this.timer) clearTimeout(this.timer);
    };
  }

  /** A store change (Dataplanes and MeshTrafficPermissions matter). */
  storeChanged(change: ResourceChange): void {
    this.changed(this.index.apply(change));
  }

  /** The Mesh changed: its mode decides which upstreams are reached in plaintext. */
  meshChanged(mesh: string): void {
    this.changed({ mesh, all: true, services: new Set(), dataplanes: new Set() });
  }

  /** Sends the dataplane its traffic message, unless it already has exactly this one. */
  async send(session: DataplaneSession): Promise<void> {
    try {
      await this.index.ensure(session.mesh);
    } catch (error) {
      return this.deps.onError(session, error as Error);
    }
    if (session.closed) return;
    const message = this.index.trafficFor(
      session.mesh,
      session.name,
      session.spec,
      session.view.mode === 'PERMISSIVE',
    );
    // A digest, not the message: one per connected dataplane is kept.
    const fingerprint = createHash('sha1').update(JSON.stringify(message)).digest('base64');
    if (fingerprint === session.lastTraffic) return;
    session.lastTraffic = fingerprint;
    // Written as it is, a message the schema refuses would end the stream, and the dataplane's reconnect
    // would be issued a certificate and fail again: it is reported instead, once.
    const problem = dataplaneServerMessageProblem(message);
    if (problem !== undefined) {
      session.trafficProblem = problem;
      return this.deps.onRefused(session, problem);
    }
    session.trafficProblem = undefined;
    session.channel.send(message);
  }

  private changed(change: TrafficChange | undefined): void {
    if (!change) return;
    let due = this.due.get(change.mesh);
    if (!due) this.due.set(change.mesh, (due = { all: false, services: new Set(), dataplanes: new Set() }));
    due.all ||= change.all;
    for (const s of change.services) due.services.add(s);
    for (const d of change.dataplanes) due.dataplanes.add(d);
    this.timer ??= setTimeout(() => this.flush(), this.deps.debounceMs ?? 50);
  }

  private flush(): void {
    this.timer = undefined;
    const due = new Map(this.due);
    this.due.clear();
    for (const session of this.deps.sessions()) {
      const change = due.get(session.mesh);
      if (!change) continue;
      const concerned =
        change.all ||
        change.dataplanes.has(session.name) ||
        intersects(session.outboundServices, change.services);
      if (concerned) void this.send(session);
    }
  }
}

function intersects(calls: readonly string[], changed: ReadonlySet<string>): boolean {
  for (const service of calls) if (changed.has(service)) return true;
  return false;
}
