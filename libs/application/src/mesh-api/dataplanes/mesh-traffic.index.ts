import type { DataplaneTrafficMessage, UpstreamEndpointDto } from '@meshtls/contracts';
import {
  ResourceType,
  endpointsOf,
  outboundServicesOf,
  permissionsFor,
  type DataplaneSpec,
  type MeshTrafficPermissionSpec,
  type NamedPermission,
  type ResourceRecord,
  type ServiceEndpoint,
} from '@meshtls/domain';
import type { LeaseStore, ResourceChange, ResourceStore } from '@meshtls/store';

/** What changed in a mesh, so only the dataplanes it concerns are sent a new traffic message. */
export interface TrafficChange {
  readonly mesh: string;
  /** Every dataplane of the mesh is concerned (a MeshTrafficPermission or the Mesh changed). */
  readonly all: boolean;
  /** Services whose endpoints changed: the dataplanes calling them are concerned. */
  readonly services: ReadonlySet<string>;
  /** Dataplanes whose own resource changed. */
  readonly dataplanes: ReadonlySet<string>;
}

interface Versioned<T> {
  readonly version: number;
  readonly spec: T;
}

const NO_ENDPOINTS: readonly ServiceEndpoint[] = Object.freeze([]);

/** One mesh as the proxies need it; endpoints indexed by service so a change costs what it touches. */
class MeshTraffic {
  /** Each Dataplane's version and the endpoints it offers (not its whole spec: sessions hold theirs). */
  readonly dataplanes = new Map<string, { version: number; endpoints: readonly ServiceEndpoint[] }>();
  readonly permissions = new Map<string, Versioned<MeshTrafficPermissionSpec>>();
  /**
   * service → dataplane → its endpoints of that service (the same objects as in `dataplanes`; arrays
   * made to size: a dataplane offers a service on one port or two).
   */
  readonly endpoints = new Map<string, Map<string, readonly ServiceEndpoint[]>>();
  /** Dataplanes holding a certificate (PERMISSIVE clients reach the others in plaintext). */
  readonly issued = new Set<string>();
  /** Changes seen while the mesh was loading, applied once it is. */
  pending: ResourceChange[] | undefined = [];

  setDataplane(name: string, next: Versioned<DataplaneSpec> | undefined, touched: Set<string>): void {
    for (const e of this.dataplanes.get(name)?.endpoints ?? []) {
      touched.add(e.service);
      const byDataplane = this.endpoints.get(e.service);
      byDataplane?.delete(name);
      if (byDataplane?.size === 0) this.endpoints.delete(e.service);
    }
    if (!next) return void this.dataplanes.delete(name);
    const found = endpointsOf(next.spec);
    const offered = found.length === 0 ? NO_ENDPOINTS : found.slice();
    this.dataplanes.set(name, { version: next.version, endpoints: offered });
    for (const e of offered) {
      touched.add(e.service);
      let byDataplane = this.endpoints.get(e.service);
      if (!byDataplane) this.endpoints.set(e.service, (byDataplane = new Map()));
      const list = byDataplane.get(name);
      byDataplane.set(name, list ? [...list, e] : [e]);
    }
  }

  servicesOf(name: string): string[] {
    return (this.dataplanes.get(name)?.endpoints ?? []).map((e) => e.service);
  }
}

/**
 * Every mesh's Dataplanes, MeshTrafficPermissions and issued certificates, as this replica's dataplanes
 * need them: loaded on a mesh's first use, then kept current from store changes and issuance events.
 * Builds each dataplane's traffic message.
 */
export class MeshTrafficIndex {
  private readonly meshes = new Map<string, { state: MeshTraffic; loaded: Promise<void> }>();

  constructor(private readonly deps: { store: ResourceStore; leases: LeaseStore }) {}

  /** Loads a mesh (once; concurrent callers share the load). */
  async ensure(mesh: string): Promise<void> {
    let entry = this.meshes.get(mesh);
    if (!entry) {
      const state = new MeshTraffic();
      const loaded = this.load(mesh, state).catch((error: unknown) => {
        this.meshes.delete(mesh);
        throw error;
      });
      entry = { state, loaded };
      this.meshes.set(mesh, entry);
    }
    await entry.loaded;
  }

