// Insights: a dataplane's connections and certificates, a mesh's summary.
export {
  EMPTY_INSIGHT,
  meshInsightOf,
  withCertificateIssued,
  withCertificateWithdrawn,
  withConnected,
  withDisconnected,
} from './dataplane-insight.rules';
export type { DataplaneInsightSpec, MeshInsightSummary } from './dataplane-insight.rules';
