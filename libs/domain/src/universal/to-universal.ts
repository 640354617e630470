import type { ResourceRecord } from '../resource';
import type { DataplaneInsightSpec } from '../insights/dataplane-insight.rules';
import { ResourceType } from '../resource-types';

/**
 * Renders a stored record in universal format: `{type, mesh?, name, creationTime, modificationTime,
 * ...flat spec}`; a MeshTrafficPermission keeps its spec nested under `spec`. The result shares nothing
 * with the record, so a caller may change it freely.
 */
export function toUniversal(record: ResourceRecord): Record<string, unknown> {
  const { meta } = record;
  const spec = structuredClone(record.spec);
  const head: Record<string, unknown> = { type: meta.type };
  if (meta.mesh !== undefined) {
    head.mesh = meta.mesh;
  }
  head.name = meta.name;
  head.creationTime = meta.creationTime;
  head.modificationTime = meta.modificationTime;
  if (meta.type === ResourceType.MeshTrafficPermission) {
    return { ...head, spec };
  }
  if (meta.type === ResourceType.DataplaneInsight) {
    // What it remembers to stay idempotent is no one else's business.
    const {
      countedSerials: _counted,
      certificateNotBefore: _notBefore,
      ...shown
    } = spec as DataplaneInsightSpec;
    return { ...head, ...shown };
  }
  return { ...head, ...(spec as Record<string, unknown>) };
}
