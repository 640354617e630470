import type { MtlsBackend } from '@meshtls/domain';
import type { SigningCa } from '@meshtls/pki';
import type { ResourceStore } from '@meshtls/store';
import { MeshMaterialCache } from '../shared/mesh-material.cache';
import type { CaManager } from './ca-manager';

/**
 * The CA managers by backend type, and the loaded CAs: each parsed once and reused until its mesh's
 * Secrets or Mesh change (followChanges), so issuance costs a signature, not a store read and a PEM parse.
 */
export class CaRegistry {
  private readonly cache = new MeshMaterialCache<SigningCa>();

  constructor(private readonly managers: Readonly<Record<MtlsBackend['type'], CaManager>>) {}

  managerFor(backend: MtlsBackend): CaManager {
    return this.managers[backend.type];
  }

  signingCa(mesh: string, backend: MtlsBackend): Promise<SigningCa> {
    return this.cache.get(mesh, backend.name, () => this.managerFor(backend).load(mesh, backend));
  }

  /** Drops the CAs of a mesh: the next issuance loads them again from the store. */
  invalidateMesh(mesh: string): void {
    this.cache.invalidateMesh(mesh);
  }

  /**
   * Invalidates a mesh's CAs whenever its Mesh or one of its Secrets changes, by any replica; a deleted
   * mesh's keys leave this process's memory. Returns the function that stops following.
   */
  followChanges(store: ResourceStore): () => void {
    return this.cache.followChanges(store);
  }
}
