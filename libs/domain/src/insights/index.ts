// Insights: a dataplane's connections and certificates, a mesh's summary.
export {
  EMPTY_INSIGHT,
  isOnline,
  withCertificateIssued,
  withCertificateWithdrawn,
  withConnected,
  withDisconnected,
} from './dataplane-insight.rules';
export type {
  DataplaneInsightSpec,
  DataplaneMtlsInsight,
  DataplaneSubscription,
} from './dataplane-insight.rules';
export {
  MESH_INSIGHT_COUNTED_TYPES,
  POLICY_TYPES,
  UNKNOWN_VERSION,
  dataplaneStatus,
  meshInsightOf,
} from './mesh-insight.rules';
export type { DataplaneStat, DataplaneStatus, MeshInsightSpec, ResourceStat } from './mesh-insight.rules';
export { dataplaneInsightView, meshInsightView } from './insight-views';
export { matchesDataplaneFilter, parseDataplaneFilter } from './dataplane-filter.rules';
export type { DataplaneFilter } from './dataplane-filter.rules';
