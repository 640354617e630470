import type { Tags } from '../validation/tags.validator';

/** What a targetRef may point at. */
export const TargetRefKind = {
  Mesh: 'Mesh',
  MeshSubset: 'MeshSubset',
  MeshService: 'MeshService',
  MeshServiceSubset: 'MeshServiceSubset',
  Dataplane: 'Dataplane',
} as const;
export type TargetRefKind = (typeof TargetRefKind)[keyof typeof TargetRefKind];

/**
 * A selection of dataplanes: the whole mesh, those with `tags`, those of the service `name` (with
 * `tags` too for MeshServiceSubset), or Dataplanes by `name`, by `labels` or all of them, narrowed to
 * the inbound named `sectionName`.
 */
export interface TargetRef {
  readonly kind: TargetRefKind;
  readonly name?: string;
  readonly tags?: Tags;
  /** Dataplane only: the Dataplanes whose labels hold all of these. */
  readonly labels?: Readonly<Record<string, string>>;
  /** Dataplane only: the inbound of that name (or, for an inbound without a name, of that port). */
  readonly sectionName?: string;
  /** Mesh and MeshSubset only: the kinds of proxy selected; every dataplane here is a `Sidecar`. */
  readonly proxyTypes?: readonly ('Sidecar' | 'Gateway')[];
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

export const SpiffeIdMatchType = { Exact: 'Exact', Prefix: 'Prefix' } as const;
export type SpiffeIdMatchType = (typeof SpiffeIdMatchType)[keyof typeof SpiffeIdMatchType];

/** A client matcher of `rules`: its SPIFFE ID and/or the SNI it sent; every one given must match. */
export interface TrafficMatch {
  readonly spiffeID?: { readonly type: SpiffeIdMatchType; readonly value: string };
  readonly sni?: { readonly type: 'Exact'; readonly value: string };
}

/** One entry of `rules`: matchers denied, allowed, and allowed but logged as Deny would refuse them. */
export interface MeshTrafficPermissionRule {
  readonly default: {
    readonly deny?: readonly TrafficMatch[];
    readonly allow?: readonly TrafficMatch[];
    readonly allowWithShadowDeny?: readonly TrafficMatch[];
  };
}

/** The inner `spec` of a MeshTrafficPermission: `from` or `rules`, never both. */
export interface MeshTrafficPermissionSpec {
  /** The servers (dataplanes) the policy applies to; `{kind: Mesh}` when the document leaves it out. */
  readonly targetRef: TargetRef;
  readonly from?: readonly MeshTrafficPermissionFrom[];
  readonly rules?: readonly MeshTrafficPermissionRule[];
}
