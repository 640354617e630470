import type { Tags } from '../validation/tags.validator';

/** A port a dataplane accepts traffic on, for the service named by its `kuma.io/service` tag. */
export interface Inbound {
  readonly port: number;
  /** The inbound's name, what a policy's `sectionName` selects it by (its port when left out). */
  readonly name?: string;
  /** Where the application listens (on the dataplane's host); defaults to `port`. */
  readonly servicePort?: number;
  readonly tags: Tags;
}

/** A local port the dataplane listens on to reach another service of the mesh. */
export interface Outbound {
  readonly port: number;
  readonly tags: Tags;
}

export interface DataplaneNetworking {
  /** IP address or hostname other dataplanes reach this one at. */
  readonly address: string;
  readonly inbound: readonly Inbound[];
  readonly outbound?: readonly Outbound[];
}

/** The spec of a Dataplane: the universal document without `type`, `mesh` and `name`. */
export interface DataplaneSpec {
  readonly networking: DataplaneNetworking;
  /** The resource's labels, when it has any: what a policy's Dataplane `labels` select. */
  readonly labels?: Readonly<Record<string, string>>;
}
