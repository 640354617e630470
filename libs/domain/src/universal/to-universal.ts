import { ValidationError } from '../errors';
import type { ResourceRecord } from '../resource';
import type { DataplaneInsightSpec } from '../insights/dataplane-insight.rules';
import { ResourceType } from '../resource-types';
import { kriOf } from './kri';
import { LABELS_FIELD, labelsOf, userLabelsOf } from './labels';

/**
 * Renders a stored record in universal format: `{type, mesh?, name, creationTime, modificationTime,
 * labels?, ...flat spec}`; a MeshTrafficPermission keeps its spec nested under `spec`. `labels` are the
 * user's. The result shares nothing with the record, so a caller may change it freely.
 */
export function toUniversal(record: ResourceRecord): Record<string, unknown> {
  return render(record, userLabelsOf(record.spec), undefined);
}

/**
 * Renders a record as Kuma's API answers it: as `toUniversal`, with the labels Kuma computes on write added
 * to the user's and, for the types Kuma identifies (Mesh, Dataplane, MeshTrafficPermission), its `kri`.
 */
export function toKumaUniversal(record: ResourceRecord): Record<string, unknown> {
  if (record.meta.type === ResourceType.DataplaneInsight) return toUniversal(record);
  const labels = labelsOf(record.meta, record.spec);
  return render(record, labels, kriOf(record.meta, labels));
}

function render(
  record: ResourceRecord,
  labels: Readonly<Record<string, string>>,
  kri: string | undefined,
): Record<string, unknown> {
  const { meta } = record;
  const { [LABELS_FIELD]: _labels, ...spec } = structuredClone(record.spec) as Record<string, unknown>;
  const head: Record<string, unknown> = { type: meta.type };
  if (meta.mesh !== undefined) {
    head.mesh = meta.mesh;
  }
  head.name = meta.name;
  head.creationTime = meta.creationTime;
  head.modificationTime = meta.modificationTime;
  if (Object.keys(labels).length > 0) head.labels = { ...labels };
  if (kri !== undefined) head.kri = kri;
  if (meta.type === ResourceType.MeshTrafficPermission) {
    return { ...head, spec };
  }
  if (meta.type === ResourceType.DataplaneInsight) {
    // What it remembers to stay idempotent is no one else's business.
    const {
      countedSerials: _counted,
      certificateNotBefore: _notBefore,
      ...shown
    } = spec as unknown as DataplaneInsightSpec;
    return { ...head, ...shown };
  }
  return { ...head, ...spec };
}

const KUMA_FORMATS = ['k8s', 'kubernetes', 'universal'];

/**
 * Checks the `format` a read asks for (Kuma's `?format=`): universal (or none) is rendered; the Kubernetes
 * formats are not available here, since resources only ever exist in universal format; anything else is
 * Kuma's refusal. Violations at the root, as Kuma reports them.
 */
export function assertUniversalFormat(format: unknown): void {
  const value = Array.isArray(format) ? format[0] : format;
  if (value === undefined || value === '' || value === 'universal') return;
  const message =
    value === 'k8s' || value === 'kubernetes'
      ? 'the Kubernetes format is not available: this control plane keeps resources in universal format only'
      : `"format" must be one of [${KUMA_FORMATS.map((f) => JSON.stringify(f)).join(', ')}]`;
  throw new ValidationError([{ field: '', message }]);
}
