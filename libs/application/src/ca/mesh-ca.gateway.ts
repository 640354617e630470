import { ensureCaBackends, validateMtls } from '@meshtls/contracts';
import type { MtlsSpec } from '@meshtls/domain';
import type { MessageBus } from '@meshtls/store';
import type { BackendReport } from './ca-manager';

/** What mesh-api needs from ca-signer when a Mesh is applied. */
export interface MeshCaGateway {
  validate(mesh: string, mtls: MtlsSpec | undefined): Promise<BackendReport>;
  ensure(mesh: string, mtls: MtlsSpec | undefined): Promise<void>;
}

/** The gateway over the bus: ca-signer replicas answer in their queue group (in-process when standalone). */
export class BusMeshCaGateway implements MeshCaGateway {
  constructor(private readonly bus: MessageBus) {}

  validate(mesh: string, mtls: MtlsSpec | undefined): Promise<BackendReport> {
    return this.bus.request(validateMtls, { mesh, mtls });
  }

  async ensure(mesh: string, mtls: MtlsSpec | undefined): Promise<void> {
    await this.bus.request(ensureCaBackends, { mesh, mtls });
  }
}
