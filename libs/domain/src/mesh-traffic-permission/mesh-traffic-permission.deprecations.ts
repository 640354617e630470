import { TargetRefKind, type MeshTrafficPermissionSpec } from './mesh-traffic-permission.types';

/** Top-level kinds Kuma 2.14 would have written as a Dataplane targetRef with labels. */
const REPLACED_BY_DATAPLANE: readonly TargetRefKind[] = [
  TargetRefKind.MeshService,
  TargetRefKind.MeshServiceSubset,
  TargetRefKind.MeshSubset,
];

/**
 * The deprecation warnings Kuma 2.14 answers a MeshTrafficPermission with (accepted, but to be
 * rewritten before Kuma 3.0), in Kuma's words and order.
 */
export function meshTrafficPermissionDeprecations(spec: MeshTrafficPermissionSpec): string[] {
  const warnings: string[] = [];
  const from = spec.from ?? [];
  if (from.length > 0) {
    warnings.push(
      "'from' field is deprecated and will be removed in 3.0, use 'rules' with MeshIdentity (spiffeId) instead",
    );
  }
  for (const entry of from) {
    if (entry.targetRef.kind === TargetRefKind.MeshService) {
      warnings.push(
        "MeshService value for 'from[].targetRef.kind' is deprecated, use MeshSubset with 'kuma.io/service' instead",
      );
    }
  }
  if (REPLACED_BY_DATAPLANE.includes(spec.targetRef.kind)) {
    warnings.push(
      `${spec.targetRef.kind} value for 'targetRef.kind' is deprecated, use ${TargetRefKind.Dataplane} with labels instead`,
    );
  }
  return warnings;
}
