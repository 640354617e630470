import type { MtlsBackend } from '@meshtls/domain';
import type { SigningCa } from '@meshtls/pki';
import type { CaManager, LoadedCa } from './ca-manager';

/**
 * The CA managers by backend type, and the loaded CAs: each parsed once and reused until the material
 * behind it changes (its fingerprint), so issuance costs a signature, not a PEM parse.
 */
export class CaRegistry {
  private readonly loaded = new Map<string, Promise<LoadedCa>>();

  constructor(private readonly managers: Readonly<Record<MtlsBackend['type'], CaManager>>) {}

  managerFor(backend: MtlsBackend): CaManager {
    return this.managers[backend.type];
  }

  async signingCa(mesh: string, backend: MtlsBackend): Promise<SigningCa> {
    const manager = this.managerFor(backend);
    const key = `${mesh}/${backend.name}`;
    const fingerprint = await manager.fingerprint(mesh, backend);
    const cached = this.loaded.get(key);
    const ca = await cached?.catch(() => undefined);
    if (ca && ca.fingerprint === fingerprint) return ca.signing;
    const loading = manager.load(mesh, backend);
    this.loaded.set(key, loading);
    loading.catch(() => this.loaded.get(key) === loading && this.loaded.delete(key));
    return (await loading).signing;
  }

  /** Forgets the CAs of a mesh (deleted), so its keys do not stay in memory. */
  forgetMesh(mesh: string): void {
    for (const key of this.loaded.keys()) if (key.startsWith(`${mesh}/`)) this.loaded.delete(key);
  }
}
