import { ResourceType, type ResourceKey } from '@meshtls/domain';

/** Where a dataplane's DataplaneInsight is stored: stats-collector writes it, mesh-api reads it. */
export function insightKey(mesh: string, name: string): ResourceKey {
  return { type: ResourceType.DataplaneInsight, mesh, name };
}
