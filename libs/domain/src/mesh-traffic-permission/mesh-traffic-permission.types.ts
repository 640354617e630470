import type { Tags } from '../validation/tags.validator';

/** What a targetRef may point at. */
export const TargetRefKind = {
  Mesh: 'Mesh',
  MeshSubset: 'MeshSubset',
  MeshService: 'MeshService',
  Dataplane: 'Dataplane',
} as const;
export type TargetRefKind = (typeof TargetRefKind)[keyof typeof TargetRefKind];

/**
 * A selection of dataplanes: the whole mesh, those with `tags`, those of the service `name`, or the
 * Dataplane named `name`.
 */
export interface TargetRef {
  readonly kind: TargetRefKind;
  readonly name?: string;
  readonly tags?: Tags;
}

export const TrafficAction = {
  Allow: 'Allow',
  Deny: 'Deny',
  /** Allows the traffic and logs that Deny would have refused it. */
  AllowWithShadowDeny: 'AllowWithShadowDeny',
} as const;
export type TrafficAction = (typeof TrafficAction)[keyof typeof TrafficAction];

export interface MeshTrafficPermissionFrom {
  /** The clients this entry is about. */
  readonly targetRef: TargetRef;
  readonly default: { readonly action: TrafficAction };
}

/** The inner `spec` of a MeshTrafficPermission. */
export interface MeshTrafficPermissionSpec {
  /** The servers (dataplanes) the policy applies to; `{kind: Mesh}` when the document leaves it out. */
  readonly targetRef: TargetRef;
  readonly from: readonly MeshTrafficPermissionFrom[];
}
