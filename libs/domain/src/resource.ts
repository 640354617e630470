import type { ResourceType } from './resource-types';

/** Where a resource lives: global types have no mesh. */
export interface ResourceKey {
  readonly type: ResourceType;
  readonly mesh?: string;
  readonly name: string;
}

/** What the store keeps about a resource besides its spec. */
export interface ResourceMeta extends ResourceKey {
  /** Increases with every write; a write naming a stale version is refused (optimistic concurrency). */
  readonly version: number;
  /** RFC 3339 timestamps, set by the store. */
  readonly creationTime: string;
  readonly modificationTime: string;
}

/**
 * A stored resource. `spec` is the type-specific content: for Mesh, Secret and Dataplane the flat fields
 * of the universal format without `type`, `name`, `mesh`; for MeshTrafficPermission the inner `spec`.
 */
export interface ResourceRecord<S = unknown> {
  readonly meta: ResourceMeta;
  readonly spec: S;
}

/** A stable string for a key, e.g. for logs and maps: `Secret/default/ca-1`, `Mesh/default`. */
export function formatKey(key: ResourceKey): string {
  return key.mesh === undefined ? `${key.type}/${key.name}` : `${key.type}/${key.mesh}/${key.name}`;
}
