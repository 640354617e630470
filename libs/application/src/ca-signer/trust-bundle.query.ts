import type { TrustAnchorDto } from '@meshtls/contracts';
import { ResourceType, type MeshSpec } from '@meshtls/domain';
import type { ResourceStore } from '@meshtls/store';
import type { CaRegistry } from './ca-registry';
import { MeshNotFoundError } from '../ports/ca.errors';

/**
 * The trust anchors of every backend of a mesh, in the Mesh's order. A backend whose CA cannot be
 * loaded is left out rather than failing the whole bundle: its dataplanes keep the other anchors.
 */
export class TrustBundleQuery {
  constructor(
    private readonly store: ResourceStore,
    private readonly registry: CaRegistry,
  ) {}

  async execute(mesh: string): Promise<TrustAnchorDto[]> {
    const record = await this.store.get({ type: ResourceType.Mesh, name: mesh });
    if (!record) throw new MeshNotFoundError(mesh);
    return this.forSpec(mesh, record.spec as MeshSpec);
  }

  async forSpec(mesh: string, spec: MeshSpec): Promise<TrustAnchorDto[]> {
    const anchors = await Promise.all(
      (spec.mtls?.backends ?? []).map(async (b) => {
        const ca = await this.registry.signingCa(mesh, b).catch(() => undefined);
        return ca ? { backend: b.name, certPem: ca.trustAnchorPem } : undefined;
      }),
    );
    return anchors.filter((a): a is TrustAnchorDto => a !== undefined);
  }
}
