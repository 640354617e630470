import {
  ALL_RESOURCE_TYPES,
  RESOURCE_DESCRIPTORS,
  ResourceNotFoundError,
  ResourceType,
  ValidationError,
  secretInUseMessage,
  secretReferencesOf,
  type MeshSpec,
  type ResourceKey,
} from '@meshtls/domain';
import type { ResourceStore } from '@meshtls/store';

/** Kuma's words when a mesh still has dataplanes. */
export const MESH_HAS_DATAPLANES = 'unable to delete mesh, there are still some dataplanes attached';

/**
 * Deletes one resource. A Mesh with dataplanes is refused, as Kuma refuses it; one without deletes every
 * resource inside it (Secrets, policies) first, so none outlives its mesh.
 */
export class DeleteResourceUseCase {
  constructor(private readonly store: ResourceStore) {}

  async execute(key: ResourceKey): Promise<void> {
    const existing = await this.store.get(key);
    if (!existing) throw new ResourceNotFoundError(key);
    if (key.type === ResourceType.Secret && key.mesh !== undefined)
      await this.assertSecretUnused(key.mesh, key.name);
    if (key.type === ResourceType.Mesh) {
      await this.assertNoDataplanes(key.name);
      await this.deleteMeshContents(key.name);
    }
    await this.store.delete(key, existing.meta.version);
  }

  private async assertNoDataplanes(mesh: string): Promise<void> {
    const { total } = await this.store.list(ResourceType.Dataplane, { mesh, limit: 0 });
    if (total > 0) throw new ValidationError([{ field: 'mesh', message: MESH_HAS_DATAPLANES }]);
  }

  /** A Secret an mTLS backend of its mesh depends on cannot go while the reference stands. */
  private async assertSecretUnused(mesh: string, secret: string): Promise<void> {
    const meshRecord = await this.store.get({ type: ResourceType.Mesh, name: mesh });
    if (!meshRecord) return;
    const use = secretReferencesOf(mesh, meshRecord.spec as MeshSpec).find((r) => r.secret === secret);
    if (use) {
      throw new ValidationError(
        [{ field: 'name', message: secretInUseMessage(secret, mesh, use.backend) }],
        secretInUseMessage(secret, mesh, use.backend),
      );
    }
  }

  private async deleteMeshContents(mesh: string): Promise<void> {
    const meshScoped = ALL_RESOURCE_TYPES.filter((t) => RESOURCE_DESCRIPTORS[t].scope === 'mesh');
    for (const type of meshScoped) {
      const { items } = await this.store.list(type, { mesh });
      for (const item of items) {
        await this.store.delete(item.meta, item.meta.version).catch((error: unknown) => {
          // Deleted by someone else in the meantime: the goal is reached.
          if (!(error instanceof ResourceNotFoundError)) throw error;
        });
      }
    }
  }
}
