import { ResourceType } from '@meshtls/domain';
import type { ResourceStore } from '@meshtls/store';

interface Entry<T> {
  readonly generation: number;
  readonly value: Promise<T>;
}

/**
 * What a process derives from a mesh's CA material (its Mesh and Secrets), by `{mesh}/{name}`: loaded
 * once and reused until the Mesh or one of its Secrets changes, by any replica (followChanges). A load
 * that fails is not kept; a load started before a change is not kept either.
 */
export class MeshMaterialCache<T> {
  private readonly entries = new Map<string, Entry<T>>();
  /** Bumped when a mesh's material may have changed. */
  private readonly generations = new Map<string, number>();

  get(mesh: string, name: string, load: () => Promise<T>): Promise<T> {
    const key = `${mesh}/${name}`;
    const generation = this.generations.get(mesh) ?? 0;
    const cached = this.entries.get(key);
    if (cached && cached.generation === generation) return cached.value;
    const value = load();
    this.entries.set(key, { generation, value });
    value.catch(() => this.entries.get(key)?.value === value && this.entries.delete(key));
    return value;
  }

  /** Drops what was derived from a mesh: the next `get` loads it again. */
  invalidateMesh(mesh: string): void {
    this.generations.set(mesh, (this.generations.get(mesh) ?? 0) + 1);
    for (const key of this.entries.keys()) if (key.startsWith(`${mesh}/`)) this.entries.delete(key);
  }

  /**
   * Invalidates a mesh's entries whenever its Mesh or one of its Secrets changes; a deleted mesh's
   * material leaves this process's memory. Returns the function that stops following.
   */
  followChanges(store: ResourceStore): () => void {
    return store.watch((change) => {
      const key = change.kind === 'upsert' ? change.record.meta : change.key;
      if (key.type === ResourceType.Mesh) this.invalidateMesh(key.name);
      else if (key.type === ResourceType.Secret && key.mesh !== undefined) this.invalidateMesh(key.mesh);
    });
  }
}
