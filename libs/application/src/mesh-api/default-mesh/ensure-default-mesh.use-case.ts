import { ResourceAlreadyExistsError, ResourceType, parseResource, type ResourceKey } from '@meshtls/domain';
import type { ResourceStore } from '@meshtls/store';

/** The mesh a fresh control plane starts with, as Kuma's `default` mesh. */
export const DEFAULT_MESH_NAME = 'default';

/** What starting up did about the default mesh. */
export type DefaultMeshOutcome = 'created' | 'exists';

/**
 * Creates the `default` Mesh when there is none, as Kuma does on every start: mTLS off, nothing else in
 * it. Only a missing mesh is created; one that exists is left as its owner made it. Safe with many
 * replicas starting together: the store's create is the arbiter, and losing the race to another replica
 * is the same outcome as finding the mesh.
 */
export class EnsureDefaultMeshUseCase {
  constructor(private readonly store: ResourceStore) {}

  async execute(): Promise<DefaultMeshOutcome> {
    const { key, spec } = defaultMesh();
    if (await this.store.get(key)) return 'exists';
    try {
      await this.store.create(key, spec);
      return 'created';
    } catch (error) {
      if (error instanceof ResourceAlreadyExistsError) return 'exists';
      throw error;
    }
  }
}

/** The default mesh as a user would apply it (`type: Mesh`, `name: default`): every field left out. */
function defaultMesh(): { key: ResourceKey; spec: unknown } {
  const parsed = parseResource({ type: ResourceType.Mesh, name: DEFAULT_MESH_NAME });
  return { key: parsed.key, spec: parsed.spec };
}