  /** A store change; what it changed for dataplanes, or undefined when nothing of a loaded mesh. */
  apply(change: ResourceChange): TrafficChange | undefined {
    const key = change.kind === 'upsert' ? change.record.meta : change.key;
    if (key.type === ResourceType.Mesh && change.kind === 'delete') {
      this.meshes.delete(key.name);
      return undefined;
    }
    if (key.mesh === undefined) return undefined;
    const state = this.meshes.get(key.mesh)?.state;
    if (!state) return undefined;
    if (state.pending) {
      state.pending.push(change);
      return undefined;
    }
    return this.applyLoaded(key.mesh, state, change);
  }

  /** A dataplane was given a certificate, or lost it (mTLS off). */
  markIssued(mesh: string, dataplane: string, issued: boolean): TrafficChange | undefined {
    const state = this.meshes.get(mesh)?.state;
    if (!state || state.issued.has(dataplane) === issued) return undefined;
    if (issued) state.issued.add(dataplane);
    else state.issued.delete(dataplane);
    return {
      mesh,
      all: false,
      services: new Set(state.servicesOf(dataplane)),
      dataplanes: new Set(),
    };
  }

  /**
   * The traffic message of one dataplane of a loaded mesh. `permissive`: the mesh is in PERMISSIVE mode,
   * where upstreams without a certificate are reached in plaintext (in STRICT every one is mTLS).
   */
  trafficFor(mesh: string, name: string, spec: DataplaneSpec, permissive: boolean): DataplaneTrafficMessage {
    const state = this.meshes.get(mesh)?.state;
    if (!state || state.pending) throw new Error(`mesh "${mesh}" is not loaded`);
    const permissions: NamedPermission[] = permissionsFor(
      [...state.permissions].map(([policy, { spec: s }]) => ({ name: policy, spec: s })),
      name,
      spec,
    );
    const endpoints = outboundServicesOf(spec).map((service) => {
      const list: UpstreamEndpointDto[] = [];
      for (const [dataplane, offered] of state.endpoints.get(service) ?? []) {
        if (dataplane === name) continue; // a service calling itself goes to its other instances
        const mtls = !permissive || state.issued.has(dataplane);
        for (const e of offered) list.push({ address: e.address, port: e.port, mtls });
      }
      list.sort((a, b) => (a.address + a.port < b.address + b.port ? -1 : 1));
      return { service, endpoints: list };
    });
    return {
      type: 'traffic',
      dataplane: spec as unknown as Record<string, unknown>,
      permissions: permissions.map((p) => ({
        name: p.name,
        spec: p.spec as unknown as Record<string, unknown>,
      })),
      endpoints,
    };
  }

  private async load(mesh: string, state: MeshTraffic): Promise<void> {
    const [dataplanes, permissions] = await Promise.all([
      this.deps.store.list(ResourceType.Dataplane, { mesh }),
      this.deps.store.list(ResourceType.MeshTrafficPermission, { mesh }),
    ]);
    const ignored = new Set<string>();
    for (const record of dataplanes.items) state.setDataplane(record.meta.name, versioned(record), ignored);
    for (const record of permissions.items) state.permissions.set(record.meta.name, versioned(record));
    const leases = await Promise.all(
      dataplanes.items.map((record) => this.deps.leases.get(mesh, record.meta.name)),
    );
    for (const lease of leases) if (lease) state.issued.add(lease.dataplane);
    const pending = state.pending ?? [];
    state.pending = undefined;
    for (const change of pending) this.applyLoaded(mesh, state, change);
  }

  private applyLoaded(mesh: string, state: MeshTraffic, change: ResourceChange): TrafficChange | undefined {
    const key = change.kind === 'upsert' ? change.record.meta : change.key;
    const services = new Set<string>();
    if (key.type === ResourceType.Dataplane) {
      const next = change.kind === 'upsert' ? versioned<DataplaneSpec>(change.record) : undefined;
      if (next && (state.dataplanes.get(key.name)?.version ?? -1) > next.version) return undefined;
      state.setDataplane(key.name, next, services);
      return { mesh, all: false, services, dataplanes: new Set([key.name]) };
    }
    if (key.type === ResourceType.MeshTrafficPermission) {
      if (change.kind === 'delete') state.permissions.delete(key.name);
      else {
        const next = versioned<MeshTrafficPermissionSpec>(change.record);
        if ((state.permissions.get(key.name)?.version ?? -1) > next.version) return undefined;
        state.permissions.set(key.name, next);
      }
      return { mesh, all: true, services, dataplanes: new Set() };
    }
    return undefined;
  }
}

function versioned<T>(record: ResourceRecord): Versioned<T> {
  return { version: record.meta.version, spec: record.spec as T };
}
