import { ensureCaBackends, validateMtls, type ApiCaller } from '@meshtls/contracts';
import type { MtlsSpec } from '@meshtls/domain';
import type { MessageBus } from '@meshtls/bus';
import type { BackendReport } from '../../ports/mtls-validation.contract';
import type { MtlsKeySeal } from '../../shared/mtls-key-seal';

/** What mesh-api needs from ca-signer when a Mesh is applied. */
export interface MeshCaGateway {
  /** `caller`: who asked; only an admin is told why a file data source could not be read. */
  validate(mesh: string, mtls: MtlsSpec | undefined, caller?: ApiCaller): Promise<BackendReport>;
  ensure(mesh: string, mtls: MtlsSpec | undefined): Promise<void>;
}

/**
 * The gateway over the bus: ca-signer replicas answer in their queue group (in-process when standalone).
 * A provided CA's inline key goes sealed (`MtlsKeySeal`), never as a key.
 */
export class BusMeshCaGateway implements MeshCaGateway {
  constructor(
    private readonly bus: MessageBus,
    private readonly keys: MtlsKeySeal,
  ) {}

  validate(
    mesh: string,
    mtls: MtlsSpec | undefined,
    caller: ApiCaller = 'anonymous',
  ): Promise<BackendReport> {
    return this.bus.request(validateMtls, { mesh, mtls: this.keys.seal(mesh, mtls), caller });
  }

  async ensure(mesh: string, mtls: MtlsSpec | undefined): Promise<void> {
    await this.bus.request(ensureCaBackends, { mesh, mtls: this.keys.seal(mesh, mtls) });
  }
}
