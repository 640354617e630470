import { ResourceType, type MtlsBackend } from '@meshtls/domain';
import type { SigningCa } from '@meshtls/pki';
import type { ResourceStore } from '@meshtls/store';
import type { CaManager } from './ca-manager';

interface CachedCa {
  readonly generation: number;
  readonly ca: Promise<SigningCa>;
}

/**
 * The CA managers by backend type, and the loaded CAs: each parsed once and reused until its mesh's
 * Secrets or Mesh change (followChanges), so issuance costs a signature, not a store read and a PEM parse.
 */
export class CaRegistry {
  private readonly cache = new Map<string, CachedCa>();
  /** Bumped when a mesh's CA material may have changed; a load started before the bump is not kept. */
  private readonly generations = new Map<string, number>();

  constructor(private readonly managers: Readonly<Record<MtlsBackend['type'], CaManager>>) {}

  managerFor(backend: MtlsBackend): CaManager {
    return this.managers[backend.type];
  }

  signingCa(mesh: string, backend: MtlsBackend): Promise<SigningCa> {
    const key = `${mesh}/${backend.name}`;
    const generation = this.generations.get(mesh) ?? 0;
    const cached = this.cache.get(key);
    if (cached && cached.generation === generation) return cached.ca;
    const ca = this.managerFor(backend).load(mesh, backend);
    this.cache.set(key, { generation, ca });
    ca.catch(() => this.cache.get(key)?.ca === ca && this.cache.delete(key));
    return ca;
  }

  /** Drops the CAs of a mesh: the next issuance loads them again from the store. */
  invalidateMesh(mesh: string): void {
    this.generations.set(mesh, (this.generations.get(mesh) ?? 0) + 1);
    for (const key of this.cache.keys()) if (key.startsWith(`${mesh}/`)) this.cache.delete(key);
  }

  /**
   * Invalidates a mesh's CAs whenever its Mesh or one of its Secrets changes, by any replica; a deleted
   * mesh's keys leave this process's memory. Returns the function that stops following.
   */
  followChanges(store: ResourceStore): () => void {
    return store.watch((change) => {
      const key = change.kind === 'upsert' ? change.record.meta : change.key;
      if (key.type === ResourceType.Mesh) this.invalidateMesh(key.name);
      else if (key.type === ResourceType.Secret && key.mesh !== undefined) this.invalidateMesh(key.mesh);
    });
  }
}
