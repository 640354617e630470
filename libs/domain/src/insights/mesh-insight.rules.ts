import type { DataplaneSpec } from '../dataplane/dataplane.types';
import { API_RESOURCE_TYPES, RESOURCE_DESCRIPTORS, ResourceType } from '../resource-types';
import { SERVICE_TAG } from '../validation/tags.validator';
import { isOnline, type DataplaneInsightSpec } from './dataplane-insight.rules';

/**
 * Kuma's MeshInsight: a mesh's dataplanes by status, type, version and certificate backend, its
 * services and how many resources of each type it holds. Computed from what is stored, never stored.
 */

/** Dataplanes counted by status, Kuma's `DataplaneStat`. */
export interface DataplaneStat {
  total: number;
  online: number;
  offline: number;
  partiallyDegraded: number;
}

export interface ResourceStat {
  total: number;
}

export interface MeshInsightSpec {
  readonly dataplanes: DataplaneStat;
  /** Policies of the mesh by type (types with none are left out). */
  readonly policies: Record<string, ResourceStat>;
  /** Dataplanes by the version of their sidecar and of its proxy (`unknown` when not reported). */
  readonly dpVersions: {
    readonly kumaDp: Record<string, DataplaneStat>;
    readonly envoy: Record<string, DataplaneStat>;
  };
  /** Dataplanes by the backend that issued their certificate, and by every backend they trust. */
  readonly mTLS: {
    readonly issuedBackends: Record<string, DataplaneStat>;
    readonly supportedBackends: Record<string, DataplaneStat>;
  };
  /** Distinct `kuma.io/service` values of the inbounds (`internal`); no external services here. */
  readonly services: { total: number; internal: number; external: number };
  readonly dataplanesByType: {
    readonly standard: DataplaneStat;
    readonly gateway: DataplaneStat;
    readonly gatewayBuiltin: DataplaneStat;
    readonly gatewayDelegated: DataplaneStat;
  };
  /** Every mesh-scoped resource type but insights, by type (types with none are left out). */
  readonly resources: Record<string, ResourceStat>;
}

/** Kuma's dataplane status: online while a stream is open; a dataplane never connected is offline. */
export type DataplaneStatus = 'Online' | 'Offline';

export function dataplaneStatus(insight: DataplaneInsightSpec | undefined): DataplaneStatus {
  return insight !== undefined && isOnline(insight) ? 'Online' : 'Offline';
}

/** The resource types Kuma counts as policies as well as resources. */
export const POLICY_TYPES: readonly ResourceType[] = [ResourceType.MeshTrafficPermission];

/** The types a MeshInsight counts: mesh-scoped, not an insight. */
export const MESH_INSIGHT_COUNTED_TYPES: readonly ResourceType[] = API_RESOURCE_TYPES.filter(
  (type) => RESOURCE_DESCRIPTORS[type].scope === 'mesh' && type !== ResourceType.DataplaneInsight,
);

/** The version a MeshInsight files a dataplane under when its sidecar did not say. */
export const UNKNOWN_VERSION = 'unknown';

const emptyStat = (): DataplaneStat => ({ total: 0, online: 0, offline: 0, partiallyDegraded: 0 });

/**
 * The MeshInsight of a mesh from its dataplanes, their insights (a dataplane without one counts
 * offline) and how many resources of each counted type it holds (`Dataplane` is taken from the list).
 */
export function meshInsightOf(
  dataplanes: readonly { readonly name: string; readonly spec: DataplaneSpec }[],
  insights: ReadonlyMap<string, DataplaneInsightSpec>,
  resourceTotals: Readonly<Partial<Record<ResourceType, number>>>,
): MeshInsightSpec {
  const insight = {
    dataplanes: emptyStat(),
    policies: {} as Record<string, ResourceStat>,
    dpVersions: { kumaDp: {} as Record<string, DataplaneStat>, envoy: {} as Record<string, DataplaneStat> },
    mTLS: {
      issuedBackends: {} as Record<string, DataplaneStat>,
      supportedBackends: {} as Record<string, DataplaneStat>,
    },
    services: { total: 0, internal: 0, external: 0 },
    dataplanesByType: {
      standard: emptyStat(),
      gateway: emptyStat(),
      gatewayBuiltin: emptyStat(),
      gatewayDelegated: emptyStat(),
    },
    resources: {} as Record<string, ResourceStat>,
  };
  const count = (stat: DataplaneStat, status: DataplaneStatus) => {
    stat.total++;
    if (status === 'Online') stat.online++;
    else stat.offline++;
  };
  const bucket = (map: Record<string, DataplaneStat>, key: string) => (map[key] ??= emptyStat());
  const services = new Set<string>();
  for (const { name, spec } of dataplanes) {
    const dpInsight = insights.get(name);
    const status = dataplaneStatus(dpInsight);
    count(insight.dataplanes, status);
    count(insight.dataplanesByType.standard, status);
    count(bucket(insight.dpVersions.kumaDp, UNKNOWN_VERSION), status);
    count(bucket(insight.dpVersions.envoy, UNKNOWN_VERSION), status);
    const mtls = dpInsight?.mTLS;
    // A dataplane whose certificate was withdrawn (mTLS turned off) holds none: not counted by backend.
    if (mtls?.issuedBackend) count(bucket(insight.mTLS.issuedBackends, mtls.issuedBackend), status);
    for (const backend of mtls?.supportedBackends ?? []) {
      count(bucket(insight.mTLS.supportedBackends, backend), status);
    }
    for (const inbound of spec.networking?.inbound ?? []) {
      const service = inbound.tags?.[SERVICE_TAG];
      if (service) services.add(service);
    }
  }
  insight.services = { total: services.size, internal: services.size, external: 0 };
  const totals: Partial<Record<ResourceType, number>> = {
    ...resourceTotals,
    [ResourceType.Dataplane]: dataplanes.length,
  };
  for (const type of MESH_INSIGHT_COUNTED_TYPES) {
    const total = totals[type] ?? 0;
    if (total === 0) continue;
    insight.resources[type] = { total };
    if (POLICY_TYPES.includes(type)) insight.policies[type] = { total };
  }
  return insight;
}
